"""Verdict: observations judged -- intent checks, one fault's measurement, convergence statistics,
failure-domain costs, design headroom -- and the reports and pictures people read."""
