"""The MACsec-only policy at the wire: an nftables netdev ingress chain per protected port.

On a 'required' port every frame that is not 802.1AE (EtherType 0x88E5) is counted
and dropped before anything above the driver sees it, the SecY included; an
'optional' port counts plaintext and lets it through.  The same rule protects the
kernel ``macsec`` device (it sits on the wire) and the user-space shim.
"""
from __future__ import annotations

import json
import subprocess

TABLE = "baglab_macsec"


def script(ports: list[dict]) -> str:
    """ports: [{'wire': ..., 'mode': 'required'|'optional'}] of one node."""
    # declare-then-delete makes the script idempotent: a re-install replaces, never duplicates
    lines = [f"table netdev {TABLE} {{}}", f"delete table netdev {TABLE}", f"table netdev {TABLE} {{"]
    for p in ports:
        verdict = "drop" if p["mode"] == "required" else "accept"
        lines += [f"  chain in_{p['wire']} {{",
                  f"    type filter hook ingress device \"{p['wire']}\" priority -400; policy accept;",
                  "    ether type 0x88e5 counter accept",
                  f"    counter {verdict}",
                  "  }"]
    return "\n".join(lines + ["}"]) + "\n"


def install(netns: str, ports: list[dict]) -> None:
    if not ports:
        return
    subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=script(ports), text=True,
                   capture_output=True, check=True)


def counters(netns: str) -> dict[str, dict[str, int]]:
    """wire -> {'macsec': frames accepted as 802.1AE, 'plaintext': frames that were not (dropped on
    'required' ports)}; {} when the node has no protected port."""
    r = subprocess.run(["ip", "netns", "exec", netns, "nft", "-j", "list", "table", "netdev", TABLE],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return {}
    out: dict[str, dict[str, int]] = {}
    for item in json.loads(r.stdout).get("nftables", []):
        rule = item.get("rule")
        if not rule:
            continue
        wire = rule["chain"].removeprefix("in_")
        pkts = next((e["counter"]["packets"] for e in rule["expr"] if "counter" in e), 0)
        key = "macsec" if any("match" in e for e in rule["expr"]) else "plaintext"
        out.setdefault(wire, {"macsec": 0, "plaintext": 0})[key] = pkts
    return out
