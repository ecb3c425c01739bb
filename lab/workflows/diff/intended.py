"""Whether a difference is the change a candidate declares (pure logic: no lab, no snapshot).

A difference carries what changed as plain data (``Difference.change``): a community field's sets,
link-bandwidth values in bytes/s, AS paths, or a prefix appearing or going.  An intended change
that states a value accepts a difference of that aspect only when the observed change is the
stated one; one that names aspects only accepts any difference of them (as before values could be
stated).  Which statement judges what:

- ``communities`` / ``large_communities``: differences of aspect ``communities`` (a field without a
  statement of its own, extended communities included, must not change at all);
- ``link_bandwidth``: aspect ``link_bandwidth``;  ``as_path``: aspect ``as_path``;
- ``prefixes``: a prefix appearing or going, in whichever aspect shows it (fib, best path, paths,
  advertised).
"""
from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from lab.verdict.checks.route_match import PrefixSpec, parse_spec
from lab.verdict.checks.schema import AsPathChange, CommunityChange, IntendedChange, LinkBandwidthChange

#: a presence change (``change["kind"]``): the prefix is on one side only
PRESENCE = "presence"
PRESENCE_WORDS = {"appearing": "the route appeared", "going": "the route went"}
#: the statement (IntendedChange key) that judges each aspect's value changes
STATEMENT_OF_ASPECT = {"communities": ("communities", "large_communities"), "link_bandwidth": ("link_bandwidth",),
                       "as_path": ("as_path",)}
FIELD_STATEMENT = {"communities": "communities", "large_communities": "large_communities"}


@dataclass(frozen=True)
class Judgement:
    """One intended change on one difference: not about it (``applies`` False), as declared, or a
    mismatch (``why`` names the observed and the declared value); ``statement`` the key that judged."""
    applies: bool
    ok: bool = False
    why: str = ""
    statement: str = ""


NOT_MINE = Judgement(False)


def _text(values) -> str:
    return ", ".join(str(v) for v in values) if values else "none"


def _path_text(paths) -> str:
    return " | ".join(" ".join(map(str, p)) or "(empty)" for p in paths) or "none"


def communities(field: str, before, after, stmt: CommunityChange | None) -> str:
    """'' when the candidate's set is the baseline's plus ``added`` minus ``removed`` (patterns), else
    what was observed against what was declared ('communities added 65512:300, declared 64512:300')."""
    before, after = set(before or ()), set(after or ())
    added, removed = sorted(after - before), sorted(before - after)
    want_add, want_rm = (stmt.added, stmt.removed) if stmt is not None else ([], [])
    out = []
    if not (all(any(fnmatchcase(v, p) for p in want_add) for v in added)
            and all(any(fnmatchcase(v, p) for v in after) for p in want_add)):
        out.append(f"{field} added {_text(added)}, declared {_text(want_add)}")
    if not (all(any(fnmatchcase(v, p) for p in want_rm) for v in removed)
            and not any(fnmatchcase(v, p) for v in after for p in want_rm)):
        out.append(f"{field} removed {_text(removed)}, declared removed {_text(want_rm)}")
    return "; ".join(out)


def link_bandwidth(before, after, stmt: LinkBandwidthChange) -> str:
    """Values as sets of bytes/s (a prefix's multipaths each carry one)."""
    b, a = set(before or ()), set(after or ())
    if stmt.bytes_per_second is not None:
        if a == set(stmt.bytes_per_second):
            return ""
        return f"link_bandwidth now {_text(sorted(a))} bytes/s (was {_text(sorted(b))}), " \
               f"declared {_text(sorted(set(stmt.bytes_per_second)))}"
    if stmt.from_ in b and a == {stmt.to if v == stmt.from_ else v for v in b}:
        return ""
    return f"link_bandwidth {_text(sorted(b))} -> {_text(sorted(a))} bytes/s, declared {stmt.from_} -> {stmt.to}"


def _inserted(new: tuple, old: tuple, run: tuple) -> bool:
    """``new`` is ``old`` with ``run`` inserted at one place (the front at a direct receiver)."""
    if len(new) != len(old) + len(run):
        return False
    return any(new[i:i + len(run)] == run and new[:i] + new[i + len(run):] == old for i in range(len(old) + 1))


def as_path(before, after, stmt: AsPathChange) -> str:
    """Every candidate path is a baseline path with the prepend inserted, and every baseline path
    has its prepended form among the candidate's."""
    b, a, run = [tuple(p) for p in before or ()], [tuple(p) for p in after or ()], tuple(stmt.prepended)
    if a and b and all(any(_inserted(x, y, run) for y in b) for x in a) \
            and all(any(_inserted(x, y, run) for x in a) for y in b):
        return ""
    return f"as_path {_path_text(a)} (was {_path_text(b)}), declared prepended {' '.join(map(str, run))}"


def presence(prefix: str, direction: str, specs: dict[str, list[PrefixSpec]]) -> str:
    """``direction``: 'appearing' or 'going'; ``specs`` the declared entries by direction."""
    if any(s.matches(prefix) for s in specs.get(direction, [])):
        return ""
    declared = [s.text for s in specs.get(direction, [])]
    return f"{prefix} {direction}, declared {direction} {_text(declared)}"


def prefix_specs(change: IntendedChange, fabrics: dict[str, tuple[str, ...]] | None) -> dict[str, list[PrefixSpec]]:
    if change.prefixes is None:
        return {}
    return {k: [parse_spec(t, fabrics) for t in getattr(change.prefixes, k)] for k in ("appearing", "going")}


def judge(aspect: str, prefix: str, change: dict, ic: IntendedChange, specs: dict[str, list[PrefixSpec]]) -> Judgement:
    """One difference (its aspect, prefix and ``change``) against one intended change whose nodes and
    fabrics already match it."""
    kind = (change or {}).get("kind")
    if kind == PRESENCE and ic.prefixes is not None:
        why = presence(prefix, change["direction"], specs)
        return Judgement(True, not why, why, "prefixes")
    stated = [k for k in STATEMENT_OF_ASPECT.get(aspect, ()) if getattr(ic, k) is not None]
    if stated:
        if aspect == "communities":
            field = change.get("field", "communities") if kind == "communities" else "communities"
            key = FIELD_STATEMENT.get(field, "")
            if kind != "communities":
                why = f"{aspect} changed ({_text(change.get('before'))} -> {_text(change.get('after'))}), " \
                      f"declared {', '.join(stated)}"
            else:
                why = communities(field, change.get("before"), change.get("after"), getattr(ic, key, None) if key else None)
            return Judgement(True, not why, why, key or stated[0])
        if kind != aspect:        # e.g. a best path gone: no value to compare with the statement
            return Judgement(True, False, f"{aspect}: {PRESENCE_WORDS.get(change.get('direction'), 'changed')}, "
                                          f"declared {aspect} values", stated[0])
        fn = link_bandwidth if aspect == "link_bandwidth" else as_path
        why = fn(change.get("before"), change.get("after"), getattr(ic, stated[0]))
        return Judgement(True, not why, why, stated[0])
    if aspect in ic.aspects:
        return Judgement(True, True)
    return NOT_MINE



def nodes_and_fabrics(router: str, fabrics: list[str], ic: IntendedChange) -> bool:
    """Shell patterns: a node pattern against the router, a fabric pattern against the prefix's
    fabrics ("r1-f1" or just "f1")."""
    if not any(fnmatchcase(router, p) for p in ic.nodes):
        return False
    labels = fabrics + [f.split("-", 1)[-1] for f in fabrics] or [""]
    return any(fnmatchcase(lb, p) for p in ic.fabrics for lb in labels)


def snapshot_fabrics(prefix_fabrics: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Fabric ('r1-f1', and 'f1' where unique) -> its prefixes, from a snapshot's prefix -> fabrics
    (aggregates, which cover several fabrics, left out): 'fabric NAME' entries without the plan."""
    full: dict[str, set[str]] = {}
    for p, fabs in prefix_fabrics.items():
        if len(fabs) == 1:
            full.setdefault(fabs[0], set()).add(p)
    out = {k: tuple(sorted(v)) for k, v in full.items()}
    short: dict[str, list[str]] = {}
    for k in full:
        short.setdefault(k.split("-", 1)[-1], []).append(k)
    out.update({n: out[ks[0]] for n, ks in short.items() if len(ks) == 1 and n not in out})
    return out


def first_accepting(d, intended, specs: list[dict]) -> tuple[IntendedChange | None, list[str], set]:
    """The first intended change that accepts the difference, the mismatches of those that cover it
    but state another value, and the (change index, statement) pairs that accepted it."""
    hit, why, used = None, [], set()
    for i, (c, sp) in enumerate(zip(intended, specs)):
        if not nodes_and_fabrics(d.router, d.fabrics, c):
            continue
        j = judge(d.aspect, d.prefix, d.change, c, sp)
        if not j.applies:
            continue
        if j.ok:
            hit = hit or c
            if j.statement:
                used.add((i, j.statement))
        elif j.why not in why:
            why.append(j.why)
    return hit, why, used


def statement_text(ic: IntendedChange, key: str) -> str:
    """A statement in the words of the intent file ('communities added 64512:300')."""
    v = getattr(ic, key)
    if key in ("communities", "large_communities"):
        return ", ".join(f"{key} {w} {_text(getattr(v, w))}" for w in ("added", "removed") if getattr(v, w)) \
            or f"{key} unchanged"
    if key == "link_bandwidth":
        return f"link_bandwidth {v.from_} -> {v.to}" if v.bytes_per_second is None \
            else f"link_bandwidth {_text(v.bytes_per_second)} bytes/s"
    if key == "as_path":
        return f"as_path prepended {' '.join(map(str, v.prepended))}"
    return ", ".join(f"prefixes {w} {_text(getattr(v, w))}" for w in ("appearing", "going") if getattr(v, w))
