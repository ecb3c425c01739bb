"""nftables inside a node's namespace: apply a script, read a table's rules with their counters.

Faults, the MACsec wire filter and the probes all keep their own tables; this is the one
place that talks to ``nft``."""
from __future__ import annotations

import json
import subprocess

from lab.errors import LabError


def apply(netns: str, script: str, tolerate: bool = False) -> None:
    r = subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=script, text=True, capture_output=True)
    if r.returncode != 0 and not tolerate:
        raise LabError(f"nft in {netns}: {r.stderr.strip()}")


def replace_table(family: str, table: str, body: str) -> str:
    """A script that (re)creates the table: declare-then-delete makes it idempotent, so a
    re-install replaces rules instead of duplicating them."""
    return f"table {family} {table} {{}}\ndelete table {family} {table}\ntable {family} {table} {{\n{body}}}\n"


def rules(netns: str, family: str, table: str) -> list[dict]:
    """The table's rules as nft's JSON objects; [] when the table does not exist."""
    r = subprocess.run(["ip", "netns", "exec", netns, "nft", "-j", "list", "table", family, table],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return []
    return [item["rule"] for item in json.loads(r.stdout).get("nftables", []) if "rule" in item]


def packets(rule: dict) -> int:
    return next((e["counter"]["packets"] for e in rule["expr"] if "counter" in e), 0)


def match(rule: dict, key: str):
    """The right-hand side of the rule's match on ``key`` (a meta key such as 'oifname' or a
    payload field such as 'dport'), or None."""
    for e in rule["expr"]:
        m = e.get("match")
        if m and (m["left"].get("meta", {}).get("key") == key or m["left"].get("payload", {}).get("field") == key):
            return m["right"]
    return None
