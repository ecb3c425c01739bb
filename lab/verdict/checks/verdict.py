"""A check's verdict and the report of a whole run: what CI systems and ``baglab diff`` read.

INCONCLUSIVE is kept apart from FAIL on purpose: a lab that never went quiet says nothing about
the policy, and a CI job must be able to tell "the change is unsafe" from "we could not tell"."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from lab.exit_codes import FAILED, PASSED, UNDECIDED
from lab.text_enum import TextEnum


class Status(TextEnum):
    """A check's, a rollout phase's or a whole run's outcome (the JSON and JUnit reports' words)."""
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


class CheckKind(TextEnum):
    """The check kinds of an intent file, in running order: 'quiet' comes first by itself."""
    QUIET = "quiet"
    REACHABILITY = "reachability"
    SHARES = "shares"
    ATTRIBUTES = "attributes"
    ROUTES = "routes"
    ADVERTISED = "advertised"
    PATHS = "paths"
    DRAINS = "drains"
    SWEEP = "sweep"


KINDS = tuple(CheckKind)
#: the kinds a user may select (check --only, rollout --checks): all but 'quiet', which always runs
SELECTABLE = KINDS[1:]
SelectableKind = TextEnum("SelectableKind", [(k.name, k.value) for k in SELECTABLE])
#: what a rollout or upgrade judges after every phase unless told otherwise (drains and the sweep
#: would change the state being judged)
ROLLOUT_KINDS = (CheckKind.REACHABILITY, CheckKind.SHARES, CheckKind.ATTRIBUTES, CheckKind.ROUTES,
                 CheckKind.ADVERTISED, CheckKind.PATHS)


@dataclass
class Verdict:
    check: str                  # stable id, e.g. "reach:f1->f3:ipv4"
    kind: CheckKind
    status: Status
    summary: str
    evidence: dict = field(default_factory=dict)
    seconds: float = 0.0


def exit_code(verdicts: list[Verdict]) -> int:
    """0: every check passed; 1: a check failed; 3: none failed but one could not decide (or none ran)."""
    if any(v.status == Status.FAIL for v in verdicts):
        return FAILED
    if verdicts and all(v.status == Status.PASS for v in verdicts):
        return PASSED
    return UNDECIDED


@dataclass
class CheckReport:
    topology: str
    lab: str
    intents: str
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return exit_code(self.verdicts)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(v.status == s for v in self.verdicts) for s in Status}

    def as_dict(self) -> dict:
        return {"topology": self.topology, "lab": self.lab, "intents": self.intents, "seconds": self.seconds,
                "exit_code": self.exit_code, "counts": self.counts(), "verdicts": [asdict(v) for v in self.verdicts]}
