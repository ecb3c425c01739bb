"""The live helpers of the missing-bandwidth test refuse what they cannot do before touching a
router (no root needed: every refusal comes before vtysh)."""
from __future__ import annotations

import pytest

from lab.errors import LabError
from lab.faults.unmark import _origin_maps, set_marking, set_option
from lab.state import LabPaths



def test_an_origins_maps_and_the_bandwidth_each_sets(mini):
    assert _origin_maps(mini, "r1-f1-p1s1") == {"ORIGIN4-800": 800, "ORIGIN6-800": 800}


def test_only_a_fabric_origin_can_stop_marking(mini):
    with pytest.raises(LabError, match="r1-bag1 is not a fabric origin"):
        set_marking(mini, LabPaths("bwu"), "r1-bag1", marked=False)


def test_an_unknown_option_is_refused_naming_the_choices(mini):
    with pytest.raises(LabError, match="ecmp, skip-missing, default-weight"):
        set_option(mini, LabPaths("bwu"), ["r1-bag1"], "ignore")
