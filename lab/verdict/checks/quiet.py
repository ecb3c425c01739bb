"""The "quiet" verdict: the checks judge a settled lab (lab.observe.settle, strategy QUIET), or say they could not.

The candidate policy's weights are unknown, so "converged" cannot mean "equal to the oracle";
it means: every FRR router's kernel FIB (next hops and weights) and every BGP session state
stayed unchanged for a settle window.  Checks that read or probe the lab before that would
judge a moment, not the policy; a lab that never settles makes them INCONCLUSIVE."""
from __future__ import annotations

from lab.observe.settle import Settled, baseline
from lab.observe.settled import reader, snapshot
from lab.verdict.checks.verdict import CheckKind, Status, Verdict

__all__ = ["baseline", "reader", "snapshot", "verdict"]      # the lab's state, as the checks compare it


def verdict(q: Settled, settle_s: float, deadline_s: float) -> Verdict:
    if q.ok:
        return Verdict("quiet", CheckKind.QUIET, Status.PASS,
                       f"quiet after {q.seconds:.1f} s (nothing changed for {settle_s:g} s)",
                       {"waited_s": q.seconds, "settle_s": settle_s})
    return Verdict("quiet", CheckKind.QUIET, Status.INCONCLUSIVE,
                   f"never quiet within {deadline_s:g} s; still changing: {'; '.join(q.changing[:5])}",
                   {"waited_s": q.seconds, "settle_s": settle_s, "changing": q.changing})
