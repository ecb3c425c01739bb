"""The rollout rehearsal (issue 16): a candidate policy applied live, phase by phase, with a probe
stream counting packets and the intent checks judging every mixed state in between.

phases (the file) -> run (order, journal, resume, rollback) -> phase (drain, reload, undrain,
stream, checks) -> reload (frr-reload.py on one router) -> report (what people and CI read)."""
