from lab.pytest_plugin import _observer, _report, faults, lab, observe, oracle  # noqa: F401
