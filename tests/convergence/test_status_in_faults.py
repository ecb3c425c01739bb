"""Live: `baglab status` judges the lab against the faults in force.  During a fault the oracle
predicts, status must say "as designed": sessions to a router that is off are down by fault, and
a crashed router's stale FIB is not held against the lab."""
from __future__ import annotations

import pytest

from lab.workflows.status import gather

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("make", [lambda fi: fi.plane(1, "r1"), lambda fi: fi.node("r1-bag1", "crash")],
                         ids=["plane-1-of-r1-power", "r1-bag1-crash"])
def test_status_is_as_designed_during_a_predicted_fault(lab, faults, observe, make):
    f = make(faults)
    observe.after_fault(f, faults.failures())
    st = gather(lab.session)
    off = {n["name"]: n for n in st["nodes"] if n.get("failed")}
    assert set(off) == {"r1-bag1"}, off
    unexplained = {n["name"]: n["sessions"]["down"] for n in st["nodes"] if n["sessions"]["down"]}
    assert not unexplained, unexplained
    assert any(n["sessions"]["down_by_fault"] for n in st["nodes"] if not n.get("failed")), \
        "the routers that peer with r1-bag1 must show those sessions down by fault"
    wrong = [(n["name"], r["prefix"]) for n in st["nodes"] if not n.get("failed") for r in n["routes"]
             if not r["as_designed"]]
    assert not wrong and st["converged"] is True, wrong
    faults.restore_and_check(f)
