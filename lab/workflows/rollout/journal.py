"""Which router runs which policy, and how far a rollout got: what survives a Ctrl-C or a crash.

Two records, both in the lab's state directory.  The lab's state (``state.json``) keeps
``node_policies`` (router -> policy directory, for routers not on the lab's own policy), because
everything that re-renders a router's config (a drain, an undrain, a restart) must render *that*
router's policy, rollout or not.  ``rollout.json`` keeps the rollout itself: its inputs, its
phases as resolved router lists, which phases are done, and the phase in progress, so
``baglab rollout --resume`` continues and ``baglab rollback`` knows what to undo.  Each is written
before the action it describes, so an interruption leaves a record that is at most one step ahead.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lab import safe_io
from lab.errors import LabError
from lab.state import LabPaths, node_policies, node_versions
from lab.text_enum import TextEnum
from lab.workflows.rollout.phases import Phase


class Progress(TextEnum):
    """How far a rollout got, as its record says (what --resume and rollback decide by)."""
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ROLLED_BACK = "rolled-back"


@dataclass
class RolloutRecord:
    baseline: str | None
    candidate: str
    phases_file: str
    intents: str | None
    drain: bool
    phases: list[dict]                  # Phase as dicts: name, routers, drain
    done: list[int] = field(default_factory=list)      # indexes of phases finished (pass or fail)
    current: int | None = None          # the phase being applied
    drain_fault: int | None = None      # the current phase's drain (a fault id in the fault journal)
    status: Progress = Progress.RUNNING
    frr: str | None = None              # an upgrade: the FRR version every phase's routers move to

    def phase_list(self) -> list[Phase]:
        return [Phase(p["name"], tuple(p["routers"]), p["drain"]) for p in self.phases]


def path(paths: LabPaths) -> Path:
    return paths.root / "rollout.json"


def write(paths: LabPaths, rec: RolloutRecord) -> None:
    safe_io.write_file(path(paths), json.dumps(asdict(rec), indent=1), mode=0o600)


def read(paths: LabPaths) -> RolloutRecord | None:
    try:
        return RolloutRecord(**json.loads(path(paths).read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise LabError(f"rollout journal {path(paths)} is unreadable ({exc}); 'baglab rollback' needs it") from None


def new(paths: LabPaths, baseline, candidate, phases_file, intents, drain: bool, phases: list[Phase],
        frr: str | None = None) -> RolloutRecord:
    """Start a record; refuses while another rollout on the lab is unfinished."""
    old = read(paths)
    moved = set(node_policies(paths)) | set(node_versions(paths))
    if old is not None and old.status in (Progress.RUNNING, Progress.INTERRUPTED, Progress.FAILED) and moved:
        raise LabError(f"lab {paths.name} is half rolled out ({old.candidate}, phases done: {len(old.done)}); "
                       f"continue with 'baglab rollout ... --resume' or undo with 'baglab rollback --name {paths.name}'")
    rec = RolloutRecord(None if baseline is None else str(baseline), str(candidate), str(phases_file),
                        None if intents is None else str(intents), drain,
                        [{"name": p.name, "routers": list(p.routers), "drain": p.drain} for p in phases], frr=frr)
    write(paths, rec)
    return rec
