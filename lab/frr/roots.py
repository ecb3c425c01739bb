"""Root filesystems of the FRR versions the host does not run, built here and cached.

The host runs Debian bookworm's FRR; other versions come from other Debian suites.  One recipe
(the suite its parameter) debootstraps a minimal root with FRR, its Python tools (frr-reload.py)
and iproute2, the ``frr`` user with the host's ids first (node directories are shared), into
``<cache>/frr-<version>/<recipe hash>/``: built once per recipe, reused by every lab, rebuilt
only when the recipe changes.  The netns runtime starts a node's daemons from such a root
(lab.frr.root); the docker runtime's image per version could be a ``docker import`` of it.

    python -m lab.frr.roots [VERSION ...] [--force] [--list]
"""
from __future__ import annotations

import argparse
import grp
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path

from lab import leftovers
from lab.errors import LabError
from lab.design.frr_versions import SUITES
from lab.host.frr_install import host_version
from lab.frr.image import CACHE, MIRROR, ROOT_CA, _chroot, _run, debootstrap_argv, install_script, prepare_apt

PACKAGES = ["frr", "frr-pythontools", "iproute2", "procps"]
# bump when the build steps below change in a way the recipe does not show
RECIPE_VERSION = 2
VERSION_FILE = "frr-version"


def recipe(version: str) -> dict:
    """Everything a version's root depends on; its hash names the root."""
    return {"version": RECIPE_VERSION, "frr": version, "suite": suite_of(version), "mirror": MIRROR,
            "packages": PACKAGES, "frr_uid": pwd.getpwnam("frr").pw_uid,
            "frr_gid": grp.getgrnam("frr").gr_gid, "frrvty_gid": grp.getgrnam("frrvty").gr_gid}


def recipe_hash(r: dict) -> str:
    return hashlib.sha256(json.dumps(r, sort_keys=True).encode()).hexdigest()[:16]


def suite_of(version: str) -> str:
    try:
        return SUITES[version]
    except KeyError:
        raise LabError(f"FRR {version!r} is not a version baglab can build: known are "
                       f"{', '.join(f'{v} (Debian {s})' for v, s in SUITES.items())}") from None


def version_dir(version: str) -> Path:
    return CACHE / f"frr-{version}"


def root_of(version: str) -> Path | None:
    """The cached root of the current recipe, or None when it has not been built."""
    d = version_dir(version) / recipe_hash(recipe(version))
    return d if (d / VERSION_FILE).exists() else None


def built_versions() -> list[str]:
    """Versions whose root of the current recipe is in the cache."""
    return [v for v in SUITES if root_of(v)]


def available() -> list[str]:
    """Versions a lab can run now: the host's and every built root."""
    host = host_version()
    return [host] + [v for v in built_versions() if v != host]


def resolve(version: str | None) -> Path | None:
    """The root a router of ``version`` starts its daemons from; None for the host's own FRR."""
    if version is None or version == host_version():
        return None
    root = root_of(version) if version in SUITES else None
    if root is None:
        raise LabError(f"FRR {version} is not available: available are {', '.join(available())} "
                       f"(the host's {host_version()} and the roots built by 'make frr-roots'; "
                       f"baglab can build {', '.join(SUITES)})")
    return root


def roots_of(plan) -> dict[str, Path]:
    """Router -> the root it runs from, for every router not on the host's FRR (a clear error
    when a version is not available)."""
    roots = {n.name: resolve(n.frr) for n in plan.nodes if n.frr}
    return {n: r for n, r in roots.items() if r is not None}


def daemon_version(root: Path) -> str:
    """What the root's zebra says it is (e.g. '10.3.1'): the truth, whatever the suite promised."""
    r = subprocess.run(["chroot", str(root), "/usr/lib/frr/zebra", "--version"], capture_output=True, text=True)
    m = re.search(r"version (\S+)", r.stdout)
    if r.returncode != 0 or not m:
        raise LabError(f"{root}: zebra --version failed ({r.returncode}): {(r.stdout + r.stderr)[-500:]}")
    return m.group(1)


def _frr_user(root: Path, r: dict) -> None:
    _chroot(root, f"groupadd -g {r['frrvty_gid']} frrvty; groupadd -g {r['frr_gid']} frr; "
                  f"useradd -r -u {r['frr_uid']} -g frr -G frrvty -d /nonexistent -s /usr/sbin/nologin frr",
            "frr user")


def _install(root: Path, suite: str) -> None:
    (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")   # nothing starts in the chroot
    os.chmod(root / "usr/sbin/policy-rc.d", 0o755)
    prepare_apt(root)
    _chroot(root, install_script(suite, PACKAGES), "apt-get install")
    # the node's config and run directories are the host's, bound in when a daemon starts
    _chroot(root, "apt-get clean; rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d /etc/resolv.conf "
                  f"/{ROOT_CA} /etc/frr/frr.conf", "clean-up")


def build(version: str, force: bool = False, log=print) -> Path:
    """The root of ``version``'s current recipe, debootstrapped unless cached."""
    r = recipe(version)
    if not force and (root := root_of(version)):
        return root
    final = version_dir(version) / recipe_hash(r)
    if (users := root_users(final)):
        raise LabError(f"FRR {version}: the root {final} is in use by {', '.join(users[:4])}"
                       f"{' ...' if len(users) > 4 else ''}: take those labs down before rebuilding it")
    if not shutil.which("debootstrap"):
        raise LabError("debootstrap is not installed: apt-get install debootstrap")
    parent = version_dir(version)
    parent.mkdir(parents=True, exist_ok=True)
    for d in leftovers.sweep_build_dirs(CACHE).removed:
        log(f"FRR {version}: removed {d}, left by a killed build")
    work = leftovers.build_dir(parent, leftovers.BUILD_PREFIX)
    work.chmod(0o755)       # it becomes '/' of daemons running as frr (mkdtemp made it 0700)
    try:
        log(f"FRR {version}: debootstrap {r['suite']} from {MIRROR} into {work}")
        _run(debootstrap_argv(r["suite"], work), "debootstrap")
        _frr_user(work, r)
        log(f"FRR {version}: installing {' '.join(PACKAGES)}")
        _install(work, r["suite"])
        got = daemon_version(work)
        if got != version and not got.startswith(version + "."):
            raise LabError(f"Debian {r['suite']} ships FRR {got}, not {version}: update lab/design/frr_versions.py")
        (work / VERSION_FILE).write_text(got + "\n")
        (work / "baglab-recipe.json").write_text(json.dumps(r, indent=1, sort_keys=True) + "\n")
        if (users := root_users(final)):     # a lab started on it during the debootstrap
            raise LabError(f"FRR {version}: the root {final} came into use by {', '.join(users[:4])} while it "
                           "was rebuilt: the new one is discarded")
        shutil.rmtree(final, ignore_errors=True)
        work.rename(final)
    finally:
        leftovers.remove_dir(work)
    for old in parent.iterdir():      # roots of older recipes: unused from now on
        if old != final and not old.name.startswith("."):
            if (users := root_users(old)):       # a running lab's routers: removed by a later build
                log(f"FRR {version}: keeping the older root {old} while {', '.join(users[:4])} run from it")
                continue
            shutil.rmtree(old, ignore_errors=True)
    return final


def root_users(root: Path) -> list[str]:
    """Processes whose root directory is ``root`` (a lab's chrooted daemons), as 'name -N netns'."""
    out, want = [], os.path.realpath(root)         # the kernel's path: the cache may be named via a symlink
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "root") != want:
                continue
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue          # gone meanwhile, or not ours to read
        ns = argv[argv.index(b"-N") + 1].decode() if b"-N" in argv[:-1] else "?"
        out.append(f"{Path(argv[0].decode()).name} -N {ns} (pid {proc.name})")
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.frr.roots", description=__doc__.splitlines()[0])
    ap.add_argument("versions", nargs="*", help=f"default: every non-host version ({', '.join(SUITES)})")
    ap.add_argument("--force", action="store_true", help="rebuild even when a root of this recipe exists")
    ap.add_argument("--list", action="store_true", help="only print the cached roots")
    a = ap.parse_args(argv)
    try:
        for v in a.versions or [v for v in SUITES if SUITES[v] != "bookworm"]:
            root = root_of(v) if a.list else build(v, a.force, log=lambda m: print(m, file=sys.stderr, flush=True))
            print(f"{v}\t{(root / VERSION_FILE).read_text().strip() if root else '-'}\t{root or 'not built'}")
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
