"""The containerlab runtime: baglab exports the lab (lab/config/export.py) and drives the ``containerlab``
binary through subprocess: ``deploy -t``, ``inspect --format json``, ``destroy --cleanup``.

containerlab creates the containers, the veths and runs each node's ``exec`` (addresses, then
FRR's frrinit.sh / ExaBGP / the bulk speaker).  baglab then attaches every container's network
namespace as ``bl_<lab>_<node>`` and binds the host's ``/var/run/frr/<netns>/`` as the container's
``/var/run/frr`` (and the node's state directory as ``/var/log/frr``), so observers, faults and
FRR's shell (``-N``) work as on the other runtimes.  MACsec-protected links are plain veths here (the
export does not carry the SecY).

Not exercised on the development machine (no containerlab binary there): the argv and the
parsing of ``inspect`` are unit-tested, the live test skips without the binary.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from lab import safe_io
from lab.errors import LabError
from lab.frr.router import Router
from lab.design.plan import Plan
from lab.state import LabPaths, LabState
from lab.runtime import frr
from lab.runtime.base import DownReport, Progress, _noop
from lab.runtime.docker_engine import LABEL_LAB, LABEL_NODE, engine, remove_lab_containers
from lab.runtime.plumbing import HostPlumbing
from lab.runtime.teardown import teardown

BINARY = "containerlab"
PREFIX = "bl"


def deploy_argv(topo: Path) -> list[str]:
    return [BINARY, "deploy", "-t", str(topo), "--reconfigure"]


def inspect_argv(topo: Path) -> list[str]:
    return [BINARY, "inspect", "-t", str(topo), "--format", "json"]


def destroy_argv(topo: Path) -> list[str]:
    return [BINARY, "destroy", "-t", str(topo), "--cleanup"]


def clab_lab_name(lab: str) -> str:
    return f"baglab-{lab}"


def container_prefix(lab: str) -> str:
    return f"{PREFIX}-{clab_lab_name(lab)}-"


def parse_inspect(text: str, lab: str) -> dict[str, dict]:
    """node -> container record from ``containerlab inspect --format json``.  Accepts both the
    older layout (``{"containers": [...]}``) and the newer one (``{"<lab>": [...]}``)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LabError(f"containerlab inspect gave no JSON ({exc}): {text[:200]!r}") from None
    if isinstance(data, dict) and isinstance(data.get("containers"), list):
        rows = data["containers"]
    elif isinstance(data, dict):
        rows = [r for v in data.values() if isinstance(v, list) for r in v]
    elif isinstance(data, list):
        rows = data
    else:
        raise LabError(f"containerlab inspect: unexpected JSON {type(data).__name__}")
    prefix = container_prefix(lab)
    out = {}
    for r in rows:
        name = str(r.get("name") or r.get("Names", [""])[0]).lstrip("/")
        if r.get("lab_name", clab_lab_name(lab)) != clab_lab_name(lab) or not name.startswith(prefix):
            continue
        out[name[len(prefix):]] = r
    return out


class ContainerlabRuntime:
    """containerlab makes the containers, links and addresses at deploy (start_daemons): this
    runtime has no link step and no MACsec ports (makes_links False)."""
    name = "containerlab"
    python = "/opt/exabgp/bin/python"
    makes_links = False

    def __init__(self, paths: LabPaths):
        self.paths = paths
        self.host = HostPlumbing(paths)

    @property
    def topo_file(self) -> Path:
        return self.paths.root / "clab" / f"{clab_lab_name(self.paths.name)}.clab.yml"

    @staticmethod
    def check_host() -> None:
        frr.check_frr_host()
        if not shutil.which(BINARY):
            raise LabError("the containerlab runtime needs the 'containerlab' binary on PATH "
                           "(https://containerlab.dev/install/); the docker runtime needs only Docker")
        engine()

    def _run(self, argv: list[str], timeout: float = 600) -> str:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise LabError(f"{' '.join(argv)} failed ({r.returncode}):\n{(r.stderr or r.stdout)[-2000:]}")
        return r.stdout

    # bring-up: containerlab makes namespaces and links itself, at deploy (start_daemons)
    def create_namespaces(self, plan: Plan, progress: Progress = _noop) -> None:
        """Only records that the lab has no MACsec ports: the namespaces come at deploy."""
        LabState.update(self.paths, macsec_backend="none")

    def create_links(self, plan: Plan, progress: Progress = _noop) -> None:
        raise LabError("containerlab wires the links itself at deploy (makes_links is False)")

    def configure_interfaces(self, plan: Plan, progress: Progress = _noop) -> None:
        raise LabError("containerlab addresses the interfaces itself at deploy (makes_links is False)")

    def write_configs(self, plan: Plan, configs: dict[str, dict[str, str]]) -> None:
        frr.write_configs(self.paths, plan, configs)

    def deploy(self, plan: Plan) -> dict[str, dict]:
        from lab.config.export import write
        from lab.frr.image import ensure

        def binds(node: str) -> list[str]:
            return [f"{self.paths.frr_dir(node)}:/var/run/frr", f"{self.paths.node_dir(node)}:/var/log/frr"]
        exp = write(plan, self.topo_file.parent, ensure(), clab_lab_name(self.paths.name), node_binds=binds)
        import yaml
        doc = yaml.safe_load(exp.topology_file.read_text())
        doc["prefix"] = PREFIX
        for node, entry in doc["topology"]["nodes"].items():
            entry["labels"].update({LABEL_LAB: self.paths.name, LABEL_NODE: node})
        safe_io.write_file(exp.topology_file, yaml.safe_dump(doc, sort_keys=False))
        self._run(deploy_argv(self.topo_file))
        found = parse_inspect(self._run(inspect_argv(self.topo_file)), self.paths.name)
        missing = [n.name for n in plan.nodes if n.name not in found]
        if missing:
            raise LabError(f"containerlab inspect does not list {missing}")
        client = engine()
        for n in plan.nodes:
            c = client.containers.get(container_prefix(self.paths.name) + n.name)
            self.host.attach(n.name, c.attrs["State"]["Pid"])
        return found

    def start_daemons(self, plan: Plan, progress: Progress = _noop, nodes: list[str] | None = None) -> None:
        if nodes is None:
            self.deploy(plan)
            return
        client = engine()
        from lab.config.export import node_entry
        for n in nodes:     # a node fault's restart: run the node's start command again
            c = client.containers.get(container_prefix(self.paths.name) + n)
            start = node_entry(plan, plan.node(n), "", "")["exec"][-1]
            res = c.exec_run(["sh", "-c", start])
            if res.exit_code != 0:
                raise LabError(f"restarting {n} in containerlab: {res.output.decode(errors='replace')[-500:]}")

    def processes(self, plan: Plan) -> dict[str, dict[str, int | None]]:
        return self.host.processes(plan)

    def infrastructure_pids(self, node: str) -> set[int]:
        try:
            c = engine().containers.get(container_prefix(self.paths.name) + node)
            return {c.attrs["State"]["Pid"]}
        except Exception:  # noqa: BLE001
            return set()

    def exec_argv(self, node: str, argv: list[str]) -> list[str]:
        argv = Router(self.paths, node, self).exec_argv(argv, pathspace=False)   # the container's own FRR shell
        return ["docker", "exec", "-i", container_prefix(self.paths.name) + node] + argv

    def down(self) -> DownReport:
        if self.topo_file.exists() and shutil.which(BINARY):
            subprocess.run(destroy_argv(self.topo_file), capture_output=True, text=True, timeout=600)
        remove_lab_containers(self.paths.name)
        return teardown(self.paths)
