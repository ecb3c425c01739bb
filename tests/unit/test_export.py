"""containerlab export: valid against containerlab's published schema, and faithful to the plan."""
from __future__ import annotations

import json
import re
import shutil

import jsonschema
import pytest
import yaml

from lab.config import export
from lab.errors import LabError

from ..conftest import ROOT, TOPOLOGIES
from ..plans import plan_of

SCHEMA = json.loads((ROOT / "tests/data/containerlab/clab.schema.json").read_text())
IMAGE = "baglab/node:0123456789abcdef"


def validate(doc: dict) -> None:
    # draft-07; not cls.check_schema(): one of the schema's patterns (ipv6-addr) uses ECMAScript's
    # \p{N}\p{L}, which Python's re cannot compile (the export sets no field it governs)
    cls = jsonschema.validators.validator_for(SCHEMA)
    assert cls is jsonschema.Draft7Validator
    cls(SCHEMA).validate(doc)


@pytest.fixture(scope="module", params=["bag-mini.yaml", "bag-2region.yaml", "bag-routes.yaml"])
def written(request, tmp_path_factory):
    plan = plan_of(request.param)
    out = tmp_path_factory.mktemp("clab")
    exp = export.write(plan, out, IMAGE)
    return plan, exp, yaml.safe_load(exp.topology_file.read_text())


def test_export_validates_against_containerlab_schema(written):
    _, _, doc = written
    validate(doc)


def test_every_node_and_link_is_exported_from_the_plan(written):
    plan, exp, doc = written
    nodes = doc["topology"]["nodes"]
    assert set(nodes) == {n.name for n in plan.nodes}
    eps = [tuple(l["endpoints"]) for l in doc["topology"]["links"]]
    assert eps == [(f"{l.a.node}:{l.a.ifname}", f"{l.b.node}:{l.b.ifname}") for l in plan.links]
    for a, b in eps:      # node:ifname, interface names fit the kernel's 15 characters
        for ep in (a, b):
            assert re.fullmatch(r"\S+:\S+", ep) and len(ep.split(":")[1]) <= 15
    for n in plan.nodes:
        e = nodes[n.name]
        assert e["kind"] == "linux" and e["image"] == IMAGE
        assert e["network-mode"] == "none", "no management network: lab traffic never leaves the lab"


def test_binds_point_at_written_configs(written):
    plan, exp, doc = written
    base = exp.topology_file.parent
    for name, e in doc["topology"]["nodes"].items():
        for b in e["binds"]:
            src = b.split(":")[0]
            assert (base / src).exists(), f"{name}: bind source {src} missing"
        if plan.node(name).emulator == "frr":
            conf = (base / f"configs/{name}/frr.conf").read_text()
            assert "router bgp" in conf and "log file /var/log/frr/frr.log" in conf
            assert e["exec"][-1] == "/usr/lib/frr/frrinit.sh start"


def test_addresses_are_configured_by_exec(written):
    plan, _, doc = written
    for n in plan.nodes:
        cmds = doc["topology"]["nodes"][n.name]["exec"]
        assert f"ip addr add {n.router_id}/32 dev lo" in cmds
        for l in plan.links_of(n.name):
            e = l.end(n.name)
            assert f"ip addr add {e.ipv4} dev {e.ifname}" in cmds and f"ip addr add {e.ipv6} dev {e.ifname}" in cmds
            # the neighbour settings the lab's own runtimes give every interface (lab/host/sysctls.py)
            assert f"ip ntable change name ndisc_cache dev {e.ifname} gc_stale 3600000 queue 8028" in cmds
            assert f"ip ntable change name arp_cache dev {e.ifname} gc_stale 3600000 queue 8028" in cmds


def test_protected_links_export_as_plain_veths_under_the_router_interface(mini):
    plan = mini
    doc = export.topology(plan, IMAGE)
    prot = [l for l in plan.links if l.a.wire]
    assert prot, "bag-mini has MACsec links"
    eps = {tuple(l["endpoints"]) for l in doc["topology"]["links"]}
    for l in prot:
        assert (f"{l.a.node}:{l.a.ifname}", f"{l.b.node}:{l.b.ifname}") in eps
        assert not any(l.a.wire in x for ep in eps for x in ep)


def test_schema_rejects_a_broken_export(mini):
    """The validation can fail: an unknown kind, a network mode other than none/host and an
    unknown node key are caught.  (The schema's endpoint pattern sits under 'prefixItems', which
    draft-07 ignores: endpoints are checked by test_every_node_and_link_is_exported_from_the_plan.)"""
    plan = mini
    doc = export.topology(plan, IMAGE)
    doc["topology"]["nodes"]["r1-bag1"]["kind"] = "frr-router"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
    doc = export.topology(plan, IMAGE)
    doc["topology"]["nodes"]["r1-bag1"]["network-mode"] = "bridge"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
    doc = export.topology(plan, IMAGE)
    doc["topology"]["nodes"]["r1-bag1"]["mounts"] = ["x:/y"]
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_unknown_format_is_one_clear_error(tmp_path):
    with pytest.raises(LabError, match="unknown export format 'gns3'"):
        export.export_cli(str(TOPOLOGIES / "bag-mini.yaml"), "gns3", str(tmp_path), IMAGE)


def test_configs_with_a_tcp_md5_password_are_readable_by_their_owner_only(tmp_path, mini):
    exp = export.write(mini, tmp_path, IMAGE)
    holding = {p for p in exp.files if p.is_file() and " password " in p.read_text()}
    assert holding and set(exp.secret_files) == holding
    assert {p.stat().st_mode & 0o777 for p in holding} == {0o600}
    others = [p for p in exp.files if p.is_file() and p not in holding]
    assert others and {p.stat().st_mode & 0o777 for p in others} == {0o644}


def test_the_engineers_policy_is_what_the_export_renders(tmp_path, mini):
    plan = mini
    policy = ROOT / "topologies/policies/bag-mini/safe-tag"
    export.write(plan, tmp_path / "own", IMAGE, policy=policy)
    export.write(plan, tmp_path / "default", IMAGE)
    own = (tmp_path / "own/configs/r1-f1-p1s1/frr.conf").read_text()
    assert "64512:100" in own and "64512:100" not in (tmp_path / "default/configs/r1-f1-p1s1/frr.conf").read_text()


def test_a_policy_that_does_not_fit_the_plan_is_refused_before_writing(tmp_path, mini):
    plan = mini
    policy = tmp_path / "pol"
    shutil.copytree(ROOT / "topologies/policies/bag-mini/safe-tag", policy)
    (policy / "role/stsw.j2").unlink()          # a role without its file
    with pytest.raises(LabError, match="stsw"):
        export.write(plan, tmp_path / "x", IMAGE, policy=policy)
    assert not (tmp_path / "x").exists()


def test_each_router_runs_its_frr_versions_image(tmp_path):
    from lab.frr.version_image import tag_for
    topo = tmp_path / "mixed.yaml"
    topo.write_text((TOPOLOGIES / "bag-mini.yaml").read_text() + 'frr:\n  nodes:\n    r1-bag1: "10.3"\n')
    exp = export.export_cli(str(topo), "containerlab", str(tmp_path / "out"), None)
    nodes = yaml.safe_load(exp.topology_file.read_text())["topology"]["nodes"]
    assert nodes["r1-bag1"]["image"] == tag_for("10.3") != nodes["r1-bag2"]["image"] == tag_for(None)
    assert "frr version 10.3" in (tmp_path / "out/configs/r1-bag1/frr.conf").read_text()
