"""Policy directories: the user's own routing policy as Jinja2 fragments of FRR configuration,
rendered per router on top of baglab's skeleton and under baglab's mechanisms (drains, aggregation).

Call ``load_policy(dir, plan)`` once, then ``render_node`` per router; ``bgp.render.render_all``
does both for a whole plan."""
from .directory import DEFAULT_DIR, Policy, load_policy
from .mechanisms import live_bindings, read_config
from .rendering import Block, Rendered, render_node

__all__ = ["DEFAULT_DIR", "Block", "Policy", "Rendered", "live_bindings", "load_policy", "read_config",
           "render_node"]
