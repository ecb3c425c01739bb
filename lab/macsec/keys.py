"""The lab's MACsec key chain and what each protected port derives from it.

Real BAG links get their SAKs from MKA (802.1X) using a pre-shared CAK from a key
chain.  The lab keeps the key chain (CAKs with ids) in its state directory and
derives each link's SAK from the transmitting CAK and the link's identity, so
both ends agree without a key agreement protocol, and a test can hand one end a
different CAK to rehearse a mismatch.  A key's id picks the association number
(AN = id mod 4), so during a rotation receivers hold the old and the new SAK side
by side and no frame is lost (install everywhere first, then switch transmit).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import asdict, dataclass, field

from lab import safe_io
from lab.design.plan import Link, Plan
from lab.state import LabPaths
from lab.macsec.frame import CIPHERS
from lab.macsec.names import secy_port

#: receivers keep this many keys (the transmitting one and its predecessor)
LIVE_KEYS = 2


@dataclass
class KeyChain:
    cipher: str = "gcm-aes-128"
    replay_window: int = 0
    keys: list[dict] = field(default_factory=list)      # {"id": int, "cak": hex, "created": float}
    tx: int = 0                                          # id of the key every port transmits with
    generation: int = 0                                  # bumped on every change; shims report it back
    overrides: dict[str, str] = field(default_factory=dict)   # "<link id>/<node>" -> CAK hex (mismatch faults)

    def live(self) -> list[dict]:
        """Keys receivers accept: the transmit key and the one before it."""
        ids = sorted(k["id"] for k in self.keys)
        keep = [i for i in ids if i <= self.tx][-LIVE_KEYS:] + [i for i in ids if i > self.tx]
        return [k for k in self.keys if k["id"] in keep]


def path(paths: LabPaths):
    return paths.root / "macsec-keychain.json"


def load(paths: LabPaths) -> KeyChain:
    try:
        return KeyChain(**json.loads(path(paths).read_text()))
    except FileNotFoundError:
        return KeyChain()


def save(paths: LabPaths, chain: KeyChain) -> None:
    chain.generation += 1
    write_secret(path(paths), asdict(chain))


def write_secret(p, doc: dict) -> None:
    """Key material goes to disk readable by root only, and atomically (readers never see half)."""
    p.parent.mkdir(parents=True, exist_ok=True)
    safe_io.write_file(p, json.dumps(doc, indent=1), mode=0o600)


def new_key(chain: KeyChain) -> dict:
    k = {"id": max((k["id"] for k in chain.keys), default=0) + 1, "cak": os.urandom(32).hex(), "created": time.time()}
    chain.keys.append(k)
    return k


def create(paths: LabPaths, plan: Plan) -> KeyChain:
    """The chain a lab starts with (kept across an idempotent 'up')."""
    chain = load(paths)
    chain.cipher, chain.replay_window = plan.macsec_cipher, plan.macsec_replay_window
    if not chain.keys:
        chain.tx = new_key(chain)["id"]
    save(paths, chain)
    return chain


def sak(cak_hex: str, link: Link, cipher: str) -> bytes:
    """The link's secure association key: both ends derive the same bytes from the same CAK."""
    mac = hmac.new(bytes.fromhex(cak_hex), f"baglab-sak/{link.bundle}/{link.member}".encode(), hashlib.sha256)
    return mac.digest()[:CIPHERS[cipher]]


def port_configs(plan: Plan, chain: KeyChain, node: str) -> list[dict]:
    """What the node's protected ports need: wire, mode, SAK per AN, transmit AN."""
    out = []
    for link in plan.links_of(node):
        end = link.end(node)
        if not end.wire:
            continue
        wrong = chain.overrides.get(f"{link.id}/{node}")
        keys = {k["id"] % 4: sak(wrong or k["cak"], link, chain.cipher).hex() for k in chain.live()}
        out.append({"ifname": end.ifname, "wire": end.wire, "secy": secy_port(end.wire), "mode": link.macsec,
                    "link": link.id,
                    "peer": link.peer(node).node, "keys": keys, "tx_an": chain.tx % 4})
    return out


def node_config(plan: Plan, chain: KeyChain, node: str) -> dict:
    return {"generation": chain.generation, "cipher": chain.cipher, "replay_window": chain.replay_window,
            "ports": port_configs(plan, chain, node)}
