"""FRR's parser (vtysh -C, no daemon) on rendered configs: each rejection points at the fragment
file and template line the user edits, or says it is baglab's own line."""
from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.config import frrcheck
from lab.config.render import render_all
from lab.config.template_lines import template_line
from lab.errors import LabError
from lab.frr import check as frr_check

from ..conftest import TOPOLOGIES
from ..plans import plan_of

needs_vtysh = pytest.mark.skipif(shutil.which("vtysh") is None, reason="FRR's vtysh is not installed")

BASE = "frr version 8.4\nhostname r1\nservice integrated-vtysh-config\n!\n"       # lines 1-4
FRAGMENT = """\
{# tags the routes of {{ node.name }} #}
route-map TAG-{{ node.name }} permit 10
{% if tag %}
 set community {{ tag }} additive
{% endif %}
 matchx community {{ tag }}
 set extcommunity bandwidth {{ bw }}
exit
"""
RENDERED_FRAGMENT = ("route-map TAG-r1 permit 10\n set community 65000:1 additive\n matchx community 65000:1\n"
                     " set extcommunity bandwidth 400\nexit\n")          # rendered lines 5-9


@dataclass
class Block:
    first: int
    last: int
    path: Path | None


@dataclass
class Rendered:
    text: str
    blocks: list


@pytest.fixture
def fragment(tmp_path):
    p = tmp_path / "policy" / "bag" / "tags.frr.j2"
    p.parent.mkdir(parents=True)
    p.write_text(FRAGMENT)
    return p


def rendered(fragment_path: Path, extra_base: str = "", fragment_text: str = RENDERED_FRAGMENT) -> Rendered:
    base = BASE + extra_base
    n_base = base.count("\n")
    n_frag = fragment_text.count("\n")
    return Rendered(base + fragment_text, [Block(1, n_base, None), Block(n_base + 1, n_base + n_frag, fragment_path)])


def error_of(rendered_map) -> str:
    with pytest.raises(LabError) as exc:
        frrcheck.check_rendered(rendered_map)
    return str(exc.value)


def test_template_line_treats_expressions_as_wildcards_and_skips_tag_lines(fragment):
    assert template_line(fragment, "route-map TAG-r9 permit 10") == 2
    assert template_line(fragment, " set community 1:2 additive") == 4
    assert template_line(fragment, "  matchx community 65000:1") == 6
    assert template_line(fragment, "exit") == 8
    assert template_line(fragment, "router bgp 1") is None


def test_parse_output_reads_every_message_shape():
    out = ("line 9: % Unknown command[59]:  matchx foo\n"
           "line 15: % Command incomplete[59]:  set\n\n"
           "line 3: % Ambiguous command[59]:  match i a p X\n"
           "line 7: % Unknown command[3]: route-map A permit 10\n")
    got = frrcheck.parse_output(out, 0)       # exit 0 with errors: FRR does that after a stray 'exit'
    assert [(r.line, r.message, r.text.strip(), r.context) for r in got] == [
        (9, "Unknown command", "matchx foo", "59"), (15, "Command incomplete", "set", "59"),
        (3, "Ambiguous command", "match i a p X", "59"), (7, "Unknown command", "route-map A permit 10", "3")]
    assert "an 'exit' too many" in got[3].describe()
    assert frrcheck.parse_output("", 0) == []
    failed = frrcheck.parse_output("something odd\n", 1)
    assert failed[0].line is None and "exit 1: something odd" in failed[0].describe()


@needs_vtysh
def test_unknown_command_in_fragment_names_fragment_file_and_template_line(fragment):
    msg = error_of({"r1": rendered(fragment)})
    assert f"{fragment}:6: r1: FRR rejects 'matchx community 65000:1' (Unknown command)" in msg
    assert "baglab's generated" not in msg and msg.count("FRR rejects '") == 1


@needs_vtysh
def test_bad_value_is_rejected_at_its_template_line(fragment):
    text = RENDERED_FRAGMENT.replace(" matchx", " match").replace("bandwidth 400", "bandwidth abc")
    msg = error_of({"r1": rendered(fragment, fragment_text=text)})
    assert f"{fragment}:7: r1: FRR rejects 'set extcommunity bandwidth abc' (Unknown command)" in msg


@needs_vtysh
def test_baglab_own_line_is_called_a_baglab_bug(fragment):
    ok = RENDERED_FRAGMENT.replace(" matchx", " match")
    msg = error_of({"r1": rendered(fragment, extra_base="ip prefix-list OWN4 seq 5 permit 198.18.0.0/33\n",
                                   fragment_text=ok)})
    assert "baglab's generated config line 5: r1: FRR rejects 'ip prefix-list OWN4 seq 5 permit 198.18.0.0/33'" in msg
    assert "a baglab bug" in msg and str(fragment) not in msg


@needs_vtysh
def test_several_problems_on_several_routers_are_one_error(fragment):
    r1 = rendered(fragment, extra_base="router\n")     # 'router' alone: incomplete, baglab's line 5
    r2 = rendered(fragment)
    msg = error_of({"r1": r1, "r2": r2})
    assert msg.startswith("FRR rejects 3 config line(s) on 2 router(s)")
    assert f"{fragment}:6: r1, r2: FRR rejects 'matchx community 65000:1'" in msg   # same line, one entry
    assert "baglab's generated config line 5: r1: FRR rejects 'router' (Command incomplete)" in msg


@needs_vtysh
def test_many_problems_are_capped(fragment):
    junk = "".join(f"bogus{i}\n" for i in range(15))
    msg = error_of({"r1": rendered(fragment, extra_base=junk)})
    assert msg.count("FRR rejects 'bogus") == frrcheck.SHOWN and "and 6 more" in msg


@needs_vtysh
def test_unmatched_template_line_says_the_rendered_line(tmp_path):
    frag = tmp_path / "x.j2"
    frag.write_text("{% for l in lines %}\nroute-map {{ l }} permit 10\n{% endfor %}\n")
    text = "hostname r1\nnonsense here\n"     # the template changed since it was rendered
    r = Rendered(text, [Block(1, 1, None), Block(2, 2, frag)])
    msg = error_of({"r1": r})
    assert f"{frag} (no template line matches; rendered line 2): r1: FRR rejects 'nonsense here'" in msg


@needs_vtysh
def test_every_shipped_topology_renders_configs_frr_accepts():
    # bag-scale is the same templates 116 times (about 4 s: measured in docs/benchmarks/, not here)
    for topo in sorted(t for t in TOPOLOGIES.glob("*.yaml") if t.stem != "bag-scale"):
        plan = plan_of(topo.name)
        confs = {n: Rendered(f["frr.conf"], []) for n, f in render_all(plan, "/run/x").items() if "frr.conf" in f}
        frrcheck.check_rendered(confs)


@needs_vtysh
def test_check_file_names_the_file_and_line(tmp_path):
    conf = tmp_path / "r1.conf"
    conf.write_text(BASE + RENDERED_FRAGMENT)
    with pytest.raises(LabError, match=rf"{conf}:7: FRR rejects 'matchx community 65000:1' \(Unknown command\)"):
        frrcheck.check_file(conf)
    conf.write_text(BASE)
    frrcheck.check_file(conf)
    with pytest.raises(LabError, match="no such config file"):
        frrcheck.check_file(tmp_path / "missing.conf")


@needs_vtysh
def test_temporary_config_is_private_and_removed(monkeypatch):
    seen = {}

    def spy(exe, path):
        seen["mode"], seen["path"] = stat.S_IMODE(path.stat().st_mode), path
        return 0, ""
    monkeypatch.setattr(frr_check, "run_check", spy)
    assert frrcheck.rejections("router bgp 1\n neighbor 1.2.3.4 password s3cret\n") == []
    assert seen["mode"] == 0o600 and not seen["path"].exists()


def test_missing_vtysh_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(LabError, match="vtysh is not installed"):
        frrcheck.check_rendered({"r1": Rendered("hostname r1\n", [])})


@needs_vtysh
def test_directory_of_rendered_configs_and_the_cli(tmp_path):
    from typer.testing import CliRunner

    from lab.cli import app

    (tmp_path / "r1").mkdir()
    (tmp_path / "r2").mkdir()
    (tmp_path / "r1" / "frr.conf").write_text(BASE)
    (tmp_path / "r2" / "frr.conf").write_text(BASE + RENDERED_FRAGMENT)
    (tmp_path / "r2" / "bgpd.conf").write_text(RENDERED_FRAGMENT)          # a cut of frr.conf: not again
    (tmp_path / "r2" / "exabgp.conf").write_text("neighbor 198.18.0.1 {\n}\n")   # not FRR's
    with pytest.raises(LabError, match=r"in 1 of 2 file\(s\)[\s\S]*r2/frr\.conf:7: FRR rejects 'matchx"):
        frrcheck.check_files([tmp_path])
    runner = CliRunner()
    assert runner.invoke(app, ["frrcheck", str(tmp_path / "r1")]).exit_code == 0
    res = runner.invoke(app, ["frrcheck", str(tmp_path)])
    assert res.exit_code != 0 and isinstance(res.exception, LabError) and "r2/frr.conf:7" in str(res.exception)


@needs_vtysh
def test_router_bgp_with_another_asn_is_caught_though_vtysh_passes_it(tmp_path):
    frag = tmp_path / "bestpath.frr.j2"
    frag.write_text("router bgp {{ node.asn + 1 }}\n bgp bestpath as-path multipath-relax\nexit\n")
    base = BASE + "router bgp 65001\n bgp router-id 198.18.128.1\nexit\n"       # lines 1-7
    text = base + "router bgp 65002\n bgp bestpath as-path multipath-relax\nexit\nrouter bgp 65001 vrf blue\nexit\n"
    assert frrcheck.parse_output("", 0) == [] and frrcheck.second_asn(base) == []
    msg = error_of({"r1": Rendered(text, [Block(1, 7, None), Block(8, 10, frag), Block(11, 12, None)])})
    assert f"{frag}:1: r1: FRR rejects 'router bgp 65002' (the router's BGP instance is AS 65001" in msg
    assert msg.count("FRR rejects '") == 1           # the vrf instance is another instance: allowed


@needs_vtysh
def test_line_for_a_daemon_baglab_does_not_start_names_its_fragment(tmp_path):
    frag = tmp_path / "igp.frr.j2"
    frag.write_text("router ospf\n ospf router-id {{ node.router_id }}\nexit\nip prefix-lst P seq 5 permit 198.18.0.0/24\n")
    text = BASE + "router ospf\n ospf router-id 198.18.128.1\nexit\nip prefix-lst P seq 5 permit 198.18.0.0/24\n"
    msg = error_of({"r1": Rendered(text, [Block(1, 4, None), Block(5, 8, frag)])})
    assert f"{frag}:1: r1: FRR rejects 'router ospf' (no daemon baglab starts reads it" in msg
    assert f"{frag}:4: r1: FRR rejects 'ip prefix-lst P seq 5 permit 198.18.0.0/24' (Unknown command)" in msg
    assert msg.count("FRR rejects '") == 2      # the typo is FRR's finding only, not also 'no daemon'


def _root_built(version: str) -> bool:
    import os

    from lab.frr.roots import root_of
    return os.geteuid() == 0 and root_of(version) is not None


# FRR 8.4's grammar caps a link-bandwidth at 25600 Gbit/s; 10.3's takes larger values (measured)
WIDE = "hostname r1\n!\nroute-map WIDE permit 10\n set extcommunity bandwidth 25601\nexit\n"


@needs_vtysh
def test_each_file_is_checked_by_the_version_its_frr_version_line_names(tmp_path):
    if not _root_built("10.3"):
        pytest.skip("needs root and FRR 10.3's root (make frr-roots)")
    new, old = tmp_path / "new.conf", tmp_path / "old.conf"
    new.write_text("frr version 10.3\n" + WIDE)
    old.write_text("frr version 8.4\n" + WIDE)
    frrcheck.check_files([new])
    with pytest.raises(LabError, match=r"old\.conf:5: FRR rejects ' ?set extcommunity bandwidth 25601"):
        frrcheck.check_files([new, old])
    with pytest.raises(LabError, match=r"new\.conf:5: FRR rejects"):
        frrcheck.check_files([new], frr="8.4")


@needs_vtysh
def test_a_rejection_by_another_versions_parser_names_that_version(tmp_path):
    if not _root_built("10.3"):
        pytest.skip("needs root and FRR 10.3's root (make frr-roots)")
    bad = tmp_path / "bad.conf"
    bad.write_text("frr version 10.3\nhostname r1\nrouter bgp 65001\n bgp bestpath bandwidth bogus\nexit\n")
    with pytest.raises(LabError, match=r"bad\.conf:4: \[FRR 10\.3\] FRR rejects"):
        frrcheck.check_files([bad])


def test_an_explicit_version_baglab_cannot_run_is_one_clear_error(tmp_path):
    conf = tmp_path / "x.conf"
    conf.write_text("frr version 10.3\nhostname r1\n")
    with pytest.raises(LabError, match=r"FRR 9\.1 is not available: available are"):
        frrcheck.check_files([conf], frr="9.1")


def test_a_file_naming_a_version_baglab_cannot_run_is_checked_by_the_hosts_parser(tmp_path):
    """Production configs say their own version (9.1 here): one of them must not stop the check."""
    good, bad = tmp_path / "good.conf", tmp_path / "bad.conf"
    good.write_text("frr version 9.1\nhostname r1\n")
    bad.write_text("frr version 9.1\nhostname r2\nrouter bgp 65001\n bgp nonsense-command\nexit\n")
    frrcheck.check_files([good])
    with pytest.raises(LabError, match=r"bad\.conf:4: \[FRR 9\.1 not available: the host's parser\] FRR rejects"):
        frrcheck.check_files([good, bad])


def test_the_version_line_is_read_as_major_minor():
    assert frrcheck.version_of("! x\nfrr version 10.7.1\nhostname a\n") == "10.7"
    assert frrcheck.version_of("hostname a\n") is None
