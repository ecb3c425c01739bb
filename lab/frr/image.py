"""The node image of the docker runtime, built here (no registry is reachable).

Recipe: a Debian bookworm root filesystem from debootstrap (deb.debian.org over https, every
Release signature checked against the host's debian-archive-keyring), FRR and iproute2
from Debian, ExaBGP 5 in a venv at /opt/exabgp (the version this project runs, installed from a
wheel downloaded on the host; /opt/baglab on its path, where the runtime binds the project's
node programs (lab/nodes) for ExaBGP's helper processes), the ``frr`` user with the host's uid/gid (node directories are
shared by bind mount), imported with ``docker import``.  The image is tagged and labelled with the
recipe's hash: it is built once and rebuilt only when the recipe changes.

    python -m lab.frr.image [--force]     # build if missing, print the tag
"""
from __future__ import annotations

import argparse
import grp
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from lab import leftovers
from lab.errors import LabError

REPO = "baglab/node"
LABEL = "org.baglab.recipe"
FRR_LABEL = "org.baglab.frr"       # the FRR version of an image built on a version's root ('' : default)
CACHE = Path(os.environ.get("BAGLAB_IMAGE_CACHE", "/var/cache/baglab"))
# https where deb.debian.org serves it; the signatures checked below are what makes a download
# trusted (over an http mirror as well)
MIRROR = os.environ.get("BAGLAB_DEBIAN_MIRROR", "https://deb.debian.org/debian")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# a root's apt trusts the host's CAs, not only Debian's: where https leaves through a TLS-intercepting
# egress proxy (as on baglab's CI machine) only the host knows the proxy's CA
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"
ROOT_CA = "etc/apt/baglab-host-ca.crt"      # in a root while it builds, removed by its clean-up
SUITE = "bookworm"
PACKAGES = ["frr", "iproute2", "python3", "python3-venv", "procps", "ca-certificates"]
# sid's Release carries a Valid-Until a week ahead and the mirror reached here serves it past that
# date (stable suites have none): only there apt may use an expired, still signature-checked, Release
STALE_RELEASE_OK = frozenset({"sid"})
# apt's defaults, spelt out: an unsigned or unverifiable repository or package is an error
APT_VERIFY = ("-o Acquire::AllowInsecureRepositories=false -o Acquire::AllowDowngradeToInsecureRepositories=false "
              "-o APT::Get::AllowUnauthenticated=false")
# bump when the build steps below change in a way the recipe does not show
RECIPE_VERSION = 3


def recipe(base: dict | None = None) -> dict:
    """Everything the image depends on; its hash names the image.  ``base``: another FRR
    version's root (lab.frr.roots: its version, suite and recipe hash) the image starts from
    instead of a debootstrap of bookworm; without it the recipe (and tag) is the default image's."""
    try:
        exabgp = metadata.version("exabgp")
    except metadata.PackageNotFoundError:
        raise LabError("ExaBGP is not installed beside this Python: run 'make deps'") from None
    r = {"version": RECIPE_VERSION, "suite": SUITE, "mirror": MIRROR, "packages": PACKAGES,
         "exabgp": exabgp, "frr_uid": pwd.getpwnam("frr").pw_uid, "frr_gid": grp.getgrnam("frr").gr_gid,
         "frrvty_gid": grp.getgrnam("frrvty").gr_gid}
    return r | base if base else r


def recipe_hash(r: dict | None = None) -> str:
    return hashlib.sha256(json.dumps(r or recipe(), sort_keys=True).encode()).hexdigest()[:16]


def image_tag(r: dict | None = None) -> str:
    return f"{REPO}:{recipe_hash(r)}"


def _client():
    import docker
    try:
        c = docker.from_env(timeout=300)
        c.ping()
        return c
    except Exception as exc:   # noqa: BLE001 - any failure to reach the engine is the same advice
        raise LabError(f"no Docker engine answers ({exc}); run 'make docker-setup' "
                       "(installs docker.io and starts dockerd)") from None


def present(client=None, r: dict | None = None) -> str | None:
    client = client or _client()
    import docker
    try:
        client.images.get(image_tag(r))
        return image_tag(r)
    except docker.errors.ImageNotFound:
        return None


def _run(argv: list[str], what: str, **kw) -> None:
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise LabError(f"image build: {what} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-3000:]}")


def debootstrap_argv(suite: str, target: Path) -> list[str]:
    """Without a keyring debootstrap only warns that it cannot check the Release file; with
    --force-check-gpg a missing or wrong signature stops it."""
    if not os.path.isfile(KEYRING):
        raise LabError(f"{KEYRING} is missing: run 'make deps' (installs debian-archive-keyring)")
    return ["debootstrap", "--variant=minbase", f"--keyring={KEYRING}", "--force-check-gpg", suite, str(target),
            MIRROR]


def apt_get(suite: str) -> str:
    """The apt-get command line inside a root of ``suite``."""
    stale_ok = " -o Acquire::Check-Valid-Until=false" if suite in STALE_RELEASE_OK else ""
    return f"apt-get {APT_VERIFY} -o Acquire::https::CAInfo=/{ROOT_CA}{stale_ok}"


def prepare_apt(root: Path) -> None:
    """What apt in ``root`` needs from the host while it installs: DNS and the host's CAs."""
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    if MIRROR.startswith("https:") and not os.path.isfile(HOST_CA):
        raise LabError(f"{HOST_CA} is missing: run 'make deps' (installs ca-certificates)")
    if os.path.isfile(HOST_CA):
        shutil.copy(HOST_CA, root / ROOT_CA)


def install_script(suite: str, packages: list[str]) -> str:
    apt = apt_get(suite)
    return f"{apt} update -qq && {apt} install -y -qq --no-install-recommends {' '.join(packages)}"


def _chroot(root: Path, script: str, what: str) -> None:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C",
           "HOME": "/root"}
    _run(["chroot", str(root), "/bin/sh", "-ec", script], what, env=env)


def build(force: bool = False, log=print, r: dict | None = None, base_root: Path | None = None) -> str:
    """Build the image unless one with this recipe exists; returns its tag.  ``base_root``: a
    built FRR root (lab.frr.roots) copied as the image's base, with ``r`` its recipe."""
    client = _client()
    r = r or recipe()
    tag = image_tag(r)
    if not force and present(client, r):
        return tag
    if not shutil.which("debootstrap"):
        raise LabError("debootstrap is not installed: run 'make docker-setup'")
    CACHE.mkdir(parents=True, exist_ok=True)
    for d in leftovers.sweep_build_dirs(CACHE).removed:
        log(f"removed {d}, left by a killed build")
    work = leftovers.build_dir(CACHE, leftovers.ROOTFS_PREFIX)
    root = work / "rootfs"
    try:
        if base_root is not None:
            log(f"building {tag}: FRR {r.get('frr')}'s root {base_root} as the base")
            _run(["cp", "-a", str(base_root), str(root)], "copy of the FRR root")
        else:
            log(f"building {tag}: debootstrap {SUITE} from {MIRROR}")
            _run(debootstrap_argv(SUITE, root), "debootstrap")
            # the frr user first, with the host's ids: the node's directories are shared by bind mount
            _chroot(root, f"groupadd -g {r['frrvty_gid']} frrvty; groupadd -g {r['frr_gid']} frr; "
                          f"useradd -r -u {r['frr_uid']} -g frr -G frrvty -d /nonexistent -s /usr/sbin/nologin frr",
                    "frr user")
        # no service may start inside the chroot
        (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
        os.chmod(root / "usr/sbin/policy-rc.d", 0o755)
        prepare_apt(root)
        log(f"installing {' '.join(PACKAGES)}")
        _chroot(root, install_script(r["suite"], PACKAGES), "apt-get install")
        wheels = root / "tmp/wheels"
        wheels.mkdir(parents=True)
        _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels),
              f"exabgp=={r['exabgp']}"], "pip download exabgp")
        log(f"installing ExaBGP {r['exabgp']} in /opt/exabgp")
        _chroot(root, "python3 -m venv /opt/exabgp && /opt/exabgp/bin/pip install -q --no-index --no-deps "
                      "/tmp/wheels/*.whl && echo /opt/baglab > $(echo /opt/exabgp/lib/python3*/site-packages)"
                      "/baglab.pth", "ExaBGP venv")
        _chroot(root, "apt-get clean; rm -rf /var/lib/apt/lists/* /tmp/wheels /usr/sbin/policy-rc.d "
                      f"/etc/resolv.conf /{ROOT_CA} /etc/frr/frr.conf; mkdir -p /run/netns", "clean-up")
        tar = work / "rootfs.tar"
        _run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(tar), "."], "tar")
        log(f"docker import -> {tag}")
        client.api.import_image(src=str(tar), repository=REPO, tag=recipe_hash(r),
                                changes=[f"LABEL {LABEL}={recipe_hash(r)}", f"LABEL {FRR_LABEL}={r.get('frr', '')}",
                                         'CMD ["/bin/sleep", "infinity"]'])
    finally:
        leftovers.remove_dir(work)
    if not present(client, r):
        raise LabError(f"docker import did not produce {tag}")
    for img in client.images.list(name=REPO):      # older recipes of the same FRR: unused from now on
        if (img.labels or {}).get(FRR_LABEL, "") != r.get("frr", ""):
            continue
        for t in img.tags:
            if t != tag:
                try:
                    client.images.remove(t)
                except Exception:  # noqa: BLE001 - still used by a running lab's containers: keep it
                    pass
    return tag


def ensure(log=print) -> str:
    """The tag of a current image, building it when missing (cached otherwise)."""
    return present() or build(log=log)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.frr.image", description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="rebuild even when an image of this recipe exists")
    ap.add_argument("--tag", action="store_true", help="only print the tag the current recipe gives")
    a = ap.parse_args(argv)
    try:
        if a.tag:
            print(image_tag())
            return 0
        tag = build(force=a.force, log=lambda m: print(m, file=sys.stderr, flush=True))
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())
