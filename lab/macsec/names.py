"""Interface names of a protected port besides the plan's: the SecY's own end of the router's port."""
from __future__ import annotations


def secy_port(wire: str) -> str:
    """The veth end the user-space SecY serves, beside the router's interface ("mw12a" -> "ms12a")."""
    return "ms" + wire[2:]
