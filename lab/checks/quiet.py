"""The "quiet" verdict: the checks judge a settled lab (lab.settled), or say they could not.

The candidate policy's weights are unknown, so "converged" cannot mean "equal to the oracle";
it means: every FRR router's kernel FIB (next hops and weights) and every BGP session state
stayed unchanged for a settle window.  Checks that read or probe the lab before that would
judge a moment, not the policy; a lab that never settles makes them INCONCLUSIVE."""
from __future__ import annotations

from ..settled import Quiet, baseline, reader, snapshot, wait_quiet
from .verdict import Verdict

__all__ = ["Quiet", "baseline", "reader", "snapshot", "verdict", "wait_quiet"]


def verdict(q: Quiet, settle_s: float, deadline_s: float) -> Verdict:
    if q.ok:
        return Verdict("quiet", "quiet", "PASS", f"quiet after {q.waited_s:.1f} s (nothing changed for {settle_s:g} s)",
                       {"waited_s": q.waited_s, "settle_s": settle_s})
    return Verdict("quiet", "quiet", "INCONCLUSIVE",
                   f"never quiet within {deadline_s:g} s; still changing: {'; '.join(q.changing[:5])}",
                   {"waited_s": q.waited_s, "settle_s": settle_s, "changing": q.changing})
