"""Failure injection: links, bundles, nodes, planes, failure domains, BGP sessions."""
from .injector import Fault, FaultInjector

__all__ = ["Fault", "FaultInjector"]
