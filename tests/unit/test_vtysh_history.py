"""Every vtysh baglab runs gets lab.observers.vty.vtysh_env (no history file, no command log):
TCP-MD5 passwords travel through vtysh, and a history file in root's HOME outlives the lab.
Read from the source: a subprocess call whose arguments mention vtysh must be run_vtysh."""
from __future__ import annotations

import ast
from pathlib import Path

from lab.observers import vty

ROOT = Path(__file__).resolve().parents[2]
SPAWN = {"run", "Popen", "check_output", "check_call", "call"}
# vtysh -C -f only parses a file: it sets up no history (FRR's vtysh.c returns before it)
ALLOWED = {"bgp/frrcheck.py"}


def test_vtysh_env_keeps_no_history():
    env = vty.vtysh_env()
    assert "VTYSH_LOG" not in env
    assert env["VTYSH_HISTFILE"].startswith("/dev/null/") and env["HOME"] == "/dev/null"


def test_no_vtysh_spawned_without_its_environment():
    found = []
    for f in sorted((ROOT / "lab").rglob("*.py")) + sorted((ROOT / "bgp").rglob("*.py")):
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
    assert not found, f"vtysh spawned without lab.observers.vty.run_vtysh: {found}"
