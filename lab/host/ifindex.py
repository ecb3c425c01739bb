"""Interface indexes of the lab's link ends, chosen from the plan.

The kernel's link-watch delivers a carrier change at once only when the device's ifindex differs
from its link's index (a veth's link is its peer); any other carrier change waits for the next
once-a-second batch (linkwatch_urgent_event).  Fresh namespaces number their veths alike (2, 3,
...), so both ends of a cable often share an index and a pulled cable reached FRR up to a second
late: the lab measured its own batching, not the router.  Every end gets an index unique
in the whole lab, so no end ever shares its peer's; ``bench/linkwatch.py`` shows the effect alone.

Derived from the link ids, not stored in the plan: plan digests do not change.
"""
from __future__ import annotations

from lab.design.plan import Link

# above anything a fresh namespace or a container (lo, docker's own devices) numbers by itself
BASE = 1000


def of_link(link: Link) -> tuple[int, int]:
    """(a end, b end): two consecutive indexes per link id, distinct everywhere in the lab."""
    return BASE + 2 * link.id, BASE + 2 * link.id + 1
