"""Structure of the source tree, measured from the source (ast; nothing imported or run).

    python bench/structure.py                      # this checkout
    python bench/structure.py REV [REV ...]        # git revisions side by side (git archive into a temp dir)

Prints one Markdown table, a column per tree: modules and packages, loose modules at lab/'s top,
the longest import chain (module level and with function-level imports), import cycles between
modules, function-level imports of project modules, and where vtysh and state.json appear.
The docs' layout page quotes this table with the revisions it was run on."""
from __future__ import annotations

import ast
import subprocess
import sys
import tarfile
import tempfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lab", "bgp")


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in sorted((root / pkg).rglob("*.py")):
            parts = f.relative_to(root).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(module-level imports, imports inside functions) of project modules."""
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    top: set[str] = set()
    inner: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))

    def resolve(node) -> set[str]:
        if isinstance(node, ast.Import):
            return {a.name for a in node.names}
        base = here[:len(here) - node.level + 1] if node.level else []
        mod = ".".join(base + ([node.module] if node.module else []))
        return {f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names}

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                (inner if in_function else top).update(resolve(child))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(tree, False)
    return ({m for m in top if m in known and m != name}, {m for m in inner if m in known and m != name})


def _sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (the graph has a few hundred nodes)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(comp)
    return out


def _depth(graph: dict[str, set[str]]) -> int:
    """Longest import chain, counted in modules, with each cycle collapsed to one node."""
    comps = _sccs(graph)
    comp_of = {m: i for i, c in enumerate(comps) for m in c}
    dag = {i: {comp_of[w] for m in c for w in graph.get(m, ()) if comp_of[w] != i} for i, c in enumerate(comps)}

    @lru_cache(maxsize=None)
    def longest(i: int) -> int:
        return 1 + max((longest(j) for j in dag[i]), default=0)

    sys.setrecursionlimit(10000)
    return max((longest(i) for i in dag), default=0)


def measure(root: Path) -> dict[str, object]:
    known = modules(root)
    top: dict[str, set[str]] = {}
    both: dict[str, set[str]] = {}
    inner_count = 0
    for name, path in known.items():
        t, i = _imports(name, path, known)
        top[name] = t
        both[name] = t | i
        inner_count += len(i)
    packages = {n for n, p in known.items() if p.name == "__init__.py"}
    loose = [n for n, p in known.items() if n.count(".") == 1 and n.startswith("lab.") and p.name != "__init__.py"]
    cycles = [c for c in _sccs(both) if len(c) > 1]
    texts = {n: p.read_text() for n, p in known.items()}
    return {
        "modules (lab/; before, also bgp/)": len(known),
        "packages": len(packages),
        "loose modules at lab/'s top": len(loose),
        "largest module (lines)": max(t.count("\n") for t in texts.values()),
        "longest import chain, module level": _depth(top),
        "longest import chain, with function-level imports": _depth(both),
        "module import cycles (with function-level imports)": len(cycles),
        "function-level imports of project modules": inner_count,
        "modules naming vtysh": sum("vtysh" in t for t in texts.values()),
        "modules naming state.json": sum("state.json" in t for t in texts.values()),
        "units (packages and loose modules at the top)": len({".".join(n.split(".")[:2]) for n in known}),
    }


def _tree_of(rev: str, into: Path) -> Path:
    have = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev], check=True,
                          capture_output=True, text=True).stdout.split()
    data = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *[p for p in PACKAGES if p in have]],
                          check=True, capture_output=True).stdout
    dest = into / rev.replace("/", "_")
    dest.mkdir()
    tar = dest / "src.tar"
    tar.write_bytes(data)
    with tarfile.open(tar) as t:
        t.extractall(dest, filter="data")
    return dest


def table(columns: dict[str, dict[str, object]]) -> str:
    names = list(columns)
    rows = ["| measure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for key in next(iter(columns.values())):
        rows.append(f"| {key} | " + " | ".join(str(columns[n][key]) for n in names) + " |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if not argv:
        print(table({"this checkout": measure(ROOT)}))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        cols = {}
        for rev in argv:
            short = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev],
                                   check=True, capture_output=True, text=True).stdout.strip()
            cols[f"{rev} ({short})" if short != rev else rev] = measure(_tree_of(rev, Path(tmp)))
    print(table(cols))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
