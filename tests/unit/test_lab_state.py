"""A lab's state.json through lab.state.LabState: a typed record that reads the files labs already
running wrote and writes the same shape back (unknown keys kept), and the only code that opens the
file.  The last part is read from the source (ast), like test_vtysh_history does for vtysh."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from lab import state
from lab.state import LabPaths, LabState, policy_dir_of, set_node_policy

ROOT = Path(__file__).resolve().parents[2]
KEYS = {f for f in LabState.__dataclass_fields__ if f != "extra"}
OLD_API = {"read_state", "write_state"}      # the state as a dict: replaced by LabState

FULL = dict(phase="up", plan="d1g", topology="bag-mini", source="/t/bag-mini.yaml", runtime="docker",
            policy="/pol/base", policy_digest="p1g", pid=4242, started=1700000000.5,
            harness={"kind": "pytest", "pid": 4242, "start": 99, "rootdir": "/src"}, frr="10.3",
            converged_s=2.25, macsec_backend="kernel", node_policies={"r1-bag1": "/pol/cand", "r2-bag1": None},
            node_versions={"r1-bag1": "10.7"})


@pytest.fixture
def paths(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "STATE_ROOT", tmp_path)
    return LabPaths("lst")


def test_round_trip_of_every_field(paths):
    assert KEYS == set(FULL)        # a new key gets a field, and this test a value for it
    written = LabState.update(paths, **FULL)
    assert LabState.read(paths) == written == LabState(**FULL)
    # what the old write_state wrote: the whole dict, indent 1, keys sorted; rewritten atomically, 0644
    assert paths.state_file.read_text() == json.dumps(FULL, indent=1, sort_keys=True)
    assert oct(paths.state_file.stat().st_mode & 0o777) == "0o644"
    assert not [p.name for p in paths.root.iterdir() if p.name != "state.json"]    # no temp file left


def test_only_the_keys_set_are_written(paths):
    LabState.update(paths, runtime="docker")
    LabState.update(paths, phase="failed")
    assert json.loads(paths.state_file.read_text()) == {"runtime": "docker", "phase": "failed"}
    LabState.update(paths, node_policies={})       # an empty map is kept, as before (a rollback leaves it)
    assert json.loads(paths.state_file.read_text())["node_policies"] == {}


def test_an_old_file_with_an_unknown_key_survives_a_write(paths):
    old = {"phase": "up", "policy": "/pol/base", "runtime": "netns", "future": {"kept": [1, 2]}, "note": "x"}
    paths.root.mkdir(parents=True)
    paths.state_file.write_text(json.dumps(old, indent=1, sort_keys=True))
    st = LabState.read(paths)
    assert st.phase == "up" and st.extra == {"future": {"kept": [1, 2]}, "note": "x"}
    set_node_policy(paths, ["r1-bag1"], "/pol/cand")
    assert json.loads(paths.state_file.read_text()) == {**old, "node_policies": {"r1-bag1": "/pol/cand"}}
    assert LabState.read(paths).as_dict() == {**old, "node_policies": {"r1-bag1": "/pol/cand"}}


def test_a_missing_or_unreadable_file_is_the_empty_state(paths):
    assert LabState.read(paths) == LabState() and LabState().as_dict() == {}
    assert LabState().runtime_name == "netns" and policy_dir_of(paths, "r1-bag1") is None
    paths.root.mkdir(parents=True)
    for text in ("{half", "[1, 2]", "\xff"):
        paths.state_file.write_text(text)
        assert LabState.read(paths) == LabState()


def test_an_unknown_field_is_refused_not_written(paths):
    with pytest.raises(TypeError):
        LabState.update(paths, phsae="up")
    assert not paths.state_file.exists()


def test_a_router_on_the_built_in_policy_is_recorded_as_none(paths):
    LabState.update(paths, policy="/pol/base")
    set_node_policy(paths, ["r1-bag1"], None)
    assert policy_dir_of(paths, "r1-bag1") is None and policy_dir_of(paths, "r2-bag1") == "/pol/base"
    assert json.loads(paths.state_file.read_text())["node_policies"] == {"r1-bag1": None}


# -- only lab/state.py touches the file or the dict ------------------------------------------------
def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _key(node: ast.AST) -> tuple[ast.AST, str] | None:
    """(receiver, key) of ``x["key"]`` or ``x.get("key", ...)`` (also pop/setdefault)."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.value, node.slice.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args
            and node.func.attr in ("get", "pop", "setdefault") and isinstance(node.args[0], ast.Constant)):
        return node.func.value, node.args[0].value
    return None


SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _own(scope: ast.AST):
    """The nodes of one scope, not of the functions defined in it (each binds its own names)."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def violations(src: str) -> list[str]:
    """Lines that open state.json (its path or name) or index a state by one of its keys: a
    receiver built from LabState, or a name a function bound to something built from it."""
    tree = ast.parse(src)
    docs, found = _docstrings(tree), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "state_file":
            found.append(f"{node.lineno}: state_file")
        elif isinstance(node, (ast.Name, ast.alias)) and getattr(node, "id", getattr(node, "name", "")) in OLD_API:
            found.append(f"{node.lineno}: the old dict API")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and "state.json" in node.value
              and id(node) not in docs):
            found.append(f"{node.lineno}: 'state.json'")
    for scope in ast.walk(tree):
        if not isinstance(scope, SCOPES):
            continue
        own, tainted = list(_own(scope)), set()
        for node in own:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None \
                    and "LabState" in ast.get_source_segment(src, node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                tainted |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        for node in own:
            got = _key(node)
            if got is None or got[1] not in KEYS:
                continue
            recv, root = got[0], _root(got[0])
            if "LabState" in ast.get_source_segment(src, recv) or (isinstance(root, ast.Name) and root.id in tainted):
                found.append(f"{node.lineno}: [{got[1]!r}]")
    return sorted(set(found))


def test_the_checker_finds_what_it_forbids():
    bad = ("import json\n"
           "def a(paths):\n    return json.loads(paths.state_file.read_text())\n"
           "def b():\n    return open('/run/baglab/x/state.json').read()\n"
           "def c(paths):\n    return LabState.read(paths).as_dict()['phase']\n"
           "def d(paths):\n    st = LabState.read(paths)\n    return st.as_dict().get('policy')\n"
           "from lab.state import read_state\n")
    assert [v.split(":")[0] for v in violations(bad)] == ["10", "11", "3", "5", "7"]
    ok = ("def e(paths):\n    '''state.json, in a docstring'''\n    h = LabState.read(paths).harness\n"
          "    return h.get('kind'), LabState.read(paths).phase\n"
          "def f(h):\n    return h.get('pid')\n")
    assert violations(ok) == []


def test_only_the_state_module_reads_or_writes_state_json():
    found = []
    for f in sorted((ROOT / "lab").rglob("*.py")):
        rel = str(f.relative_to(ROOT))
        if rel != "lab/state.py":
            found += [f"{rel}:{v}" for v in violations(f.read_text())]
    assert not found, f"state.json or the state dict used outside lab.state.LabState: {found}"
