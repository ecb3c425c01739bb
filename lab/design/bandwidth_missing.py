"""The topology's ``policy.bandwidth_missing``: FRR's receiver option for multipath sets where
some paths carry no link-bandwidth, and which FRR versions have it.

One name per behaviour, not per FRR keyword, because the oracle models the behaviour: 'ecmp' is
FRR's default (no line), the others are ``bgp bestpath bandwidth skip-missing`` and
``... default-weight-for-missing``.  FRR's third keyword, ``ignore``, is not a missing-bandwidth
rule: it drops UCMP for every route, community or not (measured, docs/explanation/weights.md).

Which version accepts which keyword was measured with each version's parser (lab.frr.check) and
on running daemons (bench/bandwidth_missing.py); the catalogue (lab.design.frr_versions) holds it, and a
version missing there must be measured before a topology may choose a non-default option on it.
"""
from __future__ import annotations

from lab.design.frr_versions import ASSUMED_VERSION, BANDWIDTH_MISSING, CATALOGUE

OPTIONS = BANDWIDTH_MISSING
#: the FRR keyword each option renders as (None: FRR's default, nothing rendered)
KEYWORD = {"ecmp": None, "skip-missing": "skip-missing", "default-weight": "default-weight-for-missing"}
#: FRR version -> the options its bgpd accepts (a router without a version: as ASSUMED_VERSION)
SUPPORTED: dict[str, frozenset[str]] = {v: c.bandwidth_missing for v, c in CATALOGUE.items()}


def config_line(option: str) -> str | None:
    """The ``router bgp`` line that selects the option, or None for FRR's default."""
    kw = KEYWORD[option]
    return f"bgp bestpath bandwidth {kw}" if kw else None


def unsupported(option: str, versions: set[str | None]) -> list[str]:
    """The versions among ``versions`` that lack ``option`` (sorted), none for the default."""
    if option == "ecmp":
        return []
    return sorted(v or ASSUMED_VERSION for v in versions
                  if option not in SUPPORTED.get(v or ASSUMED_VERSION, frozenset()))
