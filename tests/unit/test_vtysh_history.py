"""Every vtysh baglab runs gets lab.frr.vtysh.vtysh_env (no history file, no command log):
TCP-MD5 passwords travel through vtysh, and a history file in root's HOME outlives the lab.
Read from the source: a subprocess call whose arguments mention vtysh must be run_vtysh, and
nothing outside lab/frr/ so much as names vtysh (the Router is the one door to FRR)."""
from __future__ import annotations

import ast
from pathlib import Path

from lab.frr import vtysh

ROOT = Path(__file__).resolve().parents[2]
SPAWN = {"run", "Popen", "check_output", "check_call", "call"}
# vtysh -C -f only parses a file: it sets up no history (FRR's vtysh.c returns before it)
ALLOWED = {"lab/frr/check.py"}


def test_vtysh_env_keeps_no_history():
    env = vtysh.vtysh_env()
    assert "VTYSH_LOG" not in env
    assert env["VTYSH_HISTFILE"].startswith("/dev/null/") and env["HOME"] == "/dev/null"


def test_no_vtysh_spawned_without_its_environment():
    found = []
    for f in sorted((ROOT / "lab").rglob("*.py")):
        rel = str(f.relative_to(ROOT))
        if rel in ALLOWED:
            continue
        src = f.read_text()
        for node in ast.walk(ast.parse(src)):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            owner = getattr(fn.value, "id", "") if isinstance(fn, ast.Attribute) else ""
            env = next((ast.get_source_segment(src, k.value) for k in node.keywords if k.arg == "env"), "")
            if env == "vtysh_env()":
                continue
            if name in SPAWN and owner in ("subprocess", "") and "vtysh" in (ast.get_source_segment(src, node) or ""):
                found.append(f"{rel}:{node.lineno}")
    assert not found, f"vtysh spawned without lab.frr.vtysh.run_vtysh: {found}"


def test_exec_argv_keeps_no_history_and_adds_the_pathspace():
    from lab.state import LabPaths
    argv = vtysh.exec_argv(LabPaths("x1"), "r1", ["vtysh", "-c", "conf t"])
    assert argv[:5] == ["env", "-u", "VTYSH_LOG", "VTYSH_HISTFILE=/dev/null/.history_frr", "HOME=/dev/null"]
    assert argv[5:8] == ["vtysh", "-N", "bl_x1_r1"] and argv[-2:] == ["-c", "conf t"]
    assert vtysh.exec_argv(LabPaths("x1"), "r1", ["ip", "route"]) == ["ip", "route"]


def test_only_lab_frr_names_vtysh():
    """What `grep -rn vtysh lab bgp --include=*.py` must show: lab/frr/ alone."""
    found = [f"{f.relative_to(ROOT)}:{n}" for pkg in ("lab",) for f in sorted((ROOT / pkg).rglob("*.py"))
             if f.relative_to(ROOT).parts[:2] != ("lab", "frr")
             for n, line in enumerate(f.read_text().splitlines(), 1) if "vtysh" in line.lower()]
    assert not found, f"vtysh named outside lab/frr/: {found}"
