"""status judges the lab against the faults in force: a plane that is off, as predicted, is as designed."""
from __future__ import annotations

from lab.config.oracle import Failures
from lab.config.render import sessions
from lab.faults.names import plane_nodes
from lab.workflows.status import is_converged, judge_sessions, session_expected_up


def _plane1_r1(mini) -> Failures:
    names, _ = plane_nodes(mini, 1, "r1")
    return Failures.of(nodes=names)


def test_sessions_to_a_router_that_is_off_are_down_by_fault(mini):
    failures = _plane1_r1(mini)
    off = next(iter(failures.nodes))
    peer = next(n for n in mini.nodes if n.name not in failures.nodes
                and {s.peer == off for s in sessions(mini, n)} == {True, False})
    planned = sessions(mini, peer)
    to_off = [s for s in planned if s.peer == off]
    others = [s for s in planned if s.peer != off]
    assert to_off and others
    state = {s.addr: "Established" for s in others} | {s.addr: "Active" for s in to_off}
    judged = judge_sessions(mini, failures, peer.name, planned, state)
    assert judged["down"] == []
    assert len(judged["down_by_fault"]) == len(to_off)
    assert all(not session_expected_up(mini, failures, peer.name, s.link) for s in to_off)


def test_a_session_down_without_a_fault_is_still_reported(mini):
    peer = next(n for n in mini.nodes if n.role == "bag")
    planned = sessions(mini, peer)
    state = {s.addr: "Established" for s in planned[1:]}
    judged = judge_sessions(mini, Failures(), peer.name, planned, state)
    assert len(judged["down"]) == 1 and judged["down_by_fault"] == []


def test_a_failed_link_explains_its_session(mini):
    peer = next(n for n in mini.nodes if n.role == "bag")
    s = sessions(mini, peer)[0]
    assert session_expected_up(mini, Failures(), peer.name, s.link)
    assert not session_expected_up(mini, Failures.of(links=[s.link]), peer.name, s.link)


def test_the_stale_fib_of_a_crashed_router_is_not_judged():
    route = {"prefix": "198.19.0.0/24", "as_designed": False}
    off = {"failed": True, "routes": [route], "sessions": {"down": []}}
    on = {"failed": False, "routes": [{**route, "as_designed": True}], "sessions": {"down": []}}
    assert is_converged([off, on])
    assert not is_converged([{**off, "failed": False}, on])
    assert not is_converged([off, {**on, "sessions": {"down": ["r1-bag1 x ipv4: Active"]}}])
