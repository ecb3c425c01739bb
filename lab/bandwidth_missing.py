"""The topology's ``policy.bandwidth_missing``: FRR's receiver option for multipath sets where
some paths carry no link-bandwidth, and which FRR versions have it.

One name per behaviour, not per FRR keyword, because the oracle models the behaviour: 'ecmp' is
FRR's default (no line), the others are ``bgp bestpath bandwidth skip-missing`` and
``... default-weight-for-missing``.  FRR's third keyword, ``ignore``, is not a missing-bandwidth
rule: it drops UCMP for every route, community or not (measured, README "Other FRR versions").

Which version accepts which keyword was measured with each version's parser (``vtysh -C``) and
on running daemons (bench/bandwidth_missing.py); a version missing from ``SUPPORTED`` (a future
one) must be measured before a topology may choose a non-default option on it.
"""
from __future__ import annotations

OPTIONS = ("ecmp", "skip-missing", "default-weight")
#: the FRR keyword each option renders as (None: FRR's default, nothing rendered)
KEYWORD = {"ecmp": None, "skip-missing": "skip-missing", "default-weight": "default-weight-for-missing"}
#: FRR version -> the options its bgpd accepts (None: the host's FRR, bookworm's 8.4)
SUPPORTED: dict[str, frozenset[str]] = {v: frozenset(OPTIONS) for v in ("8.4", "10.3", "10.7")}
HOST = "8.4"


def config_line(option: str) -> str | None:
    """The ``router bgp`` line that selects the option, or None for FRR's default."""
    kw = KEYWORD[option]
    return f"bgp bestpath bandwidth {kw}" if kw else None


def unsupported(option: str, versions: set[str | None]) -> list[str]:
    """The versions among ``versions`` that lack ``option`` (sorted), none for the default."""
    if option == "ecmp":
        return []
    return sorted(v or HOST for v in versions if option not in SUPPORTED.get(v or HOST, frozenset()))
