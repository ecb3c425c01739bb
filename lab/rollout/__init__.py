"""The rollout rehearsal (issue 16): a candidate policy applied live, phase by phase, with the
intent checks judging every mixed state in between."""
