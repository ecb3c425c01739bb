"""The vty client's framing and routing (lab/observers/vty.py), over a socket pair: no FRR needed.
That its answers equal vtysh's is checked against live daemons in tests/lab/test_vty_live.py."""
from __future__ import annotations

import socket
import threading

import pytest

from lab.observers import vty


@pytest.mark.parametrize("command,daemon", [
    ("show ip route bgp json", "zebra"), ("show  ipv6 route json", "zebra"), ("show bgp summary json", "bgpd"),
    ("show ip bgp neighbors json", "bgpd"), ("show bfd peers json", "bfdd"), ("show interface json", "zebra"),
    ("show running-config", None), ("show bgpx", None), ("clear bgp *", None), ("configure terminal", None),
])
def test_only_single_daemon_show_commands_skip_vtysh(command, daemon):
    assert vty.daemon_for(command) == daemon


def _serve(chunks: list[bytes]):
    a, b = socket.socketpair()

    def send():
        for c in chunks:
            b.sendall(c)
        b.close()
    threading.Thread(target=send, daemon=True).start()
    return a


def test_an_end_marker_split_across_reads_is_found():
    s = _serve([b'{"a":', b'1}\0', b'\0', b'\0\x00'])
    assert vty._reply(s) == (0, '{"a":1}')


def test_the_status_byte_is_returned():
    s = _serve([b"% Unknown command: show bgp summry\n\0\0\0\x02"])
    assert vty._reply(s) == (2, "% Unknown command: show bgp summry\n")


def test_a_vty_closed_before_its_marker_is_no_answer():
    s = _serve([b'{"a":1}'])
    with pytest.raises(vty.NoAnswer):
        vty._reply(s)


def test_a_missing_socket_is_no_answer():
    with pytest.raises(vty.NoAnswer):
        vty.query("bl_no_such_lab_node", "zebra", "show ip route json", timeout=1)


def test_vtysh_only_sends_every_command_to_vtysh(monkeypatch):
    monkeypatch.setenv("BAGLAB_VTYSH_ONLY", "1")
    assert vty.daemon_for("show bgp summary json") is None
