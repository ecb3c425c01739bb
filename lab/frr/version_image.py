"""Docker node images per FRR version, one recipe with the Debian suite as its parameter.

The image's own FRR (bookworm's 8.4) is the default image (lab.frr.image, what ``make docker-image``
builds); another version's image starts from that version's root (lab.frr.roots: the suite's
debootstrap with FRR, built once for the netns runtime) with ExaBGP added, so no suite is
debootstrapped twice.  Tagged by the recipe's hash, which includes the root's.

    python -m lab.frr.version_image VERSION [--force]    # build if missing, print the tag
"""
from __future__ import annotations

import argparse
import sys

from lab.frr import roots as frr_roots
from lab.frr import image
from lab.errors import LabError
from lab.design.frr_versions import IMAGE_FRR, SUITES


def is_default(version: str | None) -> bool:
    return version is None or version == IMAGE_FRR


def recipe_for(version: str | None) -> dict:
    if is_default(version):
        return image.recipe()
    root = frr_roots.recipe(version)
    return image.recipe({"frr": version, "suite": root["suite"], "base": frr_roots.recipe_hash(root)})


def tag_for(version: str | None) -> str:
    """The tag ``version``'s image has (or will have once built), without docker."""
    return image.image_tag(recipe_for(version))


def ensure(version: str | None, log=print, force: bool = False) -> str:
    """The tag of ``version``'s current image, building it (and its root) when missing."""
    if is_default(version):
        return image.build(force=True, log=log) if force else image.ensure(log=log)
    r = recipe_for(version)
    if not force and (tag := image.present(None, r)):
        return tag
    return image.build(force=force, log=log, r=r, base_root=frr_roots.build(version, log=log))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab.frr.version_image", description=__doc__.splitlines()[0])
    ap.add_argument("version", help=f"one of {', '.join(SUITES)}")
    ap.add_argument("--force", action="store_true", help="rebuild even when an image of this recipe exists")
    a = ap.parse_args(argv)
    try:
        frr_roots.suite_of(a.version)
        print(ensure(a.version, log=lambda m: print(m, file=sys.stderr, flush=True), force=a.force))
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
