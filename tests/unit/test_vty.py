"""The vty client's framing and routing (lab/frr/vty.py), and how lab.frr.show.show maps its answers:
no FRR needed.  That its answers equal each router's own vtysh is checked against live daemons by
tests/lab/vty_answers.py (8.4 and 10.3 in test_frr_versions.py, a container in test_docker.py)."""
from __future__ import annotations

import time

import pytest

from lab.frr import show, vty


@pytest.mark.parametrize("command,daemon", [
    ("show ip route bgp json", "zebra"), ("show  ipv6 route json", "zebra"), ("show bgp summary json", "bgpd"),
    ("show ip bgp neighbors json", "bgpd"), ("show bfd peers json", "bfdd"), ("show interface json", "zebra"),
    ("show bfd static route json", None), ("show running-config", None), ("show bgpx", None),
    ("clear bgp *", None), ("configure terminal", None),
])
def test_only_single_daemon_show_commands_skip_vtysh(command, daemon):
    assert vty.daemon_for(command) == daemon


def test_vtysh_only_sends_every_command_to_vtysh(monkeypatch):
    monkeypatch.setenv("BAGLAB_VTYSH_ONLY", "1")
    assert vty.daemon_for("show bgp summary json") is None


class Chunks:
    """A socket whose reads return exactly these chunks (then end of stream)."""

    def __init__(self, chunks: list[bytes]):
        self.chunks = list(chunks)

    def settimeout(self, _):
        pass

    def recv(self, _):
        return self.chunks.pop(0) if self.chunks else b""


def _far():
    return time.monotonic() + 10


def test_an_end_marker_split_across_reads_is_found():
    assert vty._reply(Chunks([b'{"a":', b'1}\0', b'\0', b'\0', b'\x00']), _far()) == (0, '{"a":1}')


def test_the_status_byte_is_returned():
    assert vty._reply(Chunks([b"% Unknown command: show bgp summry\n\0\0\0\x02"]), _far()) == \
        (2, "% Unknown command: show bgp summry\n")


def test_a_vty_closed_before_its_marker_is_no_answer():
    with pytest.raises(vty.NoAnswer):
        vty._reply(Chunks([b'{"a":1}']), _far())


def test_an_answer_still_coming_at_the_deadline_times_out():
    with pytest.raises(TimeoutError):
        vty._reply(Chunks([b'{"a":1}']), time.monotonic() - 1)


def test_a_missing_socket_is_no_answer():
    with pytest.raises(vty.NoAnswer):
        vty.query("bl_no_such_lab_node", "zebra", "show ip route json", timeout=1)


@pytest.mark.parametrize("status,text,result", [
    (0, "{}", "{}"),
    (1, '{"warning":"Default BGP instance not found"}', '{"warning":"Default BGP instance not found"}'),
    (2, "% Unknown command: show bgp summry", RuntimeError),
])
def test_statuses_map_as_vtysh_exits(monkeypatch, status, text, result):
    """vtysh -c exits 0 on a warning (status 1) and prints it; an error (2 and up) is its exit 1."""
    monkeypatch.setattr(vty, "query", lambda *a: (status, text))
    if result is RuntimeError:
        with pytest.raises(RuntimeError, match="Unknown command"):
            show.show("bl_x_r1", "show bgp summary json")
    else:
        assert show.show("bl_x_r1", "show bgp summary json") == result
