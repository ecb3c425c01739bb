"""Observe: what a running lab does, read from the real parts -- kernel FIBs over netlink, FRR's
tables, packet probes, the FIB timeline -- and the one way to wait until it settles (settle)."""
