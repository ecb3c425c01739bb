"""``baglab diff``: what the routers of two labs (baseline and candidate policy) really did, side by side.

Nothing here consults the oracle: it only knows baglab's own policy, and a candidate is
exactly the thing it cannot predict.  :mod:`settle` waits for a lab to go quiet on its own,
:mod:`snapshot` records FIBs, best paths and flow splits, :mod:`outcomes` the N-1 sweep as
observed, :mod:`compare` sets two snapshots side by side, :mod:`run` drives two labs.
"""
