"""Impairing plain ports on kernels without netem: the splice (splice.py), the per-node forwarder
process (loop.py) and what the ``forwarder`` impairment backend does on a port (control.py).
Outside lab.impair, which the topology reader imports: this part needs the host and the lab's state."""
