"""The plain-port impairment backend without root: helper names, the nftables redirect, the
forwarder's configuration, and the forwarder's loop on a socket pair standing in for the ports."""
from __future__ import annotations

import json
import re

import pytest

from lab.forwarder import control as forwarders, loop as fwd, splice
from lab.impair.spec import Impairment


@pytest.mark.parametrize("ifname", ["r1-bag1-1", "r1-f1-p2s1-15", "abcdefghijklmno", "e"])
def test_helper_names_fit_the_kernel_and_differ(ifname):
    out, into = splice.helper_names(ifname)
    assert out != into and len(out) <= 15 and len(into) <= 15
    assert re.fullmatch(r"[a-z0-9]+", out + into)
    assert splice.helper_names(ifname) == (out, into)                # stable across processes


def test_helper_names_of_a_router_s_ports_never_collide():
    names = [f"r{r}-bag{b}-{m}" for r in range(1, 5) for b in range(1, 9) for m in range(1, 17)]
    helpers = [n for i in names for n in splice.helper_names(i)]
    assert len(set(helpers)) == len(helpers)


def test_the_redirect_sends_unmarked_frames_to_the_helper_and_hides_the_helper():
    out, into = splice.helper_names("r1-bag1-3")
    script = splice.nft_script("r1-bag1-3")
    table = splice.table_name("r1-bag1-3")
    assert script.startswith(f"table netdev {table} {{}}\ndelete table netdev {table}\n")     # idempotent
    assert 'type filter hook egress device "r1-bag1-3" priority 0; policy accept;' in script
    assert f'meta mark != {splice.MARK:#010x} counter fwd to "{out}"' in script
    assert f'type filter hook ingress device "{into}" priority 0; policy drop;' in script
    assert len(table) <= 64


def test_the_helper_pair_comes_up_without_arp_and_with_the_port_s_mtu():
    out, into = splice.helper_names("x")
    assert splice.ip_commands("x", 9000) == [f"link add {out} mtu 9000 type veth peer name {into} mtu 9000",
                                        f"link set dev {out} arp off", f"link set dev {into} arp off"]


def test_each_change_is_a_new_generation_and_the_forwarder_reads_the_far_end():
    doc = forwarders.with_port({"generation": 0, "ports": {}}, "p1", {"loss": 2.0})
    doc = forwarders.with_port(doc, "p2", {"delay_ms": 1.0})
    assert doc["generation"] == 2 and doc["ports"]["p1"] == {"helper": splice.helper_names("p1")[1],
                                                               "params": {"loss": 2.0}}
    doc = forwarders.with_port(doc, "p1", None)
    assert doc["generation"] == 3 and list(doc["ports"]) == ["p2"]


class FakeSock:
    """A port as the forwarder sees it: frames to read, frames sent."""

    def __init__(self, frames=()):
        self.frames, self.sent = list(frames), []

    def recvfrom(self, _n):
        if not self.frames:
            raise BlockingIOError
        return self.frames.pop(0), ("x", 3, 0, 1, b"")

    def send(self, frame):
        self.sent.append(frame)


def test_the_forwarder_keeps_order_and_sends_everything_held_when_a_port_is_cleared(tmp_path, monkeypatch):
    cfg, stats, log = tmp_path / "forward.json", tmp_path / "stats.json", tmp_path / "log"
    rx, tx = FakeSock([i.to_bytes(2, "big") * 30 for i in range(500)]), FakeSock()
    monkeypatch.setattr(fwd, "open_rx", lambda dev: rx)
    monkeypatch.setattr(fwd, "open_tx", lambda dev: tx)
    cfg.write_text(json.dumps(forwarders.with_port({"generation": 0, "ports": {}}, "p1",
                                                   Impairment(delay_ms=50.0).to_json())))
    f = fwd.Forwarder(str(cfg), str(stats), str(log))
    f.load()
    for _ in range(3):
        f.from_router("p1", f.ports["p1"])
    assert tx.sent == [] and f.ports["p1"].line.counts["offered"] == 500      # 50 ms: not yet due
    monkeypatch.setattr(fwd.FPort, "close", lambda self: None)
    cfg.write_text(json.dumps({"generation": 2, "ports": {}}))
    f.load()                                                                  # cleared: the line drains
    assert tx.sent == [i.to_bytes(2, "big") * 30 for i in range(500)] and f.ports == {} and f.generation == 2


def test_down_finds_a_forwarder_by_its_command_line():
    from lab.runtime.remnants import markers
    from lab.state import LabPaths
    cmd = "\0".join(forwarders.argv(LabPaths("fwu"), "r1-bag1")).encode()
    assert all(m in cmd for m in markers("fwu")) and forwarders.MARKER in cmd
    assert not any(m in cmd for m in markers("fw"))         # another lab's down never takes it
