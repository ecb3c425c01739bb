"""A phase's candidate config applied to one running router (lab.frr.reload: frr-reload.py and
what baglab adds to it)."""
from __future__ import annotations

from lab.config.render import frr_files

from lab.frr.reload import ReloadResult
from lab.frr.router import Router
from lab.design.plan import Plan
from lab.state import LabPaths


def reload_node(plan: Plan, paths: LabPaths, node: str, text: str) -> ReloadResult:
    """Write ``text`` (the router's complete rendered frr.conf) as the router's config and apply
    its difference to the running router."""
    plan.node(node)     # KeyError for a node the plan does not have
    return Router(paths, node).reload(frr_files(text, node))
