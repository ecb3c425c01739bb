"""The node image is named by its recipe: a changed recipe is a new tag (rebuilt), an unchanged
one the same tag (cached)."""
from __future__ import annotations

import pytest

from lab import image


def test_tag_is_the_recipe_hash():
    try:
        r = image.recipe()
    except KeyError:
        pytest.skip("no frr user on this machine (FRR not installed)")
    assert image.image_tag(r) == f"baglab/node:{image.recipe_hash(r)}"
    assert image.recipe_hash(dict(r)) == image.recipe_hash(r)


@pytest.mark.parametrize("key,value", [("packages", ["frr"]), ("exabgp", "5.0.0"), ("frr_uid", 4242),
                                       ("version", -1), ("suite", "trixie")])
def test_any_recipe_change_changes_the_tag(key, value):
    base = {"version": 1, "suite": "bookworm", "mirror": "m", "packages": ["frr", "iproute2"], "exabgp": "5.0.15",
            "frr_uid": 103, "frr_gid": 107, "frrvty_gid": 106}
    assert image.recipe_hash(dict(base, **{key: value})) != image.recipe_hash(base)
