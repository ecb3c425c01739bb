"""The MACsec-only policy at the wire: an nftables netdev ingress chain per protected port.

On a 'required' port every frame that is not 802.1AE (EtherType 0x88E5) is counted
and dropped before anything above the driver sees it, the SecY included; an
'optional' port counts plaintext and lets it through.  The same rule protects the
kernel ``macsec`` device (it sits on the wire) and the user-space shim.
"""
from __future__ import annotations

from lab.host import nft

TABLE = "baglab_macsec"


def script(ports: list[dict]) -> str:
    """ports: [{'wire': ..., 'mode': 'required'|'optional'}] of one node."""
    body = ""
    for p in ports:
        verdict = "drop" if p["mode"] == "required" else "accept"
        body += (f"  chain in_{p['wire']} {{\n"
                 f"    type filter hook ingress device \"{p['wire']}\" priority -400; policy accept;\n"
                 "    ether type 0x88e5 counter accept\n"
                 f"    counter {verdict}\n"
                 "  }\n")
    return nft.replace_table("netdev", TABLE, body)


def install(netns: str, ports: list[dict]) -> None:
    if ports:
        nft.apply(netns, script(ports))


def counters(netns: str) -> dict[str, dict[str, int]]:
    """wire -> {'macsec': frames accepted as 802.1AE, 'plaintext': frames that were not (dropped on
    'required' ports)}; {} when the node has no protected port."""
    out: dict[str, dict[str, int]] = {}
    for rule in nft.rules(netns, "netdev", TABLE):
        wire = rule["chain"].removeprefix("in_")
        key = "macsec" if any("match" in e for e in rule["expr"]) else "plaintext"
        out.setdefault(wire, {"macsec": 0, "plaintext": 0})[key] = nft.packets(rule)
    return out
