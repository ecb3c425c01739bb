"""Host plumbing below every runtime: network namespaces (nsutil), nftables (nft) and the
sysctls of a lab node (sysctls).  Runtimes, MACsec and the export build on it; it imports
none of them, so the layers above never import each other in a circle."""
