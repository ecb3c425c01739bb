"""The export of an accepted topology must not fail or crawl."""
from __future__ import annotations

import time

import pytest

from lab.errors import LabError
from lab.config.export import write
from lab.design.plan import Node, build_plan
from lab.design.topology import load

from ..conftest import TOPOLOGIES
from ..plans import plan_of


def test_digest_is_computed_once_and_not_inherited_by_changed_copies(mini):
    p = mini
    # against a plan built here: the shared one would compare with itself
    assert p.digest() == p.digest() == build_plan(load(TOPOLOGIES / "bag-mini.yaml")).digest()
    changed = p.model_copy(update={"transit_bandwidth": "link"})
    assert changed.digest() != p.digest()
    assert "_digest" not in p.to_json()


def test_generated_lab_exports_quickly(tmp_path):
    p = plan_of("bag-scale")
    t0 = time.process_time()
    write(p, tmp_path, "img")
    # every node's config serialised the whole plan again for its digest: 3 s for 116 routers
    assert time.process_time() - t0 < 1.5


def test_export_never_overwrites_its_bgp_directory_with_a_node(tmp_path, mini):
    p = mini
    coll = next(n for n in p.nodes if n.role == "collector")
    renamed = Node(**{**coll.model_dump(), "name": "bgp"})
    p = p.model_copy(update={"nodes": tuple(renamed if n is coll else n for n in p.nodes), "links": ()})
    with pytest.raises(LabError, match="configs/bgp"):
        write(p, tmp_path, "img")
