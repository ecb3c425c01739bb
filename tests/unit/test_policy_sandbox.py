"""Policy directories come from untrusted merge requests and render as root: fragments render in
a sandbox that reaches no Python internals, no file outside the directory's own fragments, no
symlink, and builds no value big enough to exhaust the machine; every refusal is one LabError
naming the fragment file (and the template line when it is a template's doing).

tests/data/policy-renders.json holds digests of what the shipped policies' fragments rendered
before the sandbox (every FRR router of every topology each applies to); regenerate it only for
an intended change, with ``.venv/bin/python -m tests.unit.test_policy_sandbox``."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time

import jinja2
import pytest

from lab.config.policy import DEFAULT_DIR, load_policy, render_node
from lab.config.policy.context import context
from lab.config.render import sessions
from lab.config.template_lines import template_line
from lab.errors import LabError
from lab.design.node_kinds import FRR, kind_of

from ..conftest import ROOT, TOPOLOGIES
from ..plans import plan_of

RECORDED = ROOT / "tests" / "data" / "policy-renders.json"
SECRET = "top-secret-5d1f"


@pytest.fixture
def pdir(tmp_path):
    d = tmp_path / "pol"
    shutil.copytree(DEFAULT_DIR, d)
    return d


@pytest.fixture
def secret(tmp_path):
    """A file outside the policy directory that no fragment may read (JSON, so that pydantic's
    parse_file would get as far as quoting it)."""
    p = tmp_path / "secret.json"
    p.write_text(json.dumps({"key": SECRET}))
    return p


def _write(d, rel, text):
    (d / rel).parent.mkdir(parents=True, exist_ok=True)
    (d / rel).write_text(text)


def _render_error(pdir, mini, common: str) -> str:
    _write(pdir, "common.j2", common)
    pol = load_policy(pdir, mini)
    with pytest.raises(LabError) as e:
        render_node(mini, mini.node("r1-bag1"), "/x", policy=pol)
    return str(e.value)


def test_globals_payload_runs_no_command(pdir, mini, tmp_path):
    marker = tmp_path / "ran"
    msg = _render_error(pdir, mini, "! ok\n{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}\n" % marker)
    assert not marker.exists()
    assert msg.startswith(f"{pdir / 'common.j2'}:2: SecurityError") and "r1-bag1" in msg


@pytest.mark.parametrize("expr", [
    "''.__class__.__mro__[1].__subclasses__()",
    "joiner.__call__.__globals__",
    "namespace.__init__",
    "lipsum.__globals__.os",
    "self._TemplateReference__context",
    "plan.__class__.__base__",
    "(sessions | first).__class__",
])
def test_python_internals_are_out_of_reach(pdir, mini, expr):
    msg = _render_error(pdir, mini, "! a\n! b\n{{ %s }}\n" % expr)
    assert msg.startswith(f"{pdir / 'common.j2'}:3: ")
    assert "SecurityError" in msg or "UndefinedError: 'lipsum' is undefined" in msg


def test_pydantic_api_on_the_plan_reads_no_file(pdir, mini, secret):
    msg = _render_error(pdir, mini, "{{ plan.parse_file('%s') }}\n" % secret)
    assert msg.startswith(f"{pdir / 'common.j2'}:1: SecurityError") and SECRET not in msg


def test_plan_fields_and_methods_stay_readable(pdir, mini):
    _write(pdir, "common.j2", "! {{ plan.topology }} {{ plan.node(node.name).asn }} {{ plan.nodes | length }}\n")
    text = render_node(mini, mini.node("r1-bag1"), "/x", policy=load_policy(pdir, mini)).text
    assert f"! {mini.topology} {mini.node('r1-bag1').asn} {len(mini.nodes)}\n" in text


@pytest.mark.parametrize("name", ["../secret.json", "/{abs}", "./../secret.json"])
def test_include_outside_the_directory_is_refused(pdir, mini, secret, name):
    msg = _render_error(pdir, mini, "! x\n{%% include %r %%}\n" % name.format(abs=str(secret).lstrip("/")))
    assert msg.startswith(f"{pdir / 'common.j2'}:2: TemplateNotFound") and SECRET not in msg


@pytest.mark.parametrize("planted", ["leak.txt", "role/leak.j2.txt", "intents.yaml"])
def test_include_of_anything_but_a_fragment_is_refused(pdir, mini, secret, planted):
    """A file in the directory that is not a fragment (a symlink to a secret, or intents.yaml)
    never reaches a template."""
    if planted == "intents.yaml":
        shutil.copy(secret, pdir / planted)
    else:
        (pdir / planted).symlink_to(secret)
    msg = _render_error(pdir, mini, "! x\n{%% include %r %%}\n" % planted)
    assert msg.startswith(f"{pdir / 'common.j2'}:2: TemplateNotFound") and SECRET not in msg
    assert "not a fragment of policy directory" in msg


def test_symlinked_fragment_is_refused(pdir, mini, secret):
    (pdir / "node").mkdir()
    (pdir / "node" / "r1-bag1.j2").symlink_to(secret)
    with pytest.raises(LabError, match=rf"^{pdir / 'node' / 'r1-bag1.j2'}: .*symlink"):
        load_policy(pdir, mini)


def test_symlinked_fragment_directory_is_refused(pdir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (pdir / "role").rename(elsewhere)
    (pdir / "role").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(LabError, match=rf"^{pdir / 'role'}: .*symlink"):
        load_policy(pdir)


def test_symlinked_directory_is_not_walked(pdir, tmp_path):
    """A link to a big tree (here the repository) must not be walked, nor its .j2 files taken."""
    (pdir / "deep").symlink_to(ROOT, target_is_directory=True)
    with pytest.raises(LabError, match=rf"^{pdir / 'deep'}: .*symlink"):
        load_policy(pdir)


def test_template_line_reads_no_symlink(tmp_path, secret):
    """FRR's complaints are mapped back to template lines by reading the fragment again."""
    (tmp_path / "link.j2").symlink_to(secret)
    (tmp_path / "real.j2").write_text(secret.read_text())
    assert template_line(tmp_path / "real.j2", secret.read_text()) == 1
    assert template_line(tmp_path / "link.j2", secret.read_text()) is None


def test_fifo_fragment_is_refused_without_blocking(pdir):
    os.mkfifo(pdir / "common.j2")
    with pytest.raises(LabError, match=rf"^{pdir / 'common.j2'}: not a regular file"):
        load_policy(pdir)


@pytest.mark.parametrize("body", [
    "{{ 'x' * 10**10 }}",
    "{{ ['x'] * 10**10 }}",
    "{{ 10**10 * 'x' }}",
    "{{ 2 ** (10 ** 10) }}",
    "{% set ns = namespace(n=2) %}{% for i in range(64) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
    "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s | length }}{% endmacro %}{{ f('x', 64) }}",
    "{{ '%0*d' % (10**10, 1) }}",
    "{{ '%010000000000d' % 1 }}",
    "{{ '{:>10000000000}'.format('x') }}",
    "{{ 'x'.center(10**10) }}",
    "{{ 'x'.zfill(10**10) }}",
    "{{ ('\\t' * 1000).expandtabs(10**8) }}",
    "{{ ('x' * 10**6).replace('', 'y' * 10**6) }}",
    "{{ ('x' * 10**6).join(['y' * 10**6] * 100) }}",
    "{{ 'x' | center(10**10) }}",
    "{{ ('x\\n' * 10**6) | indent(10**6) }}",
    "{{ '%010000000000d' | format(1) }}",
    "{{ ('x' * 10**6) | replace('', 'y' * 10**6) }}",
    "{{ ('x' * 10**6) | wordwrap(1, wrapstring='y' * 10**6) }}",
    "{{ range(100000) | map('center', 10**6) | join }}",
    "{{ range(100000) | map('center', 10**6) | list | length }}",
    "{% for i in range(100000) %}{{ 'x' * 10**6 }}{% endfor %}",
    "{{ range(10**10) | length }}",
    "{% set s = 'x' * 10**6 %}{{ (s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s) | length }}",
    "{{ [1] | batch(10**10, 0) | list | length }}",
])
def test_huge_values_are_refused_promptly(pdir, mini, body):
    start = time.monotonic()
    msg = _render_error(pdir, mini, "! x\n" + body + "\n")
    assert msg.startswith(f"{pdir / 'common.j2'}:2: ") and " (rendering r1-bag1)" in msg
    assert re.search(r": SecurityError: .*(would hold|would have|are refused)|: renders more than|Range too big", msg)
    assert time.monotonic() - start < 20


def test_an_expression_nested_too_deep_to_compile_is_one_error(pdir):
    (pdir / "common.j2").write_text("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}\n")
    with pytest.raises(LabError, match=r"common.j2: template error: too deeply nested"):
        load_policy(pdir)


def test_a_fragment_including_itself_is_one_error(pdir, mini):
    msg = _render_error(pdir, mini, "! x\n{% include 'common.j2' %}\n")
    assert msg.startswith(f"{pdir / 'common.j2'}:2: RecursionError")


ORDINARY = [
    "{{ sessions | map(attribute='peer') | unique | list }} {{ sessions | map(attribute='speed_gbps') | sum }}",
    "{{ sessions | selectattr('family', 'equalto', 'ipv4') | map(attribute='addr') | join(', ') }}",
    "{{ (sessions | sort(attribute='addr') | last).addr }} "
    "{{ sessions | rejectattr('family', 'equalto', 'ipv4') | list | count }}",
    "{{ sessions | groupby('family') | map(attribute='grouper') | list }} {{ range(10) | batch(3) | list }}",
    "{{ node | dictsort | map('first') | join(' ') }} {{ node.prefixes_v4 | first }} {{ node.prefixes_v4 | tojson }}",
    "{{ node.name | replace('-', '_', 1) | upper }} {{ node.name | center(20) }}| {{ 'a\nb' | indent(2, true) }}",
    "{{ '%05d %s' | format(42, 'x') }} {{ 'a b c d e f' | wordwrap(3) }} {{ [3, 1, 2] | sort | reverse | list }}",
    "{{ 'x' ~ 1 ~ node.name }} {{ node.asn * 2 }} {{ node.asn ** 2 }} {{ node.asn % 1000 }} {{ 7 // 2 }} {{ 7 / 2 }}",
    "{{ '-' * 3 }} {{ [1] * 3 }} {{ [1] + [2] }} {{ 'a' + 'b' }} {{ '%s-%d' % ('x', 3) }} {{ '{}-{:>3}'.format('x', 3) }}",
    "{{ 'ab'.center(6) }}|{{ '7'.zfill(3) }} {{ 'a\tb'.expandtabs(4) }} {{ 'aXb'.replace('X', '-') }} "
    "{{ ','.join(range(3) | map('string')) }}",
    "{% set ns = namespace(x=0) %}{% for s in sessions %}{% set ns.x = ns.x + s.speed_gbps %}{% endfor %}{{ ns.x }}",
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{% set j = joiner(',') %}{{ j() }}x{{ j() }} {{ dict(a=1) }}",
    "{% macro m(a, b=2) %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }} {{ m('x', b=node.name) }}",
    "{% for p in node.prefixes_v4 | reverse %}{{ loop.index0 }}{{ p }}{{ loop.length }}{% endfor %}.",
    "{{ plan.node(node.name).asn }} {{ plan.links_of(node.name) | length }} {{ plan.topology }} {{ plan.prefixes('ipv4') }}",
    "{{ node.items() | list | length }} {{ node.get('name') }} {{ 'a' in 'abc' }} {{ 3 is divisibleby 3 }}",
]


@pytest.mark.parametrize("expr", ORDINARY)
def test_ordinary_templates_render_as_plain_jinja2_does(mini, expr):
    n = mini.node("r1-f2-edge")
    ctx = context(mini, n, sessions(mini, n))
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                               lstrip_blocks=True)
    want = plain.from_string(expr).render(ctx)
    assert load_policy().env.from_string(expr).render(ctx) == want and want.strip()


def test_digest_covers_the_bytes_that_rendered(pdir):
    """The digest ``up`` records is of the fragments as read at load, not as they are later."""
    pol = load_policy(pdir)
    before = pol.digest()
    (pdir / "role" / "bag.j2").write_text("! changed after loading\n")
    assert pol.digest() == before != load_policy(pdir).digest()


def _shipped() -> list[tuple[str, str]]:
    """(topology file, policy directory) for the built-in policy on every shipped topology and
    each example candidate on the topology it is written for."""
    pairs = [(t.name, "lab/config/policies/default") for t in sorted(TOPOLOGIES.glob("*.yaml"))]
    for cand in sorted((TOPOLOGIES / "policies").glob("*/*")):
        if cand.is_dir():
            pairs.append((f"{cand.parent.name}.yaml", str(cand.relative_to(ROOT))))
    return pairs


def _fragments_digest(topology: str, policy: str) -> str:
    """What every FRR router's fragments rendered (baglab's own lines left out)."""
    plan = plan_of(topology)
    pol = load_policy(ROOT / policy, plan)
    h = hashlib.sha256()
    for node in plan.nodes:
        if kind_of(node) is FRR:
            r = render_node(plan, node, "/x", policy=pol)
            lines = r.text.splitlines(keepends=True)
            for b in r.blocks:
                if b.path is not None:
                    rel = b.path.relative_to(pol.root)
                    h.update(f"{node.name}\0{rel}\0".encode() + "".join(lines[b.first - 1:b.last]).encode() + b"\0")
    return h.hexdigest()


def test_every_shipped_pair_is_recorded():
    assert set(json.loads(RECORDED.read_text())) == {f"{t} {p}" for t, p in _shipped()}


@pytest.mark.parametrize("topology, policy", _shipped())
def test_shipped_policies_render_as_recorded(topology, policy):
    assert _fragments_digest(topology, policy) == json.loads(RECORDED.read_text())[f"{topology} {policy}"]


if __name__ == "__main__":
    RECORDED.write_text(json.dumps({f"{t} {p}": _fragments_digest(t, p) for t, p in _shipped()}, indent=1) + "\n")


def test_a_policys_own_intent_file_is_never_read_through_a_link(tmp_path):
    # diff and rollout read DIR/intents.yaml as root; a link there could echo a secret in an error
    from lab.config.policy import intents_of
    from lab.workflows.diff.run import intended_changes

    secret = tmp_path / "secret"
    secret.write_text("intended_changes: [{aspect: s3cret}]\n")
    d = tmp_path / "pol"
    d.mkdir()
    assert intents_of(d) is None
    (d / "intents.yaml").symlink_to(secret)
    with pytest.raises(LabError, match="intents.yaml: a symlink"):
        intended_changes(d)
    (d / "intents.yaml").unlink()
    os.mkfifo(d / "intents.yaml")
    with pytest.raises(LabError, match="not a regular file"):
        intents_of(d)
