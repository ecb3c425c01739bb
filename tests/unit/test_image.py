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


def _recipes():
    from lab import version_image
    try:
        return version_image.recipe_for
    except KeyError:
        pytest.skip("no frr user on this machine (FRR not installed)")


def test_the_default_image_keeps_its_recipe_so_make_docker_image_builds_only_it():
    """A version parameter must not retag (and so rebuild) the image CI builds."""
    recipe_for = _recipes()
    assert recipe_for(None) == image.recipe() == recipe_for("8.4")
    assert "frr" not in recipe_for(None)


@pytest.mark.parametrize("version,suite", [("10.3", "trixie"), ("10.7", "sid")])
def test_each_version_has_its_own_recipe_on_its_suites_root(version, suite):
    from lab import frr_roots
    recipe_for = _recipes()
    r = recipe_for(version)
    assert (r["frr"], r["suite"]) == (version, suite)
    assert r["base"] == frr_roots.recipe_hash(frr_roots.recipe(version))
    assert image.image_tag(r) != image.image_tag(recipe_for(None))
    assert image.image_tag(r) != image.image_tag(recipe_for("10.7" if version == "10.3" else "10.3"))
