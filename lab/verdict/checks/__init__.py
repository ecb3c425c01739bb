"""Intent checks: what a user says must hold for their policy, verified on a running lab.

The intent file (``intents.yaml`` beside a policy directory, or
``topologies/intents/<topology>.yaml`` for the built-in policy) is parsed by
:mod:`lab.verdict.checks.schema`; each check yields a PASS / FAIL / INCONCLUSIVE verdict
with the observed figures as evidence.
"""
