"""The last lines of a daemon's log, for an error message.

Logs live in node directories that belong to the ``frr`` user, and the message is printed by
root: a daemon that planted ``frr.log -> /etc/shadow`` (or a hard link to it) must not get root to
show that file.  So the log is opened without following a link and shown only if it is a regular,
singly-linked file, as :mod:`lab.safe_io` reads; only its end is read, so a log of gigabytes costs
no more than a small one, and a FIFO planted there cannot block the reader.

A module of its own, below every package: the FRR observers, the MACsec SecY and the impairment
forwarder all show the same log, and lab.observe already imports lab.macsec.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

#: far more than 15 lines of any daemon's log; what a tail reads however large the file is
TAIL_BYTES = 64 * 1024
#: the terminal would act on escape sequences a daemon wrote; tabs and line ends are kept
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def log_tail(path: str | Path, lines: int = 15) -> str:
    """The last ``lines`` lines of ``path``, or one line saying why they are not shown."""
    path = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        return f"(no log at {path})"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{path}: not a plain file (a symbolic link was planted); not shown"
        return f"{path}: cannot be read ({exc.strerror}); not shown"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return f"{path}: not a plain file (a FIFO, device or directory was planted); not shown"
        if st.st_nlink != 1:
            return f"{path}: not a plain file (a hard link was planted); not shown"
        start = max(0, st.st_size - TAIL_BYTES)
        data = os.pread(fd, TAIL_BYTES, start)
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror}); not shown"
    finally:
        os.close(fd)
    text = [_CONTROL.sub("?", line) for line in data.decode(errors="replace").splitlines()]
    if start:
        text = text[1:]       # read from the middle of a line: drop the fragment
    return "\n".join(text[-lines:]) if lines > 0 else ""
