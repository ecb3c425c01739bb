"""The fault journal: every fault of a lab with its undo, in the lab's state directory.

``{"next_id": N, "faults": [...]}``: ids come from the counter, so an id is never given twice,
even after a failed fault is dropped from the list.  Written whole and atomically, 0600 (the undo
of a TCP-MD5 fault names the link's password).  The list-only format of earlier versions is read
too, so a lab faulted before an upgrade can still be restored.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lab import safe_io
from lab.errors import LabError
from lab.faults import impairment  # noqa: F401 - registers its fault type and action for reading journals
from lab.faults import members  # noqa: F401 - registers its fault type for reading journals
from lab.faults.actions import action_from_legacy
from lab.faults.kinds import FAULT_TYPES, Fault, FaultKind


@dataclass
class Entries:
    next_id: int = 1
    faults: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> Fault:
        """Number the fault from the counter and append it."""
        fault.numbered(self.next_id)
        self.next_id += 1
        self.faults.append(fault)
        return fault

    def drop(self, fid: int) -> None:
        """Forget a fault (it failed and was rolled back); its id stays used."""
        self.faults = [f for f in self.faults if f.id != fid]

    def to_json(self) -> dict:
        return {"next_id": self.next_id, "faults": [f.to_json() for f in self.faults]}


class Journal:
    def __init__(self, path: Path):
        self.path = path

    def read(self) -> Entries:
        """The journal as it is on disk; none yet means no faults.  A journal that cannot be
        understood is an error, not an empty list: forgetting an undo would leave the lab broken."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return Entries()
        except OSError as e:
            raise LabError(f"cannot read the fault journal {self.path}: {e}") from None
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise LabError(f"the fault journal {self.path} is not JSON ({e})") from None
        return parse(doc, self.path)

    def write(self, entries: Entries) -> None:
        safe_io.write_file(self.path, json.dumps(entries.to_json(), indent=1), mode=0o600)


def parse(doc, where: Path | str = "fault journal") -> Entries:
    """The journal's JSON as typed faults; the counter never goes below an id already given."""
    if isinstance(doc, list):
        faults = [legacy_fault(f) for f in doc]
        return Entries(max((f.id for f in faults), default=0) + 1, faults)
    if not isinstance(doc, dict) or not isinstance(doc.get("faults"), list):
        raise LabError(f"{where}: expected {{'next_id': N, 'faults': [...]}}")
    faults = [Fault.from_json(f) for f in doc["faults"]]
    next_id = doc.get("next_id")
    if not isinstance(next_id, int):
        raise LabError(f"{where}: 'next_id' must be a number, not {next_id!r}")
    return Entries(max([next_id] + [f.id + 1 for f in faults]), faults)


def legacy_fault(doc) -> Fault:
    """A fault as journalled before typed faults: only its undo steps were kept, as lists, and its
    scope lived in the display text (recovered here for the kinds undrain matches on)."""
    if not isinstance(doc, dict) or not {"id", "kind", "target", "undo"} <= set(doc):
        raise LabError(f"fault journal (old format): not a fault: {doc!r}")
    kind = FaultKind.parse(doc["kind"])
    cls = FAULT_TYPES[_LEGACY_TYPES.get(kind, "nodes" if doc.get("nodes") else "links")]
    return cls(id=int(doc["id"]), kind=kind, target=doc["target"], started=doc.get("started", 0.0),
               restored=doc.get("restored"), links=list(doc.get("links", [])), nodes=list(doc.get("nodes", [])),
               withdrawn=list(doc.get("withdrawn", [])), drained=[list(d) for d in doc.get("drained", [])],
               scope=legacy_scope(kind, doc["target"]), inverse=[action_from_legacy(a) for a in doc["undo"]])


_LEGACY_TYPES = {FaultKind.WITHDRAW: "withdrawal", FaultKind.MACSEC_MISMATCH: "macsec-mismatch",
                 FaultKind.MD5_MISMATCH: "md5-mismatch", FaultKind.SESSION_RESET: "session-reset",
                 FaultKind.DRAIN_NODE: "drain", FaultKind.DRAIN_PLANE: "drain", FaultKind.DRAIN_LINK: "drain"}
_PLANE = re.compile(r"BAG plane (\d+)(?: of (\S+))?")


def legacy_scope(kind: FaultKind, target: str) -> dict:
    """The fields a drain's old display text stood for ("BAG plane 1 of r1", "r1-bag1", "b members [1]")."""
    m = _PLANE.fullmatch(target)
    if kind == FaultKind.DRAIN_PLANE and m:
        return {"plane": int(m.group(1)), "region": m.group(2)}
    if kind == FaultKind.DRAIN_NODE:
        return {"nodes": target.split(", ")}
    if kind == FaultKind.DRAIN_LINK:
        return {"bundle": target.split(" ")[0]}
    return {}
