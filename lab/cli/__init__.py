"""``baglab``: one obvious command per lab verb, one module per verb.

Each verb module (``plan``, ``up``, ``down``, ``status``, ``exec``, ``labs``, ``export``,
``fault``, ``faults``, ``restore``, ``impair``, ``drain`` (drain and undrain), ``rehearse``,
``macsec``, ``links``, ``probe``, ``sweep``, ``domains``, ``frrcheck``, ``check``, ``record``, ``diff``,
``rollout``, ``rollback``, ``upgrade``) parses its arguments, calls one function of
:mod:`lab.workflows` (or a reader) and prints; it registers itself on :data:`app`.  ``views``
prints, ``common`` holds the arguments and input checks they share, and
:func:`lab.session.open_lab` attaches them to a running lab.
Importing this package registers every verb (the order here is the order ``--help`` lists them).
"""
from __future__ import annotations

import sys
from typing import List, Optional

from lab.errors import LabError
from lab.exit_codes import BAD_INPUT
from lab.cli import (plan, up, down, status, exec, labs, export,  # noqa: F401 - registers the verbs
                     fault, faults, restore, impair, drain, rehearse, macsec, links, probe, sweep, domains,
                     frrcheck, check, record, diff, rollout, rollback, upgrade)
from lab.cli.app import Interrupted, app
from lab.cli.views import err, error

__all__ = ["app", "main"]


def main(argv: Optional[List[str]] = None) -> None:
    """The console script: a user's error is one line and exit 2, Ctrl-C a hint and exit 130."""
    try:
        app(args=argv)
    except LabError as exc:
        error(str(exc))
        sys.exit(getattr(exc, "exit_code", BAD_INPUT))
    except OSError as exc:
        if exc.filename is None:      # not about a path the user gave or lacks access to: a bug
            raise
        error(f"{exc.strerror}: {exc.filename}")
        sys.exit(BAD_INPUT)
    except (KeyboardInterrupt, Interrupted):
        err.print("interrupted; 'baglab down' removes whatever was built")
        sys.exit(130)
