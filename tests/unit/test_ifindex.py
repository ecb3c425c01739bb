"""Link ends' interface indexes: the kernel tells a carrier change at once only when a veth end's
index differs from its peer's (lab/host/ifindex.py)."""
from __future__ import annotations

from lab.host import ifindex
from lab.macsec.names import secy_port


def test_every_end_has_an_index_of_its_own_and_none_shares_its_peers(mini):
    ends = [i for l in mini.links for i in ifindex.of_link(l)]
    assert len(ends) == len(set(ends)) == 2 * len(mini.links)
    assert all(a != b for a, b in map(ifindex.of_link, mini.links))
    # clear of what a namespace or a container numbers by itself (lo is 1, docker's own devices low)
    assert min(ends) >= ifindex.BASE


def test_the_secy_end_is_named_from_the_wire_and_fits_linux(mini):
    wires = [e.wire for l in mini.links for e in (l.a, l.b) if e.wire]
    names = [secy_port(w) for w in wires]
    assert len(set(names)) == len(wires) and all(len(n) <= 15 and n.startswith("ms") for n in names)
