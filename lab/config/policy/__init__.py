"""Policy directories: the user's own routing policy as Jinja2 fragments of FRR configuration,
rendered per router on top of baglab's skeleton and under baglab's mechanisms (drains, aggregation).

A policy directory::

    DIR/common.j2            optional: every FRR router
    DIR/role/<role>.j2       required for every role with FRR routers in the topology (bag, stsw, edge)
    DIR/region/<region>.j2   optional      DIR/plane/<n>.j2   optional (BAG plane n and its STSWs)
    DIR/node/<name>.j2       optional      DIR/intents.yaml   optional (the checks read it; not rendered)

Fragments render in that order with the context ``node``, ``sessions``, ``families``, ``policy``
and ``plan`` (docs/reference/policy-directory.md) and are appended after baglab's skeleton; the
drain twins, aggregation guards and drained bindings follow, derived from the rendered text, so
they apply to whatever maps the policy binds.  A policy directory is untrusted input rendered as
root: fragments render in a sandbox confined to the directory's own regular files (directory.py
says what a fragment cannot reach or build).

Call ``load_policy(dir, plan)`` once, then ``render_node`` per router; ``lab.config.render.render_all``
does both for a whole plan."""
from lab.config.policy.directory import DEFAULT_DIR, Policy, intents_of, load_policy
from lab.config.policy.mechanisms import live_bindings, read_config, without_superseded
from lab.config.policy.rendering import Block, Rendered, render_node

__all__ = ["DEFAULT_DIR", "Block", "Policy", "Rendered", "intents_of", "live_bindings", "load_policy", "read_config",
           "without_superseded", "render_node"]
