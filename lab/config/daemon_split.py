"""One config file per FRR daemon, cut from the integrated ``frr.conf``.

Started with ``-f frr.conf``, zebra and bgpd each read every line and log "No such command" for
the other daemon's lines, so a real error drowns in hundreds of expected ones.  Each daemon now
starts with only its lines; ``frr.conf`` stays the whole picture for people and FRR's shell.

Where lines go: global lines (``frr version``/``defaults``, ``hostname``, ``log``, ``service``,
``password``, ``line vty``) to both, except the lines only FRR's shell reads (lab.frr.files.SHELL_ONLY_LINES:
the daemons log "No such command" for them), which stay in ``frr.conf`` alone;
``zebra ...``, forwarding, ``ip/ipv6 protocol``, ``ip/ipv6 nht``,
``interface`` and ``vrf`` blocks to zebra; ``router bgp``, the BGP lists and ``debug bgp`` to bgpd;
the ``bfd`` block (profiles) and ``debug bfd`` to bfdd, which every router runs (bgpd asks it for
BFD sessions through zebra; without a ``bfd`` block it has nothing to do).
Route-maps and prefix/access-lists are library commands every daemon that links the route-map
code accepts (FRR's shell sends them to all of them), but a daemon needs only those it applies: they go
to bgpd, and also to zebra when a zebra line (``ip protocol bgp route-map NAME``) names the map
(and then the prefix-lists that map matches).  A zebra route-map carrying BGP ``set`` clauses would
still be logged by zebra: such a map is not a zebra map.  Comments go with the line that follows
them.  A top-level line no rule covers is an error naming it (it would otherwise reach no
daemon, or the wrong one, silently).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lab.errors import LabError
from lab.frr.files import SHELL_ONLY_LINES

DAEMONS = ("zebra", "bfdd", "bgpd")
BOTH = frozenset(DAEMONS)       # every daemon (the name predates bfdd)
ZEBRA, BGPD, BFDD = frozenset({"zebra"}), frozenset({"bgpd"}), frozenset({"bfdd"})
SHELL: frozenset[str] = frozenset()     # lines only FRR's shell reads: in frr.conf, in no daemon's file

#: top-level line prefixes -> the daemons that read them (longest prefix wins)
_RULES: dict[str, frozenset[str]] = {
    **{p: SHELL for p in SHELL_ONLY_LINES},
    **{p: BOTH for p in ("frr version", "frr defaults", "hostname", "log ", "no log ", "service ", "no service ",
                         "password", "enable password", "line vty", "end", "exit")},
    "debug route-map": ZEBRA | BGPD,
    **{p: BFDD for p in ("bfd", "debug bfd")},
    **{p: ZEBRA for p in ("zebra ", "no zebra ", "ip forwarding", "no ip forwarding", "ipv6 forwarding",
                          "no ipv6 forwarding", "ip protocol ", "ipv6 protocol ", "ip nht ", "ipv6 nht ",
                          "no ip nht ", "no ipv6 nht ", "ip import-table ", "interface ", "vrf ",
                          "debug zebra", "allow-external-route-update", "table ", "fpm ", "ip router-id ",
                          "ipv6 router-id ", "router-id ", "mpls ")},
    **{p: BGPD for p in ("router bgp", "route-map ", "ip prefix-list ", "ipv6 prefix-list ", "bgp ",
                         "ip community-list ", "ip extcommunity-list ", "ip large-community-list ",
                         "ip as-path ", "access-list ", "ipv6 access-list ", "debug bgp", "rpki")},
}
_BLOCKS = ("router ", "route-map ", "interface ", "vrf ", "line vty", "rpki", "bfd")
_ROUTE_MAP_REF = re.compile(r"\broute-map (\S+)")
_PREFIX_LIST_REF = re.compile(r"\bprefix-list (\S+)")


@dataclass
class _Unit:
    """A top-level line or a whole block (header to ``exit``), with the comments above it."""
    daemons: frozenset[str]
    lines: list[str] = field(default_factory=list)
    head: str = ""


def _daemons_of(line: str) -> frozenset[str] | None:
    """None: no rule covers the line."""
    match = max((p for p in _RULES if line.startswith(p)), key=len, default=None)
    return None if match is None else _RULES[match]


def _is_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("!")


def _units(text: str) -> tuple[list[_Unit], list[tuple[int, str]]]:
    """The units, and the top-level lines no rule places (line number, text)."""
    units: list[_Unit] = []
    unplaced: list[tuple[int, str]] = []
    pending: list[str] = []          # comments waiting for the line they describe
    block: _Unit | None = None       # the open block, until its 'exit' or the next top-level line
    for n, line in enumerate(text.splitlines(), 1):
        if _is_comment(line):
            pending.append(line)
        elif line[0].isspace() and (block or units):
            target = block or units[-1]
            target.lines += pending + [line]
            pending = []
        elif block is not None and line.rstrip() == "exit":
            block.lines += pending + [line]
            pending, block = [], None
        else:
            daemons = _daemons_of(line)
            if daemons is None:
                unplaced.append((n, line))
            unit = _Unit(daemons or SHELL, pending + [line], line)
            units.append(unit)
            pending = []
            block = unit if line.startswith(_BLOCKS) else None
    if pending:
        units.append(_Unit(BOTH, pending))
    return units, unplaced


def unplaced_lines(text: str) -> list[tuple[int, str]]:
    """Top-level lines (number, text) baglab cannot give to a daemon it starts (e.g. ``router
    ospf``): lab.config.frrcheck reports them with the fragment that wrote them, before anything is built."""
    return _units(text)[1]


def _share_zebra_maps(units: list[_Unit]) -> None:
    """Route-maps a zebra line names, and the prefix-lists they match, go to zebra too."""
    maps = {m for u in units if u.daemons == ZEBRA for line in u.lines for m in _ROUTE_MAP_REF.findall(line)}
    lists = set()
    for u in units:
        if u.head.startswith("route-map ") and u.head.split()[1] in maps:
            u.daemons = BOTH
            lists |= {p for line in u.lines[1:] for p in _PREFIX_LIST_REF.findall(line)}
    for u in units:
        if u.head.startswith(("ip prefix-list ", "ipv6 prefix-list ")) and u.head.split()[2] in lists:
            u.daemons = BOTH


def split_by_daemon(text: str, where: str = "frr.conf") -> dict[str, str]:
    """daemon -> its config: every line of ``text`` in the file of each daemon that reads it,
    in the original order, blocks whole; only the global lines appear in more than one, and
    the shell's own lines in none."""
    units, unplaced = _units(text)
    if unplaced:
        n, line = unplaced[0]
        raise LabError(f"{where}:{n}: baglab does not know which FRR daemon ({', '.join(DAEMONS)}) reads "
                       f"{line.strip()!r}: it starts only those, one config file each")
    _share_zebra_maps(units)
    end = "\n" if text.endswith("\n") else ""
    return {d: "\n".join(line for u in units if d in u.daemons for line in u.lines) + end for d in DAEMONS}
