"""Each link's protection policy and what its ports counted: the view behind ``baglab links``
and the probe reports.  Counters come from the wire's nftables chain (plaintext dropped before
anything else sees it) and from the MACsec shim (per-reason drops of 802.1AE frames)."""
from __future__ import annotations

from lab.macsec import enforce, keys as macsec_keys, ports
from lab.observe import bfd
from lab.design.plan import Plan
from lab.state import LabPaths


def link_report(plan: Plan, paths: LabPaths) -> list[dict]:
    backend = ports.backend(paths)
    chain = macsec_keys.load(paths)
    nft = {n: enforce.counters(paths.netns(n)) for n in ports.protected_nodes(plan)}
    shim = {n: ports.stats(paths, n).get("ports", {}) for n in ports.protected_nodes(plan)}
    bfd_state = bfd.link_states(plan, bfd.lab_peers(plan, paths.netns, [n.name for n in plan.nodes]))
    rows = []
    for l in plan.links:
        row = {"id": l.id, "bundle": l.bundle, "member": l.member, "kind": l.kind, "macsec": l.macsec,
               "tcp_md5": bool(l.tcp_md5), "bfd": l.bfd.model_dump() if l.bfd else None, "ends": []}
        if l.a.wire:
            row.update(backend=backend, cipher=chain.cipher, tx_key=chain.tx,
                       mismatched=[e.node for e in (l.a, l.b) if f"{l.id}/{e.node}" in chain.overrides])
        for e in (l.a, l.b):
            end = {"node": e.node, "ifname": e.ifname, "wire": e.wire, "bfd": bfd_state.get(l.id, {}).get(e.node)}
            if e.wire:
                c = nft.get(e.node, {}).get(e.wire, {})
                s = shim.get(e.node, {}).get(e.ifname, {})
                end.update(macsec_in=c.get("macsec", 0), plaintext_in=c.get("plaintext", 0),
                           plaintext_dropped=c.get("plaintext", 0) if l.macsec == "required" else 0,
                           tx_protected=s.get("tx_protected"), rx_ok=s.get("rx_ok"), tx_an=s.get("tx_an"),
                           drops=s.get("drops", {}), carrier=s.get("carrier"),
                           impaired=s.get("impaired"))     # the delay line's counters (lab/impair/line.py)
            row["ends"].append(end)
        rows.append(row)
    return rows
