"""Workflows: what a command does from start to end on one Lab -- up, check, sweep, rehearse,
diff, rollout, upgrade, status, and a fault, drain or restore (inject) -- so the CLI only
parses, calls one of these and prints."""
