"""The CLI's handling of user input without a running lab: a plan.json under a temporary
BAGLAB_STATE stands in for the lab, so validation is exercised before anything is touched."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lab import cli
from ..conftest import TOPOLOGIES

LAB = "clitest"


@pytest.fixture
def lab_dir(fake_lab):
    return fake_lab(LAB)


def invoke(*args: str):
    """The typer app alone: usage errors and help, as click reports them (exit code 2 for usage)."""
    runner = CliRunner()
    return runner.invoke(cli.app, list(args))


def _main_exit(capsys, *args: str) -> tuple[int, str]:
    """The console-script entry point, which maps LabError to one line and exit 2."""
    with pytest.raises(SystemExit) as exc:
        cli.main(list(args))
    cap = capsys.readouterr()
    return exc.value.code, cap.out + cap.err


@pytest.mark.parametrize("cmd", [["fault", "node"], ["drain", "node"]])
def test_unknown_node_is_a_lab_error_listing_nodes(lab_dir, capsys, cmd):
    code, text = _main_exit(capsys, *cmd, "nope", "--name", LAB, "--no-wait")
    assert code == 2
    assert "unknown node 'nope'" in text and "r1-bag1" in text
    assert "Traceback" not in text and "KeyError" not in text


def test_unknown_bundle_member_names_the_members(lab_dir, capsys):
    code, text = _main_exit(capsys, "fault", "link", "r1-bag1~r2-bag1", "-m", "9", "--name", LAB, "--no-wait")
    assert code == 2 and "exists and has 3 members (1, 2, 3); no member 9" in text


def test_unknown_plane_and_region(lab_dir, capsys):
    code, text = _main_exit(capsys, "fault", "plane", "7", "--name", LAB, "--no-wait")
    assert code == 2 and "no BAG plane 7; BAG planes per region: r1: 1, 2; r2: 1, 2" in text
    code, text = _main_exit(capsys, "drain", "plane", "1", "--region", "r9", "--name", LAB, "--no-wait")
    assert code == 2 and "unknown region 'r9'" in text


def test_unknown_domain_label(lab_dir, capsys):
    code, text = _main_exit(capsys, "fault", "domain", "data_hall", "dh9", "--name", LAB, "--no-wait")
    assert code == 2 and "dh1a" in text


def test_carrier_on_both_sides_refused_before_acting(lab_dir, capsys):
    code, text = _main_exit(capsys, "fault", "link", "r1-bag1~r2-bag1", "--mode", "carrier", "--name", LAB,
                            "--no-wait")
    assert code == 2 and "pick --side a or --side b" in text


@pytest.mark.parametrize("args,bad", [
    (["fault", "link", "r1-bag1~r2-bag1", "--side", "x"], "'x'"),
    (["fault", "link", "r1-bag1~r2-bag1", "--mode", "carier"], "'carier'"),
    (["fault", "node", "r1-bag1", "--mode", "crashh"], "'crashh'"),
    (["fault", "domain", "datahall", "dh1a"], "'datahall'"),
    (["fault", "md5-mismatch", "r1-bag1~r2-bag1", "--side", "both"], "'both'"),
    (["rehearse", "planes", "1"], "'planes'"),
    (["up", "t.yaml", "--runtime", "dokcer"], "'dokcer'"),
])
def test_enumerations_are_choices(lab_dir, args, bad):
    """A typo in a choice is a usage error (exit 2) that lists the choices, before anything runs."""
    res = invoke(*args, "--name", LAB)
    assert res.exit_code == 2, res.output
    assert bad in res.output and "is not one of" in res.output
    assert "Traceback" not in res.output


def _leaf_commands(cmd, path=()):
    subs = getattr(cmd, "commands", None)
    if not subs:
        yield " ".join(path), cmd
        return
    for n, c in subs.items():
        yield from _leaf_commands(c, (*path, n))


def _commands():
    import typer

    return list(_leaf_commands(typer.main.get_command(cli.app)))


def test_every_parameter_has_help():
    """A positional argument without help shows only its type: the user cannot tell what goes there."""
    missing = [f"{path} {p.name}" for path, cmd in _commands() for p in cmd.params if not getattr(p, "help", None)]
    assert missing == []


@pytest.mark.parametrize("path", ["status", "links", "plan", "down", "fault link", "restore"])
def test_flags_show_no_value_type(path):
    res = invoke(*path.split(), "--help")
    assert res.exit_code == 0
    assert "--json" in res.output or "--help" in res.output
    assert "<bool>" not in res.output


def test_exec_usage_shows_the_command_after_double_dash():
    res = invoke("exec", "--help")
    usage = next(l for l in res.output.splitlines() if "Usage:" in l)
    assert "-- CMD" in usage


def test_exec_passes_the_command_through(lab_dir, monkeypatch):
    """Everything after '--' reaches the node, options included (they are the command's, not ours)."""
    seen = []
    monkeypatch.setattr(cli.exec.os, "execvp", lambda prog, argv: seen.append(argv))
    with pytest.raises(SystemExit) as exc:
        cli.main(["exec", "r1-bag1", "--name", LAB, "--", "vtysh", "-c", "show bgp summary", "--name", "x"])
    assert exc.value.code == 0
    assert seen[0][-8:-6] == ["-N", f"bl_{LAB}_r1-bag1"] and seen[0][-6] == "--config_dir"
    assert seen[0][-4:] == ["-c", "show bgp summary", "--name", "x"]


def test_version_from_package_metadata():
    from importlib.metadata import version

    res = invoke("--version")
    assert res.exit_code == 0
    assert res.output.strip() == f"baglab {version('baglab')}"


def test_long_error_stays_one_line(tmp_path, capsys):
    """Rich wrapped errors at 150 columns when not on a terminal; a wrapped path cannot be copied."""
    long_path = tmp_path / ("d" * 150) / ("t" * 150 + ".yaml")
    code, text = _main_exit(capsys, "plan", str(long_path))
    assert code == 2
    lines = text.strip().splitlines()
    assert len(lines) == 1 and str(long_path) in lines[0] and len(lines[0]) > 300


def test_error_text_is_not_markup(lab_dir, capsys):
    code, text = _main_exit(capsys, "fault", "node", "[red]x[/red]", "--name", LAB, "--no-wait")
    assert code == 2 and "unknown node '[red]x[/red]'" in text


MARKUP_LABELS = {"dh1a": "'[/bold]'", "dh1b": "'[red]x'", "pf2a": "'[bold]pf'"}


def _mini_in_markup_dir(tmp_path, replace: dict[str, str]):
    """bag-mini, optionally with labels changed, in a directory whose name looks like rich markup."""
    text = (TOPOLOGIES / "bag-mini.yaml").read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    d = tmp_path / "[red]topos"
    d.mkdir()
    (d / "mini.yaml").write_text(text)
    return d / "mini.yaml"


@pytest.mark.parametrize("command", ["plan", "domains"])
def test_user_strings_print_literally(tmp_path, capsys, command):
    """A path '[red]topos' was shown as 'topos'; labels print as written."""
    topo = _mini_in_markup_dir(tmp_path, {})
    with pytest.raises(SystemExit) as exc:
        cli.main([command, str(topo)])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "dh1a" in text and "pf2a" in text
    if command == "plan":
        assert str(topo) in text.replace("\n", "")


@pytest.mark.parametrize("label", list(MARKUP_LABELS))
def test_markup_labels_are_refused_and_echoed_literally(tmp_path, capsys, label):
    """A label '[/bold]' crashed rich (MarkupError); '[red]x' was shown as 'x'.  The schema now refuses
    such labels; the one-line error shows the file's path and the label exactly as written."""
    topo = _mini_in_markup_dir(tmp_path, {label: MARKUP_LABELS[label]})
    code, text = _main_exit(capsys, "plan", str(topo))
    lines = text.strip().splitlines()
    assert code == 2 and len(lines) == 1, text
    assert str(topo) in lines[0] and MARKUP_LABELS[label].strip("'") in lines[0]


def test_fault_journal_prints_literally(lab_dir, capsys):
    """Fault targets carry user labels (a domain fault's target is its label)."""
    from lab.faults.journal import Entries, Journal
    from lab.faults.kinds import FaultKind, NodeFault

    faults = [NodeFault(id=1, kind=FaultKind.parse("data-hall"), target="[/bold]", started=1.0),
              NodeFault(id=2, kind=FaultKind.parse("data-hall"), target="[red]x", started=2.0, restored=3.0)]
    Journal(lab_dir / "faults.json").write(Entries(3, faults))
    with pytest.raises(SystemExit) as exc:
        cli.main(["faults", "--name", LAB])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "[/bold]" in text and "[red]x" in text


def test_status_tables_print_literally(lab_dir, capsys, monkeypatch):
    """The status tables show what the lab reports (topology name, routes); none of it is markup."""
    from lab.config.oracle import Failures
    from lab.workflows import status as st_mod

    node = {"name": "r1-bag1", "role": "bag", "asn": 1, "daemons": {"zebra": True, "bgpd": False},
            "sessions": {"planned": 2, "established": 1, "down": ["x"]},
            "prefixes": {"installed": 1, "expected": 1, "as_designed": 0},
            "routes": [{"prefix": "[red]p", "as_designed": False, "expected": [],
                        "nexthops": [{"ifname": "[/bold]", "weight": 1, "peer": None}]}]}
    fake = {"lab": LAB, "topology": "[/bold]topo", "nodes": [node], "in_force": ["[red]drain"],
            "converged": False}
    monkeypatch.setattr(st_mod, "gather", lambda lab: fake)
    monkeypatch.setattr(st_mod, "active_changes", lambda lab: (Failures.of([], [], [], []), []))
    with pytest.raises(SystemExit) as exc:
        cli.main(["status", "--name", LAB])
    assert exc.value.code == 1
    text = capsys.readouterr().out
    for s in ("[/bold]topo", "[red]p", "[/bold]", "[red]drain"):
        assert s in text


def test_ctrl_c_exits_130_with_a_hint(monkeypatch, capsys):
    def interrupted(*_a, **_k):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli.plan, "load", interrupted)
    code, text = _main_exit(capsys, "plan", "any.yaml")
    assert code == 130 and "baglab down" in text


def test_counts_must_be_positive():
    res = invoke("probe", "--count", "0")
    assert res.exit_code == 2 and "--count" in res.output


def test_unwritable_output_path_is_one_error_line(tmp_path, capsys):
    """A path the user gave that cannot be written is their error to fix, not a traceback."""
    png = tmp_path / "missing-dir" / "heat.png"
    with pytest.raises(SystemExit) as exc:
        cli.main(["domains", str(TOPOLOGIES / "bag-mini.yaml"), "--png", str(png)])
    assert exc.value.code == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert err_lines == [f"error: No such file or directory: {png}"]


def test_subprocess_unknown_node_one_line(tmp_path, mini):
    """The real entry point in a fresh interpreter: BAGLAB_STATE (read at import) points at a fake lab."""
    import os
    import subprocess
    import sys

    (tmp_path / LAB).mkdir()
    (tmp_path / LAB / "plan.json").write_text(mini.to_json())
    env = {**os.environ, "BAGLAB_STATE": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "lab.cli", "drain", "node", "x" * 300, "--name", LAB, "--no-wait"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: unknown node '{'x' * 300}'; nodes: r1-bag1")


@pytest.mark.parametrize("args, words", [
    (["--loss", "150"], "baglab impair: loss must lie in 0-100%, not 150.0"),
    (["--delay", "1", "--jitter", "2"], "jitter_ms (2) must not exceed delay_ms (1)"),
    ([], "needs at least one of"),
    (["-m", "9", "--loss", "2"], "exists and has 3 members (1, 2, 3); no member 9"),
    (["--clear", "-m", "1"], "r1-bag1~r2-bag1 member 1 is not impaired"),
    (["--clear"], "r1-bag1~r2-bag1 member 1, member 2, member 3 is not impaired"),
])
def test_impair_refuses_bad_input_in_one_line(lab_dir, capsys, args, words):
    code, text = _main_exit(capsys, "impair", "r1-bag1~r2-bag1", *args, "--name", LAB, "--no-wait")
    assert code == 2 and words in text and "Traceback" not in text
