"""The layering, read from the source (ast, nothing imported or run): no two packages import
each other, directly or round a longer circle, nor do two modules of one package, and no module
grows past MAX_LINES.

A package here is a sub-package of lab/ or lab/config/ (lab.runtime, lab.macsec, lab.host, ...); each
top-level module (lab.workflows.build, lab.state, ...) counts as its own unit.  Imports inside functions
count too: a lazy import hides a circle from Python, not from the design."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lab",)
MAX_LINES = 400
# Over the limit, with the line count they may not exceed; empty since the last long ones were split.
TOO_LONG_ALLOWED: dict[str, int] = {}

# The pipeline, upstream first: a unit may import units of its own tier or of tiers above it, never
# below.  Units in one tier do not import each other round a circle (tested below).
STAGES: tuple[tuple[str, ...], ...] = (
    ("lab.errors", "lab.exit_codes", "lab.text_enum", "lab.safe_io", "lab.log_tail", "lab.wait", "lab.leftovers"),
    ("lab.impair",),                        # an impairment's spec and delay line (the topology names them)
    ("lab.design",),                        # YAML -> model -> plan; intents; FRR versions as data
    ("lab.host", "lab.nodes"),              # namespaces, nft, sysctls, the host's FRR; programs run inside nodes
    ("lab.state",),                         # where a running lab lives
    ("lab.frr",),                           # FRR: the router, its vty, version roots and images
    ("lab.config",),                        # plan -> configs; the oracle; FRR's parser on them
    ("lab.macsec", "lab.forwarder"),        # data-plane helpers the runtime starts
    ("lab.runtime",),                       # netns, docker, containerlab
    ("lab.faults",),
    ("lab.observe",),                       # FIB, RIB, timeline, probes, settling
    ("lab.session",),                       # Lab: one running lab's plan, runtime, faults, routers
    ("lab.verdict",),                       # checks, measurements, reports
    ("lab.workflows", "lab.pytest_plugin"),  # up, check, sweep, rehearse, diff, rollout, upgrade
    ("lab.cli",),
    ("lab",),
)
TIER = {u: i for i, tier in enumerate(STAGES) for u in tier}


def modules() -> dict[str, Path]:
    """dotted name -> file, for every module of lab/."""
    out = {}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = f.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules this module imports (relative imports resolved)."""
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            for a in node.names:   # 'from pkg import module' imports the module
                out.add(f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod)
    return {m for m in out if m.split(".")[0] in PACKAGES}


def unit(module: str) -> str:
    """lab.runtime.netns -> lab.runtime; lab.workflows.build -> lab.workflows.build; lab -> lab."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else module


def unit_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        deps = {unit(m) for m in imported(name, path, known)} - {unit(name)}
        graph.setdefault(unit(name), set()).update(deps)
    return graph


def module_graph() -> dict[str, set[str]]:
    """module -> the modules of its own unit (package) it imports."""
    known = modules()
    return {name: {m for m in imported(name, path, known) if m in known and m != name and unit(m) == unit(name)}
            for name, path in known.items()}


def circle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest circle through the group's first member, within the group: what to read first."""
    start, members = group[0], set(group)
    came: dict[str, str] = {}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph.get(v, ()) & members):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return [start, *reversed(path[:-1]), start]
            if w not in came:
                came[w] = v
                todo.append(w)
    return group


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of more than one unit or module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_the_walk_sees_the_known_layering():
    """Guard against a walk that finds nothing (and so no cycle)."""
    g = unit_graph()
    assert "lab.host" in g["lab.runtime"] and "lab.host" in g["lab.macsec"]
    assert "lab.runtime" in g["lab.workflows"] and "lab.macsec" in g["lab.workflows"]


def test_every_unit_has_a_stage():
    assert not set(unit_graph()) - set(TIER), f"units without a stage in STAGES: {sorted(set(unit_graph()) - set(TIER))}"


def test_no_package_imports_itself_round_a_circle():
    found = cycles(unit_graph())
    assert not found, "import cycles between packages: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_module_walk_sees_imports_inside_functions(tmp_path):
    """Guard: an import in a function body is an edge like any other."""
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from .teardown import teardown\n    import lab.state\n")
    known = {"lab.runtime.m": f, "lab.runtime.teardown": f}
    assert imported("lab.runtime.m", f, known) == {"lab.runtime.teardown", "lab.state"}
    assert circle({"a": {"b"}, "b": {"c", "a"}, "c": {"a"}}, ["a", "b", "c"]) == ["a", "b", "a"]
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_no_module_imports_itself_round_a_circle_within_its_package():
    g = module_graph()
    assert "lab.runtime.teardown" in g["lab.runtime.docker"] and "lab.design.plan.model" in g["lab.design.plan"]
    found = [" -> ".join(c := circle(g, group)) + (f" (one circle of {', '.join(group)})" if len(c) <= len(group) else "")
             for group in cycles(g)]
    assert not found, "import cycles within a package: " + "; ".join(found)


def test_imports_run_down_the_pipeline():
    known = modules()
    upward = sorted(f"{name} imports {m} ({unit(m)} is downstream of {unit(name)})"
                    for name, path in known.items() for m in imported(name, path, known)
                    if TIER.get(unit(m), 0) > TIER.get(unit(name), 0))
    assert not upward, "imports against the pipeline:\n" + "\n".join(upward)


def test_the_stage_check_can_fail():
    assert TIER["lab.cli"] > TIER["lab.workflows"] > TIER["lab.verdict"] > TIER["lab.observe"] > TIER["lab.faults"]
    assert TIER["lab.faults"] > TIER["lab.runtime"] > TIER["lab.config"] > TIER["lab.design"]


def test_no_module_over_the_line_limit():
    long = {str(p.relative_to(ROOT)): n for p in modules().values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not {f: n for f, n in long.items() if n > TOO_LONG_ALLOWED.get(f, MAX_LINES)}, long
