"""The faults fixture re-checks the steady state at teardown unless the test itself just proved it
and nothing has moved since: the skip must never hide a change."""
from __future__ import annotations

import time

from lab.observe.timeline import RouteEvent
from lab.pytest_plugin import Observer


class _Timeline:
    def __init__(self):
        self.evs: list[RouteEvent] = []
        self.errors: list[tuple[float, str, str]] = []

    def events(self, since, until=None):
        return [e for e in self.evs if e.t >= since]


def _observer() -> Observer:
    obs = Observer.__new__(Observer)          # no lab: only the bookkeeping is under test
    obs.timeline, obs.verified_at = _Timeline(), None
    return obs


def test_never_verified_means_check_again():
    assert not _observer().unchanged()


def test_verified_and_quiet_is_unchanged():
    obs = _observer()
    obs.timeline.evs.append(RouteEvent(time.time() - 5, "r1", "add", "198.19.0.0/24", True, 1))   # before: fine
    obs.verified()
    assert obs.unchanged()


def test_a_route_change_after_the_proof_forces_the_check():
    obs = _observer()
    obs.verified()
    obs.timeline.evs.append(RouteEvent(time.time() + 0.001, "r1", "del", "198.19.0.0/24", True, 1))
    assert not obs.unchanged()


def test_a_gap_in_the_record_after_the_proof_forces_the_check():
    obs = _observer()
    obs.verified()
    obs.timeline.errors.append((time.time() + 0.001, "r1", "netlink overrun"))
    assert not obs.unchanged()


class _Report:
    def add(self, *a):
        pass


def _restored(monkeypatch, ok: bool):
    from types import SimpleNamespace

    import lab.pytest_plugin as plugin

    res = SimpleNamespace(ok=ok, scenario="s", event="restore", kind="link", target="t", report="")
    monkeypatch.setattr(plugin, "after_restore", lambda *a, **kw: res)
    obs = _observer()
    obs.lab, obs.report, obs.scenario = SimpleNamespace(plan=None, paths=None, nodes=[]), _Report(), "s"
    return obs


def test_a_full_restore_to_no_failure_is_the_proof(monkeypatch):
    """A rehearsal's undrain restores through after_restore, not restore_and_check: the same proof."""
    from lab.config.oracle import NONE

    obs = _restored(monkeypatch, ok=True)
    obs.after_restore(None, NONE)
    assert obs.unchanged()


def test_what_is_not_a_full_proof_of_the_steady_state_is_not_taken_for_one(monkeypatch):
    from lab.config.oracle import NONE, Failures

    obs = _restored(monkeypatch, ok=True)
    obs.after_restore(None, Failures.of(links=[1]))
    assert not obs.unchanged(), "a failure still in place"
    obs.after_restore(None, NONE, check_rib=False)
    assert not obs.unchanged(), "RIB and FIB not compared"
    obs.after_restore(None, NONE, quiet_s=0.1)
    assert not obs.unchanged(), "a shorter quiet period than the steady check's"
    bad = _restored(monkeypatch, ok=False)
    bad.after_restore(None, NONE, check=False)
    assert not bad.unchanged(), "the restore did not converge"
