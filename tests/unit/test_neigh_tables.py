"""The host's neighbour tables sized from the plans: what a lab needs, what ``up`` raises (never
lowers), what the last ``down`` puts back, and a full table named in one line (exit 3)."""
from __future__ import annotations

import json

import pytest

from lab.design.generate import generate
from lab.design.plan import build_plan
from lab.design.topology import load_text
from lab.errors import HostLimit
from lab.host import neigh_tables as nt

from ..plans import plan_of

HEAD = ("entries  allocs   destroys hash_grows lookups  hits     res_failed rcv_probes_mcast rcv_probes_ucast "
        "periodic_gc_runs forced_gc_runs unresolved_discards table_fulls")


def _stat(entries: int, fulls: tuple[int, ...]) -> str:
    rows = [f"{entries:08x} 00000001 00000001 00000000 00000001 00000001 00000000 00000000 00000000 00000000 "
            f"00000000 00000000 {f:08x}" for f in fulls]
    return "\n".join([HEAD, *rows]) + "\n"


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A fake /proc: thresholds at the kernel's defaults, tables almost empty."""
    for fam in ("ipv4", "ipv6"):
        d = tmp_path / "sys" / fam / "neigh" / "default"
        d.mkdir(parents=True)
        for k, v in zip(nt.KEYS, (128, 512, 1024)):
            (d / k).write_text(f"{v}\n")
        (tmp_path / f"{fam}.stat").write_text(_stat(3, (0, 0)))
    monkeypatch.setattr(nt, "PROC", tmp_path / "sys")
    monkeypatch.setattr(nt, "STAT", {f: tmp_path / f"{f}.stat" for f in ("ipv4", "ipv6")})
    return tmp_path


def test_a_lab_needs_two_entries_a_link_over_ipv4_and_four_over_ipv6():
    mini = plan_of("bag-mini")
    assert nt.needed([mini]) == {"ipv4": 2 * len(mini.links), "ipv6": 4 * len(mini.links)}
    assert nt.needed([mini, mini])["ipv6"] == 8 * len(mini.links)


def test_small_labs_change_nothing_and_500_routers_raise_every_threshold(host):
    assert nt.size_for([plan_of("bag-mini")], host / "state") == []
    assert not (host / "state" / nt.SAVED).exists()
    big = build_plan(load_text(generate("big", regions=9, planes=6, nsf_per_region=4), "big"))
    assert len(big.nodes) >= 450
    need = nt.needed([big])["ipv6"]
    assert need > 1024            # the kernel's default cap: the 495 routers failed there
    changes = nt.size_for([big], host / "state")
    assert {(c.family, c.key) for c in changes} == {(f, k) for f in ("ipv4", "ipv6") for k in nt.KEYS}
    assert nt.current()["ipv6"] == {"gc_thresh1": need, "gc_thresh2": 2 * need, "gc_thresh3": 4 * need}
    assert str(next(c for c in changes if c.key == "gc_thresh3" and c.family == "ipv6")) == \
        f"net.ipv6.neigh.default.gc_thresh3 1,024 -> {4 * need:,}"
    # a second lab of the same size raises again; a smaller one changes nothing
    assert nt.size_for([big, big], host / "state") and nt.size_for([big], host / "state") == []


def test_the_last_down_restores_what_was_found_unless_changed_since(host):
    big = build_plan(load_text(generate("big", regions=9, planes=6, nsf_per_region=4), "big"))
    nt.size_for([big], host / "state")
    saved = json.loads((host / "state" / nt.SAVED).read_text())
    assert saved["found"]["ipv6"]["gc_thresh3"] == 1024
    (host / "sys" / "ipv4" / "neigh" / "default" / "gc_thresh3").write_text("99999\n")   # an operator's own
    restored = nt.restore(host / "state")
    assert nt.current()["ipv6"] == {"gc_thresh1": 128, "gc_thresh2": 512, "gc_thresh3": 1024}
    assert nt.current()["ipv4"]["gc_thresh3"] == 99999 and nt.current()["ipv4"]["gc_thresh1"] == 128
    assert len(restored) == 5 and not (host / "state" / nt.SAVED).exists()
    assert nt.restore(host / "state") == []


def test_a_full_table_is_named_in_one_line(host):
    assert nt.full_message() is None
    before = nt.usage()
    assert before["ipv6"] == {"entries": 3, "cap": 1024, "table_fulls": 0}
    (host / "ipv6.stat").write_text(_stat(1024, (2, 3)))
    assert nt.usage()["ipv6"]["table_fulls"] == 5          # summed over the CPUs' rows
    msg = nt.full_message(before)
    assert msg == ("the host's ipv6 neighbour table is full (1,024 entries, gc_thresh3 1,024, shared by every "
                   "namespace): raise net.ipv6.neigh.default.gc_thresh1/2/3 or run fewer labs")


def test_a_host_limit_exits_3_with_one_line(monkeypatch, capsys):
    from lab import cli

    def boom(args):
        raise HostLimit("the host's ipv6 neighbour table is full")
    monkeypatch.setattr(cli, "app", boom)
    with pytest.raises(SystemExit) as e:
        cli.main(["status"])
    assert e.value.code == 3 and "neighbour table is full" in capsys.readouterr().err
