"""The host's own FRR: where its daemons are and which version they are (the netns runtime's default).

Host knowledge, not a build step: the lab's state, the plan's readers and the version roots all ask it."""
from __future__ import annotations

import functools
import os
import re
import subprocess

from lab.errors import LabError

HOST_FRR_BIN = os.environ.get("BAGLAB_FRR_BIN", "/usr/lib/frr")


@functools.cache
def host_version() -> str:
    """The host's FRR as major.minor (the netns runtime's default)."""
    try:
        r = subprocess.run([f"{HOST_FRR_BIN}/zebra", "--version"], capture_output=True, text=True)
    except OSError as exc:
        raise LabError(f"{HOST_FRR_BIN}/zebra: {exc.strerror}: is FRR installed? (apt-get install frr)") from None
    m = re.search(r"version (\d+\.\d+)", r.stdout)
    if not m:
        raise LabError(f"{HOST_FRR_BIN}/zebra --version says nothing of a version: is FRR installed?")
    return m.group(1)

