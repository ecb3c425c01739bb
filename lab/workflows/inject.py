"""A fault, drain or impairment applied to (or taken off) one Lab, then, when asked, judged
against the oracle: what ``fault``, ``drain``, ``undrain``, ``impair`` and ``restore`` do.

Each takes the command's open :class:`lab.session.Lab` and reports through callbacks as it goes,
so the CLI can say what was done before the (possibly long) wait for convergence."""
from __future__ import annotations

from typing import Callable, Optional

from lab.errors import LabError
from lab.faults.impairment import active_on
from lab.session import Lab
from lab.verdict.measure import EventResult, after_fault, after_restore


def inject(lab: Lab, make, wait: bool, check=None, on_made: Callable = lambda _f: None) -> Optional[EventResult]:
    """``check(plan)`` first (a typo fails before any timeline or runtime is touched), then the
    fault ``make(faults, plan)`` returns; with ``wait``, the verdict once the lab converged."""
    if check:
        check(lab.plan)
    fi = lab.faults
    tl = lab.timeline if wait else None        # started before the fault, so its changes are seen
    f = make(fi, lab.plan)
    on_made(f)
    return after_fault(lab.plan, lab.paths, tl, f, fi.failures(), "cli") if tl else None


def undrain(lab: Lab, pick, wait: bool, on_undrained: Callable = lambda _f: None) -> Optional[EventResult]:
    """Take back every active drain ``pick`` selects; with ``wait``, the verdict after the last."""
    fi = lab.faults
    targets = [f for f in fi.drains() if pick(f)]
    if not targets:
        raise LabError("no such active drain; active: " + (", ".join(f.target for f in fi.drains()) or "none"))
    tl = lab.timeline if wait else None
    for f in targets:
        fi.restore(f)
        on_undrained(f)
    return after_restore(lab.plan, lab.paths, tl, targets[-1], fi.failures(), "cli") if tl else None


def restore(lab: Lab, fault_id: Optional[int], wait: bool,
            on_restored: Callable = lambda _done, _drains_left: None) -> Optional[EventResult]:
    """Undo fault ``fault_id`` (None: every active fault; drains stay); with ``wait``, the verdict."""
    fi = lab.faults
    target = next((f for f in fi.faults() if f.id == fault_id), None) if fault_id else None
    if fault_id and (target is None or target.restored is not None):
        raise LabError(f"no active fault {fault_id}; see 'baglab faults'")
    tl = lab.timeline if wait else None
    done = fi.restore(target, drains=False)
    on_restored(done, bool(fi.drains()))
    return after_restore(lab.plan, lab.paths, tl, done[0], fi.failures(), "cli") if tl and done else None


def clear_impairments(lab: Lab, links: list, wait: bool, on_cleared: Callable = lambda _f: None) -> Optional[EventResult]:
    """Undo the impairment of every one of ``links`` (all or none); with ``wait``, the verdict."""
    faults = lab.faults.faults()
    bare = [f"member {l.member}" for l in links if active_on(faults, l) is None]
    if bare:        # all or nothing: a half-cleared bundle is not what was asked for
        raise LabError(f"{links[0].bundle} {', '.join(bare)} is not impaired; see 'baglab faults'")
    tl = lab.timeline if wait else None
    done = [lab.faults.clear_impairment(link) for link in links]
    for f in done:
        on_cleared(f)
    return after_restore(lab.plan, lab.paths, tl, done[-1], lab.faults.failures(), "cli") if tl else None
