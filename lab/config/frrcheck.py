"""FRR's own parser reads every rendered config before a lab is built, so a fragment FRR would
reject stops ``up`` with the fragment's file and line instead of a router quietly running without it.

The check is FRR's dry-run parse of the file (lab.frr.check; FRR 8.4.4; no daemon needed, about 40 ms
a file).  Measured:

* It reports one stderr line per rejected config line, ``line N: % <message>[<node>]: <text>``,
  with three messages: ``Unknown command`` (a misspelt keyword, and also a value of the wrong
  shape or out of a numeric range: ``set extcommunity bandwidth abc``, ``network 10.0.0.0/33``,
  ``neighbor X remote-as 99999999999``, ``set weight 99999999999``), ``Command incomplete``
  (``set``, ``match ip``, ``router bgp 65001 vrf``) and ``Ambiguous command`` (an abbreviation
  that fits two keywords).  ``<node>`` is FRR's parser context (4 config, 25 router bgp,
  59 route-map; 3 means configuration mode was left: a stray ``exit`` above made every later
  line unknown).  Warnings are not printed; ``end`` lines are ignored.
* The exit code is not reliable (0, 2, 3 or 4 with errors present; 0 after a stray ``exit``),
  so the messages decide, and a non-zero exit without any message is reported as it is.
* It does NOT catch: references to things never defined (a route-map naming an undefined
  prefix-list, ``neighbor X route-map NOPE``, ``peer-group NOPE``, ``activate`` of a neighbour
  without ``remote-as``: FRR accepts those and the map simply matches nothing, which is what the
  intent checks are for); a second ``router bgp`` with another ASN (bgpd refuses it only when it
  loads the file: baglab checks that one itself, below, and also names lines for a daemon the lab
  does not run, e.g. ``router ospf``); values its grammar takes as words (``set local-preference
  99999999999`` or ``zero``); semantic rules (``timers bgp 3 1``, a prefix-list ``le`` shorter
  than the prefix, a community ``1:2:3`` in a community-list).  Those show up only in a running
  router's log and behaviour.

Configs hold TCP-MD5 passwords: each is written to a private (0600) temporary file, removed after.
"""
from __future__ import annotations

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError
from lab.host.frr_install import host_version
from lab.frr.check import CHECK, CHECK_TIMEOUT_S, WORKERS, Checker, checker as frr_checker

from lab.config.daemon_split import unplaced_lines
from lab.config.template_lines import Origin, RenderedLike, origin

__all__ = ["check_rendered", "check_texts", "check_file", "check_files", "rejections", "parse_output", "Rejection"]

SHOWN = 10                   # problems listed in full before "and N more"
_LINE = re.compile(r"^line (\d+): % ([^\[\n]+?)\s*\[(\d+)\]: ?(.*)$")
_LEFT_CONFIG_MODE = "3"      # FRR's ENABLE_NODE: an 'exit' too many left configuration mode
_ROUTER_BGP = re.compile(r"^router bgp (\S+)\s*$")     # the default instance (not 'vrf X', not 'view X')


@dataclass(frozen=True)
class Rejection:
    """One line FRR refused: its line number in the checked file (None: FRR failed without naming
    a line), FRR's message, the line's text and FRR's parser context."""
    line: int | None
    message: str
    text: str
    context: str = ""

    def describe(self) -> str:
        if self.line is None:
            return f"FRR's check failed ({self.message})"
        hint = "; configuration mode was left above it: an 'exit' too many?" if self.context == _LEFT_CONFIG_MODE else ""
        return f"FRR rejects '{self.text.strip()}' ({self.message}{hint})"


def parse_output(output: str, returncode: int) -> list[Rejection]:
    """The parser's output -> rejections; other lines matter only if nothing was named and it failed."""
    found = [Rejection(int(m[1]), m[2].strip(), m[4], m[3])
             for m in map(_LINE.match, output.splitlines()) if m]
    if found or returncode == 0:
        return found
    rest = " ".join(l.strip() for l in output.splitlines() if l.strip())
    return [Rejection(None, f"{CHECK} exit {returncode}" + (f": {rest[-300:]}" if rest else ""), "")]


def second_asn(text: str) -> list[Rejection]:
    """``router bgp`` blocks naming another ASN than the first: FRR's parser lets them pass, bgpd
    refuses them at load time ("BGP is already running"), so a fragment's block would be lost."""
    asns = [(n, m[1], line) for n, line in enumerate(text.splitlines(), 1) if (m := _ROUTER_BGP.match(line))]
    return [Rejection(n, f"the router's BGP instance is AS {asns[0][1]}: bgpd refuses another; baglab's check", line)
            for n, asn, line in asns[1:] if asn != asns[0][1]]


def baglab_checks(text: str) -> list[Rejection]:
    """What FRR's parser lets pass but the lab cannot run: a second BGP instance's ASN, and lines for
    a daemon baglab does not start (each daemon gets its own file: lab.config.daemon_split)."""
    return second_asn(text) + [
        Rejection(n, "no daemon baglab starts reads it: only zebra, bfdd and bgpd run; baglab's check", line)
        for n, line in unplaced_lines(text)]


def _merge(frr: list[Rejection], ours: list[Rejection]) -> list[Rejection]:
    """FRR's word first: baglab's own finding on a line FRR already rejects is left out."""
    seen = {r.line for r in frr}
    return sorted(frr + [r for r in ours if r.line not in seen], key=lambda r: r.line or 0)


def _judged(out: tuple[int, str] | None) -> list[Rejection]:
    """The parser's (exit code, output) -> rejections; None: it did not finish."""
    if out is None:
        return [Rejection(None, f"{CHECK} did not finish within {CHECK_TIMEOUT_S} s", "")]
    returncode, text = out
    return parse_output(text, returncode)


def rejections(text: str, checker: Checker | None = None) -> list[Rejection]:
    """What FRR's parser refuses in a config text (written to a private temporary file)."""
    return _merge(_judged((checker or frr_checker()).run(text)), baglab_checks(text))


@dataclass(frozen=True)
class Problem:
    where: Origin
    node: str
    rejection: Rejection


def _locate(node: str, rendered: RenderedLike, rej: Rejection) -> Problem:
    where = origin(rendered, rej.line) if rej.line is not None else Origin(0)
    return Problem(where, node, rej)


def _group(problems: list[Problem]) -> list[tuple[str, list[str]]]:
    """The same rejection of the same template line on many routers is one entry naming them all."""
    by_key: dict[tuple, list[str]] = defaultdict(list)
    order = []
    for p in problems:
        key = (str(p.where), p.rejection.describe())
        if key not in by_key:
            order.append((key, p))
        by_key[key].append(p.node)
    return [(_entry(p, by_key[key]), by_key[key]) for key, p in order]


def _entry(p: Problem, nodes: list[str]) -> str:
    who = nodes[0] if len(nodes) == 1 else f"{', '.join(nodes[:3])}" + (
        f" and {len(nodes) - 3} more routers" if len(nodes) > 3 else "")
    if p.rejection.line is None:
        return f"{who}: {p.rejection.describe()}"
    bug = ("  (a baglab bug, please report it, unless a fragment above left FRR in another context)"
           if p.where.path is None else "")
    return f"{p.where}: {who}: {p.rejection.describe()}{bug}"


def format_problems(problems: list[Problem], header: str) -> str:
    entries = [e for e, _ in _group(problems)]
    lines = [header] + [f"  {e}" for e in entries[:SHOWN]]
    if len(entries) > SHOWN:
        lines.append(f"  and {len(entries) - SHOWN} more")
    return "\n".join(lines)


def check_rendered(rendered: dict[str, RenderedLike], versions: dict[str, str | None] | None = None) -> None:
    """Raise one LabError listing what FRR rejects in any node's rendered config (the fragment
    file and template line, the node, FRR's words); return quietly when FRR accepts them all.
    ``versions``: a router's FRR version, whose own parser checks it (default: the host's)."""
    if not rendered:
        return
    versions = versions or {}
    checkers = {v: frr_checker(v) for v in {versions.get(n) for n in rendered}}
    nodes = sorted(rendered)
    with ThreadPoolExecutor(min(WORKERS, len(nodes))) as pool:
        found = list(pool.map(lambda n: rejections(rendered[n].text, checkers[versions.get(n)]), nodes))
    problems = [_locate(n, rendered[n], r) for n, rejs in zip(nodes, found) for r in rejs]
    if problems:
        routers = len({p.node for p in problems})
        raise LabError(format_problems(problems, f"FRR rejects {len(problems)} config line(s) on {routers} "
                                                 f"router(s) ({CHECK}); nothing was built:"))


@dataclass(frozen=True)
class _Whole:
    """A config baglab rendered all by itself (no fragment map): every line is baglab's."""
    text: str
    blocks: tuple = ()


def check_texts(texts: dict[str, str]) -> None:
    """check_rendered for node -> config text without a block map."""
    check_rendered({n: _Whole(t) for n, t in texts.items()})


def check_file(path: str | Path) -> None:
    """The same check for one config file (e.g. ``baglab plan --render`` output a user edited):
    each problem is ``<file>:<line>: FRR rejects '<text>' (<FRR's message>)``."""
    check_files([path])


def _frr_configs_under(d: Path) -> list[Path]:
    """A node directory tree holds frr.conf plus its per-daemon cuts (checked once, in frr.conf)
    and ExaBGP's configs (not FRR's): its frr.conf files, or else every *.conf but ExaBGP's."""
    whole = sorted(d.rglob("frr.conf"))
    return whole or sorted(p for p in d.rglob("*.conf") if p.name != "exabgp.conf")


def config_files(paths: list[str | Path]) -> list[Path]:
    """Files as given; a directory stands for the FRR configs under it."""
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += _frr_configs_under(p)
        elif p.is_file():
            out.append(p)
        else:
            raise LabError(f"{p}: no such config file")
    if not out:
        raise LabError(f"no *.conf file under {', '.join(map(str, paths))}")
    return out


def check_files(paths: list[str | Path], frr: str | None = None) -> None:
    """check_file for several files (directories: their ``*.conf``), one LabError for them all.
    Each file is read by the parser of the FRR version it names in its ``frr version`` line (as
    baglab renders it per router; none: the host's), or by ``frr``'s when given."""
    files = config_files(paths)
    texts = {f: f.read_text(errors="replace") for f in files}
    named = {f: frr or version_of(texts[f]) for f in files}
    # a version the file names but this host cannot run (e.g. production's 9.1): the host's parser,
    # said in every rejection; only an explicit --frr must be available
    versions = {f: v if frr or _runnable(v) else None for f, v in named.items()}
    checkers = {v: frr_checker(v) for v in set(versions.values())}
    with ThreadPoolExecutor(min(WORKERS, len(files))) as pool:
        found = list(pool.map(lambda f: _merge(_judged(checkers[versions[f]].run(texts[f])), baglab_checks(texts[f])), files))
    tag = {f: _as_of(versions[f]) if versions[f] == named[f] else f"[FRR {named[f]} not available: the host's parser] "
           for f in files}
    entries = [f"{f}:{r.line}: {tag[f]}{r.describe()}" if r.line is not None
               else f"{f}: {tag[f]}{r.describe()}" for f, rejs in zip(files, found) for r in rejs]
    if entries:
        more = [f"  and {len(entries) - SHOWN} more"] if len(entries) > SHOWN else []
        bad = sum(1 for rejs in found if rejs)
        raise LabError("\n".join([f"FRR rejects {len(entries)} line(s) in {bad} of {len(files)} file(s) ({CHECK}):"]
                                 + [f"  {e}" for e in entries[:SHOWN]] + more))


_VERSION_LINE = re.compile(r"^frr version (\d+\.\d+)", re.M)


def version_of(text: str) -> str | None:
    """The major.minor a config's ``frr version`` line names (None: no such line)."""
    m = _VERSION_LINE.search(text)
    return m.group(1) if m else None


def _runnable(version: str | None) -> bool:
    from lab.frr.roots import resolve
    try:
        resolve(version) if version else None
    except LabError:
        return False
    return True


def _as_of(version: str | None) -> str:
    """Rejections by another version's parser than the host's say so."""
    return f"[FRR {version}] " if version and version != host_version() else ""
