"""What each kind of node is, in one place: an FRR router, baglab's bulk BGP speaker, an ExaBGP
fabric emulator, or the ExaBGP route collector.

The rest of the code asks a node's kind what it can do (has it a kernel FIB to compare with the
oracle? does FRR policy apply, so it can be drained or carry TCP-MD5?) instead of comparing
emulator strings, so a new kind (another FRR version, a vendor image) is one entry here plus its
renderer and launcher, not a hunt through every module.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeKind:
    name: str
    #: routes land in a kernel FIB baglab reads, compares with the oracle and sends probes from
    has_fib: bool
    #: FRR's policy applies: drains, TCP-MD5 and MACsec-protected links need it
    has_policy: bool
    #: an emulated fabric: it announces (and can withdraw) a fabric's prefixes, but routes nothing
    emulates_fabric: bool
    #: the files its configuration is rendered into (in the node's directory); an FRR router's
    #: daemons each read their own (lab.config.daemon_split), frr.conf is the whole for people and FRR's shell
    config_files: tuple[str, ...]
    #: the names under which the runtime reports its processes
    processes: tuple[str, ...]


FRR = NodeKind("frr", has_fib=True, has_policy=True, emulates_fabric=False,
               config_files=("frr.conf", "zebra.conf", "bfdd.conf", "bgpd.conf"),
               processes=("zebra", "bfdd", "bgpd"))
BULK = NodeKind("bulk", has_fib=False, has_policy=False, emulates_fabric=True,
                config_files=("speaker.json",), processes=("speaker",))
EXABGP = NodeKind("exabgp", has_fib=False, has_policy=False, emulates_fabric=True,
                  config_files=("exabgp.conf", "speaker.json"), processes=("exabgp", "feed"))
COLLECTOR = NodeKind("collector", has_fib=False, has_policy=False, emulates_fabric=False,
                     config_files=("exabgp.conf",), processes=("exabgp",))

KINDS = {k.name: k for k in (FRR, BULK, EXABGP, COLLECTOR)}


def kind_of(node) -> NodeKind:
    """A plan node's kind: collectors are ExaBGP processes too, but listen instead of announcing."""
    return COLLECTOR if node.role == "collector" else KINDS[node.emulator]
