"""What a runtime does, as a protocol: lab/workflows/build.py, faults, observers and the CLI use only this.

Runtimes are built by composition (lab/runtime/plumbing.py: namespaces, veths, addresses;
lab/runtime/frr.py: starting the daemons; lab/runtime/teardown.py: down), never by subclassing
one another.  A runtime that lacks a capability says so in ``makes_links`` instead of
offering a method that does nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

from lab.design.plan import Plan
from lab.state import LabPaths

Progress = Callable[[str, int, int], None]   # step, done, total


def _noop(step: str, done: int, total: int) -> None:
    pass


@dataclass
class DownReport:
    namespaces: int = 0
    processes: int = 0
    survivors: list[int] = field(default_factory=list)
    leftover_ns: list[str] = field(default_factory=list)
    passes: int = 0
    seconds: float = 0.0


@runtime_checkable
class Runtime(Protocol):
    name: str
    python: str              # what ExaBGP's helper processes run with
    paths: LabPaths
    # True: the pipeline asks the runtime for veths and addresses (create_links,
    # configure_interfaces) and sets up the MACsec ports in between.  False: the runtime wires
    # and addresses the nodes itself (containerlab at deploy) and has no MACsec ports.
    makes_links: bool

    def check_host(self) -> None:
        """Raise LabError with advice when this host cannot run the runtime."""

    def create_namespaces(self, plan: Plan, progress: Progress = _noop) -> None:
        """One network namespace per node, attached as paths.netns(node), sysctls set."""

    def create_links(self, plan: Plan, progress: Progress = _noop) -> None:
        """A veth per member link, both ends inside the node namespaces (makes_links only)."""

    def configure_interfaces(self, plan: Plan, progress: Progress = _noop) -> None:
        """Addresses on lo and on the routers' interfaces, all up (makes_links only)."""

    def write_configs(self, plan: Plan, configs: dict[str, dict[str, str]]) -> None:
        """The rendered files of every node, in its state directory."""

    def start_daemons(self, plan: Plan, progress: Progress = _noop, nodes: list[str] | None = None) -> None:
        """Start every node's daemons (nodes=None) or restart those of a few nodes."""

    def processes(self, plan: Plan) -> dict[str, dict[str, int | None]]:
        """node -> daemon -> host pid (None when not running)."""

    def infrastructure_pids(self, node: str) -> set[int]:
        """Processes of the node that a node fault must leave alone."""

    def exec_argv(self, node: str, argv: list[str]) -> list[str]:
        """The host command that runs argv inside the node."""

    def down(self) -> DownReport:
        """Remove everything of the lab; returns once none of its processes lives."""
