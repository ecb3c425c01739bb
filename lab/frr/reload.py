"""A candidate config applied to a running router the way operators do it: FRR's own
``frr-reload.py`` computes the difference between the rendered file and ``show running`` and
applies only that; the rendered file is written first, so a router that restarts comes back on
the policy it was given.

Three things FRR does not do for us:

* **route-map changes under ``bgp route-map delay-timer 0``.**  The skeleton sets the timer to 0
  (bgpd must not hold announcements for 5 s at start-up), and bgpd then re-binds changed maps
  without re-running them over routes already advertised ("rmap_update_timer of 0 means don't do
  route updates", bgpd/bgp_routemap.c).  So a reload that touched a route-map, prefix-list,
  community or as-path list is followed by ``clear bgp * soft`` (route refresh in, re-send out:
  no session reset).
* **secrets on command lines.**  frr-reload.py runs removals as ``vtysh -c ...``; a removed
  ``neighbor X password Y`` would put the old password in /proc/*/cmdline.  Such a diff is applied
  by vtysh on its stdin instead (method "vtysh", said in ``actions``), from frr-reload.py's own
  computed lines.  Passwords are masked in everything returned, and neither vtysh nor the vtysh
  frr-reload.py runs keeps a history of them (lab.frr.vtysh.vtysh_env).
* **the router's own version.**  A router on another FRR version than the host's (lab.frr.roots)
  is reloaded by its root's frr-reload.py and vtysh, run chrooted like its daemons
  (lab.frr.root.in_root); the host's 8.4 vtysh can read a 10.x router but not configure it.
* **cosmetic lines.**  ``frr version`` differs between the rendered file (the release baglab
  targets, 8.4) and the daemon (its build, 8.4.4); it only selects version-dependent defaults,
  which FRR keys by release, so 8.4 and 8.4.4 select the same ones and nothing running changes.
  It is the only line left out of the result.  (The other differences frr-reload.py used to see
  were fixed where the config is rendered: lines that only restate 'frr defaults datacenter'
  are not written, community sets are written in FRR's order, and vtysh.conf names the host.)
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from lab.state import LabPaths
from lab.frr.configure import command, configure
from lab.frr.files import config_dir, vtysh_conf, write_config_files, write_cli_config
from lab.frr.root import ROOT_FRR_BIN, daemons_root, in_root
from lab.frr.vtysh import host_bindir, run_vtysh

FRR_RELOAD = Path(os.environ.get("BAGLAB_FRR_RELOAD", "/usr/lib/frr/frr-reload.py"))
MASK = "*****"
#: contexts whose change bgpd applies to advertised routes only after a clear (delay-timer 0)
POLICY_CONTEXTS = ("route-map ", "ip prefix-list ", "ipv6 prefix-list ", "bgp community-list ",
                   "bgp large-community-list ", "bgp extcommunity-list ", "bgp as-path access-list ")
#: lines with no effect on a running router (see the module docstring)
COSMETIC = ("frr version ",)
SOFT_CLEAR = "clear bgp * soft"
_SECRET = re.compile(r"(\bpassword\s+)\S+")


@dataclass
class ReloadResult:
    node: str
    method: str                 # "frr-reload" (also when it found nothing to change) or "vtysh"
    added: list[str]            # "context / ... / line", passwords masked
    removed: list[str]          # the running config's lines that went, same form
    seconds: float
    error: str = ""             # empty when it worked
    actions: list[str] = field(default_factory=list)    # what was run, in order, and why a fallback

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def mask(text: str) -> str:
    """TCP-MD5 passwords replaced by '*****' (results, errors and logs must never carry one)."""
    return _SECRET.sub(rf"\g<1>{MASK}", text)


def _blocks(lines: list[str]) -> list[list[str]]:
    """frr-reload.py prints each command with its contexts above it, one indent per level: a
    line at column 0 starts the next command."""
    out: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        if not line.startswith(" ") or not out:
            out.append([])
        out[-1].append(line.strip())
    return out


def _undo_no(cmd: str) -> str:
    """frr-reload.py prints a removal as the command that removes it; the line that went is its
    negation ('no X' removes 'X'; 'X' removes 'no X', e.g. 'bgp default ipv4-unicast')."""
    return cmd[3:] if cmd.startswith("no ") else f"no {cmd}"


def parse_test_output(out: str) -> tuple[list[list[str]], list[list[str]]]:
    """``frr-reload.py --test`` stdout -> (added, removed) commands, each its context path plus the
    line (removed ones as the running config had them); cosmetic lines dropped; NOT masked."""
    sections: dict[str, list[str]] = {"Lines To Delete": [], "Lines To Add": []}
    cur: list[str] | None = None
    for line in out.splitlines():
        if line.strip() in sections:
            cur = sections[line.strip()]
        elif cur is not None and not set(line.strip()) <= {"="}:
            cur.append(line)
    added = _blocks(sections["Lines To Add"])
    removed = [b[:-1] + [_undo_no(b[-1])] for b in _blocks(sections["Lines To Delete"])]
    keep = [b for b in added + removed if not b[0].startswith(COSMETIC)]
    return [b for b in added if b in keep], [b for b in removed if b in keep]


def shown(blocks: list[list[str]]) -> list[str]:
    return [mask(" / ".join(b)) for b in blocks]


def touches_policy(blocks: list[list[str]]) -> bool:
    return any(b[0].startswith(POLICY_CONTEXTS) for b in blocks)


def reload_script(root: Path | None) -> Path:
    """The frr-reload.py of the router's own version: a 10.x router's running config is read and
    changed by 10.x's script and vtysh (the host's 8.4 vtysh cannot configure it)."""
    return FRR_RELOAD if root is None else root / ROOT_FRR_BIN.lstrip("/") / "frr-reload.py"


def _reload_argv(paths: LabPaths, node: str, mode: str, root: Path | None = None) -> list[str]:
    """frr.conf at exactly ``<confdir>/frr.conf`` (no 'write' of the running config over it);
    the temp file of lines to add goes to the node's private vtysh dir, logs to stderr (not
    /var/log/frr, where --reload would log the lines, passwords included).  ``root``: the version
    root the router runs from, where the script runs chrooted (the lab's files are under /run,
    bound in)."""
    confdir = config_dir(paths, node)
    if root is None:
        script, bindir = str(FRR_RELOAD), host_bindir()
    else:
        script, bindir = f"{ROOT_FRR_BIN}/frr-reload.py", Path("/usr/bin")
    return in_root(root, [script, "-N", paths.netns(node), "--confdir", str(confdir), "--bindir", str(bindir),
                          "--rundir", str(vtysh_conf(paths, node).parent), "--stdout", "--log-level", "error",
                          mode, str(confdir / "frr.conf")])


def _run(argv: list[str], timeout: float = 60.0) -> subprocess.CompletedProcess:
    """frr-reload.py runs vtysh (removals as -c lines): its environment keeps vtysh from writing history."""
    return run_vtysh(argv, capture_output=True, text=True, timeout=timeout, umask=0o077)


def compute_diff(paths: LabPaths, node: str, root: Path | None = None) -> tuple[list[list[str]], list[list[str]]]:
    r = _run(_reload_argv(paths, node, "--test", root))
    if r.returncode != 0:
        raise RuntimeError(f"frr-reload.py --test exit {r.returncode}: {mask(r.stderr.strip())[-400:]}")
    return parse_test_output(r.stdout)


def vtysh_lines(added: list[list[str]], removed: list[list[str]]) -> list[str]:
    """Removals (as their 'no' commands) then additions, each from the top level with its
    contexts, for vtysh's stdin."""
    out: list[str] = []
    for blocks, negate in ((removed, True), (added, False)):
        for b in blocks:
            out += b[:-1] + [_undo_no(b[-1]) if negate else b[-1], "end", "configure terminal"]
    return out


def _apply(paths: LabPaths, node: str, added, removed, res: ReloadResult, root: Path | None = None) -> None:
    """frr-reload.py --reload unless a removal carries a secret or it fails: then vtysh's stdin."""
    if any("password" in line for b in removed for line in b):
        res.actions.append("vtysh stdin: a removed line holds a TCP-MD5 password and frr-reload.py "
                           "would pass it on vtysh's command line")
    else:
        r = _run(_reload_argv(paths, node, "--reload", root))
        res.actions.append("frr-reload.py --reload" + (f" ({root.parent.name})" if root else ""))
        if r.returncode == 0:
            return
        res.actions.append(f"frr-reload.py failed (exit {r.returncode}: {mask(r.stderr.strip())[-300:]}); "
                           "applied the computed lines with vtysh")
    res.method = "vtysh"
    res.error = mask(configure(paths.netns(node), vtysh_lines(added, removed)))


def _soft_clear(paths: LabPaths, node: str, res: ReloadResult) -> None:
    """FRR's notes (a peer without route refresh, e.g. an ExaBGP collector, keeps its inbound
    routes unfiltered again) go into the action, not the error: outbound was re-sent."""
    r = command(paths.netns(node), SOFT_CLEAR)
    notes = " ".join(" ".join(r.stdout.split()).split("% ")[1:])
    res.actions.append(f"{SOFT_CLEAR} ({notes.strip()})" if notes else SOFT_CLEAR)
    if r.returncode != 0:
        res.error = "; ".join(filter(None, [res.error, f"{SOFT_CLEAR}: {(r.stderr or r.stdout).strip()}"]))


def _without_frr_reload(paths: LabPaths, node: str, text: str, res: ReloadResult) -> ReloadResult:
    """No frr-reload.py: the whole file on vtysh's stdin adds and changes, but removes nothing;
    what changed is unknown, so the soft clear always follows."""
    lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("!")]
    res.method = "vtysh"
    res.error = mask("; ".join(filter(None, [
        f"{FRR_RELOAD} missing (Debian package frr-pythontools): applied the whole config additively "
        "with vtysh; lines the candidate dropped are still running", configure(paths.netns(node), lines)])))
    _soft_clear(paths, node, res)
    return res


def reload(paths: LabPaths, node: str, files: dict[str, str]) -> ReloadResult:
    """Write ``files`` (lab.config.render.frr_files: the router's complete rendered frr.conf and the
    per-daemon files cut from it) as the router's config and apply the difference to the running
    router; see the module docstring for what is added to FRR's."""
    text = files["frr.conf"]
    t0 = time.monotonic()
    res = ReloadResult(node, "frr-reload", [], [], 0.0)
    write_config_files(paths, node, files)
    write_cli_config(paths, node)      # labs built before vtysh.conf existed
    root = daemons_root(paths.netns(node))
    if not reload_script(root).exists():
        res = _without_frr_reload(paths, node, text, res)
    else:
        try:
            added, removed = compute_diff(paths, node, root)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            res.error = mask(str(exc))
        else:
            res.added, res.removed = shown(added), shown(removed)
            if added or removed:
                _apply(paths, node, added, removed, res, root)
            if touches_policy(added + removed):
                _soft_clear(paths, node, res)
    res.seconds = time.monotonic() - t0
    return res
