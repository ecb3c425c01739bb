"""Config: plan -> each node's files (frr.conf and each daemon's cut of it, speaker and ExaBGP
configs), the user's policy directories rendered in a sandbox, FRR's parser run on the result,
the expected-weight oracle and the containerlab export."""
