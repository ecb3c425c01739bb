"""File operations for root writing where the ``frr`` user can write too.

Node directories and ``/var/run/frr`` belong to ``frr``, and baglab runs as root.  A compromised (or
buggy) daemon could plant a symlink or hard link there and turn root's next config rewrite, key write,
log append or chown into an overwrite of any file on the host.  So root never follows a link here:
whole files are written to a fresh ``O_EXCL|O_NOFOLLOW`` temp name and renamed over the target (a
rename replaces a planted link, it does not write through it), appends and reads open with
``O_NOFOLLOW`` and refuse anything but a regular, singly-linked file, and directories are created
and chowned through a descriptor opened with ``O_NOFOLLOW``.
"""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from .errors import LabError

_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


def frr_owner() -> tuple[int, int]:
    """uid and gid of the ``frr`` user, who owns node directories, configs and logs."""
    import grp
    import pwd
    return pwd.getpwnam("frr").pw_uid, grp.getgrnam("frr").gr_gid


def _dir_fd(d: Path) -> int:
    try:
        return os.open(d, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        raise LabError(f"{d}: not a plain directory ({exc.strerror}); refusing to write into it") from None


def write_file(path: str | Path, data: str | bytes, mode: int = 0o644, owner: tuple[int, int] | None = None) -> None:
    """Atomically replace ``path`` (readers never see half a file) without following any link."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    dfd = _dir_fd(path.parent)
    tmp = f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode, dir_fd=dfd)
        try:
            os.fchmod(fd, mode)
            if owner:
                os.fchown(fd, *owner)
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.rename(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dfd)
        except OSError:
            pass
        raise
    finally:
        os.close(dfd)


def _check_plain(fd: int, path: Path) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        raise LabError(f"{path}: not a plain file (a link or special file was planted); refusing it")


def open_append(path: str | Path, mode: int = 0o640, owner: tuple[int, int] | None = None) -> int:
    """A descriptor appending to ``path`` (created if missing); the caller closes it."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, mode)
    except OSError as exc:
        raise LabError(f"{path}: cannot open for appending ({exc.strerror}); a link there is refused") from None
    _check_plain(fd, path)
    if owner:
        os.fchown(fd, *owner)
    return fd


def append_text(path: str | Path, owner: tuple[int, int] | None = None):
    """A line-buffered text file object appending to ``path``, opened as :func:`open_append` does."""
    return os.fdopen(open_append(path, owner=owner), "a", buffering=1)


def read_text(path: str | Path) -> str:
    """Read a file root did not write itself (it may be the daemon's), never through a link."""
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    _check_plain(fd, path)
    with os.fdopen(fd) as f:
        return f.read()


def make_dir(path: str | Path, mode: int = 0o755, owner: tuple[int, int] | None = None) -> Path:
    """Create ``path`` and its parents if missing and chown it, refusing a symlink in its place."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    fd = _dir_fd(path)
    try:
        if owner:
            os.fchown(fd, *owner)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return path
