"""The shipped topologies' plans, each built once per test session.

A Plan is a frozen pydantic model holding tuples (a change is a ``model_copy``), so one object
serves every test that only reads a shipped topology's plan.  Tests of the planner itself, which
build from modified or generated topology text, still call ``build_plan``.
"""
from __future__ import annotations

from functools import cache

from lab.design.plan import Plan, build_plan
from lab.design.topology import load

from .conftest import TOPOLOGIES


def plan_of(name: str) -> Plan:
    """The plan of ``topologies/<name>`` ("bag-mini" or "bag-mini.yaml": one cache entry)."""
    return _built(name if name.endswith(".yaml") else f"{name}.yaml")


@cache
def _built(file: str) -> Plan:
    return build_plan(load(TOPOLOGIES / file))
