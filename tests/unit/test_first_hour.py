"""What a newcomer reads in the first hour: one time per thing measured, errors that say what exists."""
from __future__ import annotations

import re

from lab.cli.views import up_line


def test_up_prints_each_time_once_and_says_what_it_measures():
    line = up_line("default", "bag-mini", "up", 14, 1.94,
                   [("plan", 0.01), ("namespaces", 0.21), ("daemons", 0.59), ("convergence", 2.34)])
    assert "converged in" not in line            # two unexplained "convergence" times in one line were the defect
    assert "in 3.15s (plan 0.01s, namespaces 0.21s, daemons 0.59s, convergence 2.34s)" in line
    assert "every FIB as the oracle predicts 1.94s after the daemons started" in line
    assert len(re.findall(r"1\.94s", line)) == 1 and len(re.findall(r"2\.34s", line)) == 1
    again = up_line("default", "bag-mini", "already up", 14, 0.05, [])
    assert "checked in 0.05s" in again and "after the daemons" not in again


def test_a_missing_member_says_the_bundle_exists_and_how_many_members_it_has(mini):
    import pytest

    from lab.errors import LabError
    from lab.faults.names import bundle_members

    one = next(b for b in {l.bundle for l in mini.links} if sum(l.bundle == b for l in mini.links) == 1)
    with pytest.raises(LabError) as e:
        bundle_members(mini, one, [4])
    assert str(e.value) == f"bundle {one!r} exists and has 1 member (1); no member 4"


def test_a_reversed_bundle_name_is_the_same_bundle(mini):
    from lab.faults.names import bundle_members

    links = bundle_members(mini, "r2-bag1~r1-bag1")
    assert links and {l.bundle for l in links} == {"r1-bag1~r2-bag1"}
    assert [l.member for l in bundle_members(mini, "r2-bag1~r1-bag1", [2])] == [2]


def test_a_mistyped_bundle_gets_the_names_near_it_and_where_the_rest_are(mini):
    import pytest

    from lab.errors import LabError
    from lab.faults.names import bundle_name

    with pytest.raises(LabError) as e:
        bundle_name(mini, "r1-bag1~r2-bag3")
    msg = str(e.value)
    assert "did you mean " in msg and "r1-bag1~r2-bag1" in msg and "'baglab plan TOPO' lists them all" in msg
    assert "..." not in msg


def test_a_missing_plane_lists_the_planes_of_every_region(mini):
    import pytest

    from lab.errors import LabError
    from lab.faults.names import plane_nodes

    with pytest.raises(LabError) as e:
        plane_nodes(mini, 3, "r1")
    assert str(e.value) == "no BAG plane 3 in region r1; BAG planes per region: r1: 1, 2; r2: 1, 2"


def test_dash_h_is_help(capsys):
    import pytest

    from lab import cli

    for argv in (["-h"], ["fault", "link", "-h"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 0 and "Usage:" in capsys.readouterr().out
