"""The node image is named by its recipe: a changed recipe is a new tag (rebuilt), an unchanged
one the same tag (cached)."""
from __future__ import annotations

import pytest

from lab.frr import image


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
    from lab.frr import version_image
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
    from lab.frr import roots as frr_roots
    recipe_for = _recipes()
    r = recipe_for(version)
    assert (r["frr"], r["suite"]) == (version, suite)
    assert r["base"] == frr_roots.recipe_hash(frr_roots.recipe(version))
    assert image.image_tag(r) != image.image_tag(recipe_for(None))
    assert image.image_tag(r) != image.image_tag(recipe_for("10.7" if version == "10.3" else "10.3"))


@pytest.mark.parametrize("suite", ["bookworm", "trixie", "sid"])
def test_debootstrap_checks_every_release_signature(suite, tmp_path):
    argv = image.debootstrap_argv(suite, tmp_path)
    assert argv[0] == "debootstrap" and argv[-3:] == [suite, str(tmp_path), image.MIRROR]
    assert f"--keyring={image.KEYRING}" in argv and "--force-check-gpg" in argv and "--no-check-gpg" not in argv
    assert image.KEYRING == "/usr/share/keyrings/debian-archive-keyring.gpg"


def test_the_default_mirror_is_https():
    import os
    if os.environ.get("BAGLAB_DEBIAN_MIRROR"):
        pytest.skip("BAGLAB_DEBIAN_MIRROR overrides the default")
    assert image.MIRROR == "https://deb.debian.org/debian"


@pytest.mark.parametrize("suite,stale_ok", [("bookworm", False), ("trixie", False), ("sid", True)])
def test_apt_in_a_root_verifies_and_accepts_an_expired_release_only_for_sid(suite, stale_ok):
    script = image.install_script(suite, ["frr", "iproute2"])
    update, install = script.split(" && ")
    for cmd in (update, install):
        assert "Acquire::AllowInsecureRepositories=false" in cmd and "APT::Get::AllowUnauthenticated=false" in cmd
        assert f"Acquire::https::CAInfo=/{image.ROOT_CA}" in cmd      # the host's CAs, copied in by prepare_apt
        assert ("Acquire::Check-Valid-Until=false" in cmd) is stale_ok
    assert update.endswith(" update -qq") and install.endswith(" install -y -qq --no-install-recommends frr iproute2")
    for weak in ("allow-unauthenticated", "trusted=yes", "AllowInsecureRepositories=true", "allow-insecure"):
        assert weak not in script


def test_no_build_step_bypasses_the_checked_commands():
    """Every debootstrap and every apt-get command line of a build is made by the functions tested above."""
    import re
    from pathlib import Path
    lab = Path(image.__file__).parent
    src = {str(p.relative_to(lab)): p.read_text() for p in lab.rglob("*.py")}
    assert [n for n, t in src.items() if "Check-Valid-Until" in t] == ["image.py"]
    assert [n for n, t in src.items() if '"debootstrap", "--' in t] == ["image.py"]
    assert [n for n, t in src.items() if re.search(r"apt-get (-o|update|install -y)", t)] == []


def test_prepare_apt_gives_a_root_the_hosts_dns_and_cas(tmp_path):
    import os
    (tmp_path / "etc/apt").mkdir(parents=True)
    if not os.path.isfile(image.HOST_CA):
        pytest.skip(f"no {image.HOST_CA} on this machine")
    image.prepare_apt(tmp_path)
    assert (tmp_path / "etc/resolv.conf").read_bytes() == open("/etc/resolv.conf", "rb").read()
    assert (tmp_path / image.ROOT_CA).read_bytes() == open(image.HOST_CA, "rb").read()
