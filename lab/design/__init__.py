"""Design: what the user describes, checked and expanded before anything runs.

Topology YAML -> typed model (model, topology, intent checks) -> plan (every node, wire, address
and ASN, built by named steps), with the node kinds and the FRR versions baglab knows as data."""
