"""MACsec-only BAG-to-BAG links: IEEE 802.1AE framing, the lab's key chain, enforcement and the
user-space fallback used where the host kernel has no ``macsec`` module."""
