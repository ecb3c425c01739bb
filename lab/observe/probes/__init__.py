"""Probes that put real frames and packets on the lab's wires."""
