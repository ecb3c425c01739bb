"""The docker runtime: every FRR / ExaBGP node is a container, wired as containerlab wires them.

Each node's container (image from lab/frr/image.py) runs only an init (docker-init/tini
holding ``sleep infinity``) with ``network_mode=none``: its network namespace has nothing but
``lo``.  The namespace is attached as ``/run/netns/bl_<lab>_<node>`` (``ip netns attach``, as
containerlab does), so veths, addresses, sysctls, nftables, the MACsec SecY, observers and faults
reach the node exactly as in the netns runtime.  The routing daemons run *inside* the container
(``docker exec``): FRR from the image, with the host's ``/var/run/frr/<netns>/`` bind-mounted at
the same path (the host's FRR shell reaches them by ``-N <netns>``) and the node's state directory likewise;
ExaBGP (fabric emulator or collector) from the image's /opt/exabgp with the project's node
programs (lab/nodes) bound read-only for its helper processes.

Deliberately on the host, inside the node's namespace: the MACsec SecY (the box's port hardware)
and baglab's bulk BGP speaker (``emulator: bulk``), both project Python code.

A container is never restarted: a restart gives it a new, empty network namespace.  Node faults
kill the daemons (the host sees their pids in the namespace) and start them again with exec;
the container's init is left alone.  Containers are labelled with the lab's name, so ``down``
finds them even when the lab's state is gone.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lab.nodes

from lab.errors import LabError
from lab.frr.root import mgmtd_argv
from lab.frr.router import Router
from lab.design.plan import Plan
from lab.state import LabPaths
from lab import safe_io
from lab.host import nsutil
from lab.design.node_kinds import COLLECTOR, EXABGP, kind_of
from lab.runtime import frr
from lab.runtime.base import DownReport, Progress, _noop
from lab.runtime.docker_engine import LABEL_LAB, LABEL_NODE, WORKERS, engine
from lab.runtime.frr import DaemonLauncher
from lab.runtime.plumbing import HostPlumbing
from lab.runtime.teardown import DOWN_DEADLINE_S, teardown

IMAGE_FRR_BIN = "/usr/lib/frr"
IMAGE_PYTHON = "/opt/exabgp/bin/python"
IMAGE_EXABGP = "/opt/exabgp/bin/exabgp"
NODES_SRC = Path(lab.nodes.__file__).resolve().parent
# where the image's python finds them: /opt/baglab is on its path, lab/ a namespace package there
NODES_IN_IMAGE = "/opt/baglab/lab/nodes"
# zebra programs routes (NET_ADMIN), FRR's privilege code asks for SYS_ADMIN and NET_RAW too
CAPS = ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"]
EXEC_SLOTS = threading.BoundedSemaphore(6)
# Docker disables IPv6 in a container without an IPv6 network; the lab's links and loopbacks need it
# (set before the veths arrive, so they inherit 'default')
IPV6_ON = {"net.ipv6.conf.all.disable_ipv6": "0", "net.ipv6.conf.default.disable_ipv6": "0",
           "net.ipv6.conf.lo.disable_ipv6": "0"}


def _log(m: str) -> None:
    print(f"baglab: {m}", file=sys.stderr, flush=True)


def _stderr_to_file(argv: list[str]) -> list[str]:
    """FRR 10 keeps the stderr it was started with after daemonizing: a docker exec reading it
    would wait for the daemon to exit, so it writes to a file the shell hands back."""
    return ["/bin/sh", "-c", 'e=$(mktemp); "$@" 2>"$e"; rc=$?; cat "$e" >&2; rm -f "$e"; exit $rc', "sh", *argv]


class _Exec:
    """A ``docker exec`` that runs in a thread and looks like the Popen start_daemons expects.
    At most EXEC_SLOTS run at once: 116 simultaneous execs starve dockerd on two cores."""

    def __init__(self, container, argv: list[str], env: dict | None = None):
        self.returncode: int | None = None
        self._out = self._err = b""
        self._t = threading.Thread(target=self._run, args=(container, argv, env), daemon=True)
        self._t.start()

    def _run(self, container, argv, env):
        try:
            with EXEC_SLOTS:
                res = container.exec_run(argv, environment=env, demux=True)
            self.returncode = res.exit_code
            self._out, self._err = res.output[0] or b"", res.output[1] or b""
        except Exception as exc:  # noqa: BLE001 - reported like a failed start
            self.returncode, self._err = 125, f"docker exec: {exc}".encode()

    def communicate(self, timeout: float | None = None):
        self._t.join(timeout)
        if self._t.is_alive():
            raise subprocess.TimeoutExpired("docker exec", timeout)
        return self._out, self._err

    def poll(self):
        return self.returncode


class DockerRuntime:
    """Containers for the namespaces, docker exec for the daemons; links, addresses, processes
    and down are the host's (HostPlumbing, teardown), as for the netns runtime."""
    name = "docker"
    python = IMAGE_PYTHON     # ExaBGP's helper processes run with the image's Python
    makes_links = True

    def __init__(self, paths: LabPaths, image: str | None = None):
        self.paths = paths
        self.host = HostPlumbing(paths)
        self.launcher = DaemonLauncher(paths, self._spawn_frr, self._spawn_exabgp)
        self._image = image
        self._images: dict[str | None, str] = {}      # FRR version -> its image's tag
        self._versions: dict[str, str | None] | None = None
        self._client = None
        self._containers: dict[str, object] = {}

    @property
    def client(self):
        if self._client is None:
            self._client = engine()
        return self._client

    def container_name(self, node: str) -> str:
        return self.paths.netns(node)      # bl_<lab>_<node>: unique per lab, as the namespace

    def container(self, node: str):
        if node not in self._containers:
            import docker
            try:
                self._containers[node] = self.client.containers.get(self.container_name(node))
            except docker.errors.NotFound:
                raise LabError(f"the container of {node} ({self.container_name(node)}) is gone; "
                               f"run 'baglab up' again") from None
        return self._containers[node]

    # -- prerequisites ------------------------------------------------------------------
    @staticmethod
    def check_host() -> None:
        frr.check_frr_host()     # the host's FRR shell talks to the containers' daemons
        engine()

    def image(self, version: str | None = None) -> str:
        """The node image of FRR ``version`` (None: the default image), built when missing."""
        from lab.frr.version_image import ensure, is_default
        if is_default(version):
            if self._image is None:
                self._image = ensure(None, log=_log)
            return self._image
        if version not in self._images:
            self._images[version] = ensure(version, log=_log)
        return self._images[version]

    def version(self, node: str) -> str | None:
        """A router's FRR version as planned (read from the lab's plan when another process built it)."""
        if self._versions is None:
            from lab.state import load_plan
            self._versions = {n.name: n.frr for n in load_plan(self.paths).nodes}
        return self._versions.get(node)

    # -- bring-up -----------------------------------------------------------------------
    def _run_container(self, plan: Plan, node: str):
        import docker
        ns = self.paths.netns(node)
        nd, run = self.paths.node_dir(node), self.paths.frr_dir(node)
        for d in (nd, run):
            safe_io.make_dir(d, owner=safe_io.frr_owner())
        volumes = {str(nd): {"bind": str(nd), "mode": "rw"},
                   str(run): {"bind": f"/run/frr/{ns}", "mode": "rw"}}
        if kind_of(plan.node(node)) in (EXABGP, COLLECTOR):     # ExaBGP runs our node programs
            volumes[str(NODES_SRC)] = {"bind": NODES_IN_IMAGE, "mode": "ro"}
        try:
            return self.client.containers.run(
                self.image(plan.node(node).frr), ["/bin/sleep", "infinity"], name=self.container_name(node), hostname=node,
                detach=True, init=True, network_mode="none", cap_add=CAPS, volumes=volumes,
                labels={LABEL_LAB: self.paths.name, LABEL_NODE: node}, stdin_open=False, tty=False)
        except docker.errors.APIError as exc:
            raise LabError(f"starting the container of {node}: {exc.explanation or exc}") from None

    def create_namespaces(self, plan: Plan, progress: Progress = _noop) -> None:
        """One container per node (bulk speakers too: their process stays on the host, but the
        namespace is the container's), its namespace attached under the lab's netns name."""
        self._versions = {n.name: n.frr for n in plan.nodes}
        for v in sorted({n.frr for n in plan.nodes}, key=str):
            self.image(v)            # each version's image built before any container starts
        self.write_owner_dirs(plan)
        names = [n.name for n in plan.nodes]
        done = 0
        with ThreadPoolExecutor(WORKERS) as pool:
            for node, c in zip(names, pool.map(lambda n: self._run_container(plan, n), names)):
                self._containers[node] = c
        for node in names:
            c = self._containers[node]
            c.reload()
            pid = c.attrs["State"]["Pid"]
            if not pid:
                raise LabError(f"the container of {node} is not running: {c.attrs['State'].get('Error') or c.status}")
            self.host.attach(node, pid)
            self.host.set_sysctls(node, IPV6_ON)
            done += 1
            progress("containers", done, len(names))

    def write_owner_dirs(self, plan: Plan) -> None:
        """The bind-mount sources exist (owned by frr) before the containers start."""
        for n in plan.nodes:
            for d in (self.paths.node_dir(n.name), self.paths.frr_dir(n.name)):
                safe_io.make_dir(d, owner=safe_io.frr_owner())

    def create_links(self, plan: Plan, progress: Progress = _noop) -> None:
        self.host.create_links(plan)

    def configure_interfaces(self, plan: Plan, progress: Progress = _noop) -> None:
        self.host.configure_interfaces(plan, progress)

    def write_configs(self, plan: Plan, configs: dict[str, dict[str, str]]) -> None:
        frr.write_configs(self.paths, plan, configs)

    def start_daemons(self, plan: Plan, progress: Progress = _noop, nodes: list[str] | None = None) -> None:
        self.launcher.start(plan, progress, nodes)

    def _spawn_frr(self, node: str, daemon: str) -> _Exec:
        ns = self.paths.netns(node)
        argv = frr.frr_argv(IMAGE_FRR_BIN, ns, f"/run/frr/{ns}", self.paths.node_dir(node), daemon)
        from lab.frr.version_image import is_default
        if is_default(self.version(node)):
            return _Exec(self.container(node), argv)
        if daemon == "zebra":        # FRR 10's zebra wants mgmtd (lab.frr.root.needs_mgmtd)
            self._start_mgmtd(node)
        return _Exec(self.container(node), _stderr_to_file(argv))

    def _start_mgmtd(self, node: str) -> None:
        ns = self.paths.netns(node)
        if any(nsutil.cmdline(pid).startswith(b"/usr/lib/frr/mgmtd") for pid in nsutil.pids_by_netns([ns])[ns]):
            return
        p = _Exec(self.container(node), _stderr_to_file(mgmtd_argv(ns, f"/run/frr/{ns}")))
        _, err = p.communicate(timeout=60)
        if p.returncode != 0:
            raise LabError(f"mgmtd on {node} failed to start (exit {p.returncode}): {err.decode().strip()}")

    def _spawn_exabgp(self, node: str) -> None:
        """Detached inside the container: the engine keeps no handle, processes() finds it."""
        # underscore spellings: the shell that redirects ExaBGP's output drops names with dots
        env = {"exabgp_api_cli": "false", "exabgp_daemon_user": "root", "exabgp_log_processes": "false",
               "exabgp_daemon_daemonize": "false"}
        conf, log = self.paths.node_dir(node) / "exabgp.conf", self.paths.log_file(node)
        self.container(node).exec_run(["/bin/sh", "-c", f"exec {IMAGE_EXABGP} {conf} >>{log} 2>&1 </dev/null"],
                                      environment=env, detach=True)

    def processes(self, plan: Plan) -> dict[str, dict[str, int | None]]:
        return self.host.processes(plan)

    def exec_argv(self, node: str, argv: list[str]) -> list[str]:
        argv = Router(self.paths, node, self).exec_argv(argv)
        tty = ["-t"] if sys.stdin.isatty() and sys.stdout.isatty() else []
        return ["docker", "exec", "-i", *tty, self.container_name(node)] + argv

    def infrastructure_pids(self, node: str) -> set[int]:
        """The container's init and its child: a node fault must not stop them (the namespace
        would lose its container)."""
        try:
            c = self.container(node)
            c.reload()
            init = c.attrs["State"]["Pid"]
        except LabError:
            return set()
        keep = {init}
        try:   # tini's own child; daemons reparented to tini after daemonising are not kept
            for t in Path(f"/proc/{init}/task").iterdir():
                keep |= {int(p) for p in (t / "children").read_text().split()
                         if nsutil.cmdline(int(p)) == b"/bin/sleep\0infinity\0"}
        except OSError:
            pass
        return keep

    # -- teardown -----------------------------------------------------------------------
    def down(self, deadline_s: float = DOWN_DEADLINE_S) -> DownReport:
        """Every pass removes the lab's containers (by label) before it kills what is left in
        the attached namespaces, until a pass finds nothing."""
        return teardown(self.paths, deadline_s)
