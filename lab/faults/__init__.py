"""Failure injection: links, bundles, nodes, planes, failure domains, BGP sessions, drains.

actions: the typed primitive actions (and their JSON form); kinds: the fault kinds and the
classes that build faults from the plan; journal: where they are recorded; injector: the facade.
"""
from lab.faults.injector import Fault, FaultInjector
from lab.faults.kinds import FaultKind

__all__ = ["Fault", "FaultInjector", "FaultKind"]
