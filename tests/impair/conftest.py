from lab.pytest_plugin import _observer, _report, faults, lab, observe, oracle, runtime_name  # noqa: F401
