"""The bulk speaker's wire format: what FRR will parse, checked byte by byte."""
from __future__ import annotations

import ipaddress
import struct

from lab.nodes.speaker import MAX_MSG, keepalive_due, link_bandwidth_community, open_message, update_messages


def parse_updates(msgs):
    """A tiny independent UPDATE parser: -> (announced, withdrawn, attribute codes)."""
    ann, wd, codes = [], [], set()
    for m in msgs:
        assert m[:16] == b"\xff" * 16 and struct.unpack("!H", m[16:18])[0] == len(m) <= MAX_MSG and m[18] == 2
        body = m[19:]
        wl = struct.unpack("!H", body[:2])[0]
        wd += _prefixes(body[2:2 + wl], 4)
        al = struct.unpack("!H", body[2 + wl:4 + wl])[0]
        attrs, nlri = body[4 + wl:4 + wl + al], body[4 + wl + al:]
        ann += _prefixes(nlri, 4)
        i = 0
        while i < len(attrs):
            flags, code = attrs[i], attrs[i + 1]
            if flags & 0x10:
                ln, hdr = struct.unpack("!H", attrs[i + 2:i + 4])[0], 4
            else:
                ln, hdr = attrs[i + 2], 3
            val = attrs[i + hdr:i + hdr + ln]
            codes.add(code)
            if code == 14:
                nhl = val[3]
                ann += _prefixes(val[4 + nhl + 1:], 6)
            if code == 15:
                wd += _prefixes(val[3:], 6)
            i += hdr + ln
    return ann, wd, codes


def _prefixes(data: bytes, version: int):
    out, i, size = [], 0, 4 if version == 4 else 16
    while i < len(data):
        plen = data[i]
        n = (plen + 7) // 8
        addr = data[i + 1:i + 1 + n] + bytes(size - n)
        out.append(str(ipaddress.ip_network((addr, plen))))
        i += 1 + n
    return out


def test_ipv6_bulk_round_trips_and_packs_densely():
    pfx = [str(p) for p in ipaddress.ip_network("2001:db8:8000::/50").subnets(new_prefix=64)]
    msgs = update_messages(pfx, 4200100000, "2001:db8::", 800)
    ann, wd, codes = parse_updates(msgs)
    assert ann == pfx and not wd
    assert codes == {1, 2, 14, 16}
    assert len(msgs) <= len(pfx) // 400 + 1, "about 400 /64 NLRIs per 4 KiB UPDATE"


def test_ipv4_and_withdrawals():
    pfx = [str(p) for p in ipaddress.ip_network("198.19.128.0/20").subnets(new_prefix=32)]
    ann, wd, codes = parse_updates(update_messages(pfx, 4200100000, "198.18.0.0", 400))
    assert ann == pfx and 3 in codes
    ann, wd, _ = parse_updates(update_messages(pfx, 4200100000, "198.18.0.0", 400, withdraw=True))
    assert wd == pfx and not ann
    ann, wd, codes = parse_updates(update_messages(pfx[:5] and ["2001:db8:8000::/64"], 1, "2001:db8::", 1, withdraw=True))
    assert wd == ["2001:db8:8000::/64"] and codes == {15}


def test_link_bandwidth_matches_frr_units():
    c = link_bandwidth_community(800)
    assert c[:2] == b"\x00\x04" and struct.unpack("!H", c[2:4])[0] == 23456
    assert struct.unpack("!f", c[4:])[0] == 100_000_000.0      # FRR shows 800 Mbps: baglab's 800G


def test_open_advertises_four_octet_as():
    m = open_message(4200100000, "198.18.128.1", 9, ["ipv6"])
    assert m[18] == 1 and struct.unpack("!H", m[20:22])[0] == 23456
    assert struct.pack("!BBI", 65, 4, 4200100000) in m and struct.pack("!BBHBB", 1, 4, 2, 0, 1) in m


def test_keepalives_every_third_of_the_hold_time_and_never_with_hold_zero():
    assert not keepalive_due(9, 2.9) and keepalive_due(9, 3.0)
    assert not keepalive_due(0, 0.0) and not keepalive_due(0, 1e6)
