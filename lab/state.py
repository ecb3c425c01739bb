"""Where a running lab lives, so later commands and pytest can attach to it.

Everything a lab creates is named after the lab (``bl_<lab>_<node>``), so that
``down`` can find all of it by name even when the state directory is gone or
the harness was killed before it wrote anything.  What the lab records of itself (phase,
runtime, policy, who runs which policy and FRR version, ...) is a :class:`LabState`.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from lab import safe_io
from lab.errors import LabError
from lab.host.frr_install import host_version
from lab.design.plan import Plan

STATE_ROOT = Path(os.environ.get("BAGLAB_STATE", "/run/baglab"))
FRR_RUN = Path("/var/run/frr")
LAB_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,15}")
# names baglab itself uses in the bl_ namespace space: the kernel-MACsec probe makes bl_probe_<pid>-<start>_<hex>
RESERVED_LAB_NAMES = frozenset({"probe"})
DEFAULT_LAB = os.environ.get("BAGLAB_NAME", "default")


def check_lab_name(name: str) -> str:
    """A lab name becomes a path under STATE_ROOT, a namespace prefix and part of ``ip -batch`` lines,
    so it must be one plain word: fullmatch (a trailing newline must not pass), no '/', '.', '_' or glob
    characters, and not a name baglab reserves for itself."""
    if not isinstance(name, str) or not LAB_NAME_RE.fullmatch(name):
        raise LabError(f"lab name {name!r}: use 1-16 lower-case letters, digits or '-', starting with a letter")
    if name in RESERVED_LAB_NAMES:
        raise LabError(f"lab name {name!r} is reserved by baglab (its own probe namespaces use it)")
    return name


def is_lab_name(name: str) -> bool:
    try:
        check_lab_name(name)
    except LabError:
        return False
    return True


def lab_name_of_netns(ns: str) -> str | None:
    """The lab a ``bl_<lab>_<node>`` namespace belongs to, or None when the name is not one baglab
    could have made (another tool's namespace, or a hostile name such as ``bl_.._x``)."""
    parts = ns.split("_")
    ok = len(parts) >= 3 and parts[0] == "bl" and is_lab_name(parts[1])
    return parts[1] if ok else None


@dataclass(frozen=True)
class LabPaths:
    """Every path and name of one lab.  The name is checked here, where paths are made, so no caller
    (CLI, build, pytest option, bench) can point a lab outside STATE_ROOT."""
    name: str

    def __post_init__(self):
        check_lab_name(self.name)

    @property
    def root(self) -> Path:
        return STATE_ROOT / self.name

    @property
    def plan_file(self) -> Path:
        return self.root / "plan.json"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def node_dir(self, node: str) -> Path:
        return self.root / "nodes" / node

    @property
    def ns_prefix(self) -> str:
        return f"bl_{self.name}_"

    def netns(self, node: str) -> str:
        return f"{self.ns_prefix}{node}"

    def frr_dir(self, node: str) -> Path:
        return FRR_RUN / self.netns(node)

    def log_file(self, node: str) -> Path:
        return self.node_dir(node) / "frr.log"


@dataclass(frozen=True)
class LabState:
    """What ``state.json`` records of a running lab, one field per key.  None: the key is not in the
    file (or is null; a key is written only once set), so a rewrite keeps the file's shape.  Nothing else reads or
    writes the file: labs already running and the pytest harness's stale-lab check depend on it."""
    phase: str | None = None                # building, up, failed
    plan: str | None = None                 # the digest of the plan it was built from
    topology: str | None = None
    source: str | None = None               # the topology file
    runtime: str | None = None              # lab.runtime.RUNTIMES
    policy: str | None = None               # the lab's own policy directory
    policy_digest: str | None = None
    pid: int | None = None                  # the process that built it
    started: float | None = None            # time.time() at bring-up
    harness: dict | None = None             # lab.workflows.harness.harness(): the pytest session that owns it
    frr: str | None = None                  # 'up --frr': every router's version at bring-up
    converged_s: float | None = None
    macsec_backend: str | None = None       # shim, kernel, none
    node_policies: dict[str, str | None] | None = None  # router -> policy dir, off the lab's own
    node_versions: dict[str, str] | None = None         # router -> FRR version, off the built one
    # keys this code does not know (written by another baglab version): written back as they were
    extra: dict = field(default_factory=dict)

    @classmethod
    def read(cls, paths: LabPaths) -> LabState:
        """The lab's state; the empty state when there is no file or it is unreadable."""
        try:
            doc = json.loads(paths.state_file.read_text())
        except (OSError, ValueError):
            return cls()
        if not isinstance(doc, dict):
            return cls()
        known = {k: v for k, v in doc.items() if k in _FIELDS and v is not None}
        return cls(**known, extra={k: v for k, v in doc.items() if k not in _FIELDS})

    @classmethod
    def update(cls, paths: LabPaths, **changes) -> LabState:
        """Record ``changes`` (field=value; None drops the key) over what the file holds: the one
        write of state.json, atomic (safe_io.write_file), mode 0644 like every rewrite before it."""
        new = replace(cls.read(paths), **changes)
        paths.root.mkdir(parents=True, exist_ok=True)
        safe_io.write_file(paths.state_file, json.dumps(new.as_dict(), indent=1, sort_keys=True))
        return new

    def as_dict(self) -> dict:
        """The file's content (what 'baglab status --json' shows as the lab's state)."""
        known = {k: getattr(self, k) for k in _FIELDS if getattr(self, k) is not None}
        return {**self.extra, **known}

    @property
    def runtime_name(self) -> str:
        """The runtime that built the lab (netns when none is recorded)."""
        return self.runtime or "netns"

    def policy_of(self, node: str) -> str | None:
        """The policy directory ``node`` runs (None: the built-in policy)."""
        return (self.node_policies or {}).get(node, self.policy)


_FIELDS = tuple(f.name for f in fields(LabState) if f.name != "extra")


def node_policies(paths: LabPaths) -> dict[str, str]:
    """router -> policy directory, for the routers that do not run the lab's own policy."""
    return dict(LabState.read(paths).node_policies or {})


def policy_dir_of(paths: LabPaths, node: str) -> str | None:
    """The policy directory ``node`` runs (None: the built-in policy)."""
    return LabState.read(paths).policy_of(node)


def set_node_policy(paths: LabPaths, nodes: list[str], policy: str | None) -> None:
    """Record that ``nodes`` now run ``policy``; routers back on the lab's own policy leave the map."""
    state = LabState.read(paths)
    cur = dict(state.node_policies or {})
    for n in nodes:
        if policy == state.policy:
            cur.pop(n, None)
        else:
            cur[n] = policy
    LabState.update(paths, node_policies=cur)


def node_versions(paths: LabPaths) -> dict[str, str]:
    """router -> FRR version it runs, for the routers an upgrade moved off the version they were built with."""
    return dict(LabState.read(paths).node_versions or {})


def set_node_version(paths: LabPaths, built: Plan, nodes: list[str], version: str) -> None:
    """Record that ``nodes`` now run ``version``; routers back on the version they were built
    with leave the map (``built``: the plan as the lab was brought up)."""
    cur = node_versions(paths)
    for n in nodes:
        if same_version(built.node(n).frr, version):
            cur.pop(n, None)
        else:
            cur[n] = version
    LabState.update(paths, node_versions=cur)


def same_version(a: str | None, b: str | None) -> bool:
    """None is the host's FRR (lab.host.frr_install.host_version, 8.4 on Debian bookworm)."""
    return (a or host_version()) == (b or host_version())


def with_versions(plan: Plan, versions: dict[str, str]) -> Plan:
    """The plan with each router on the version it runs now: what renders its config (the
    ``frr version`` line), picks its daemons' root and gives the oracle its weight rule."""
    if not versions:
        return plan
    return plan.model_copy(update={"nodes": tuple(n.model_copy(update={"frr": versions[n.name]})
                                                  if n.name in versions else n for n in plan.nodes)})


def load_built_plan(paths: LabPaths) -> Plan:
    """The plan as the lab was brought up (upgrades not applied)."""
    try:
        return Plan.from_json(paths.plan_file.read_text())
    except OSError:
        raise LabError(f"no lab named {paths.name!r} is running (no {paths.plan_file}); start one with "
                       f"'baglab up TOPOLOGY --name {paths.name}'") from None


def load_plan(paths: LabPaths) -> Plan:
    """The running lab's plan: as built, with the FRR versions upgrades recorded (node_versions)."""
    return with_versions(load_built_plan(paths), node_versions(paths))
