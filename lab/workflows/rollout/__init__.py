"""The rollout rehearsal: a candidate policy applied live, phase by phase, with a probe
stream counting packets and the intent checks judging every mixed state in between.

phases (the file) -> run (order, journal, resume, rollback) -> phase (drain, reload, undrain,
stream, checks) -> reload (frr-reload.py on one router) -> report (what people and CI read).
An upgrade is the same rollout whose change is the FRR version: phase -> upgrade (a
router's daemons replaced, links kept); step runs one such phase ('baglab upgrade')."""
