"""File operations for root writing where the ``frr`` user can write too.

Node directories and ``/var/run/frr`` belong to ``frr``, and baglab runs as root.  A compromised (or
buggy) daemon could plant a symlink or hard link there and turn root's next config rewrite, key write,
log append or chown into an overwrite of any file on the host.  So root never follows a link here:
whole files are written to a fresh ``O_EXCL|O_NOFOLLOW`` temp name and renamed over the target (a
rename replaces a planted link, it does not write through it), appends and reads open with
``O_NOFOLLOW`` and refuse anything but a regular, singly-linked file, and directories are created
and chowned through a descriptor opened with ``O_NOFOLLOW``.

Every file baglab writes outside its own state (reports, pictures, rendered configs, exports) goes
through :func:`write_outputs` / :func:`write_output`: the same rename, into directories judged first.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import Iterable, Mapping

from lab.errors import LabError

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
    try:
        _write_at(dfd, path.name, raw, mode, owner)
    finally:
        os.close(dfd)


def _write_at(dfd: int, name: str, raw: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    tmp = f".{name}.{secrets.token_hex(6)}.tmp"
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
        os.rename(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dfd)
        except OSError:
            pass
        raise


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
    """Read a file root did not write itself (it may be the daemon's), never through a link.
    O_NONBLOCK so a FIFO planted in its place is refused by the check instead of hanging root."""
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
    _check_plain(fd, path)
    os.set_blocking(fd, True)
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


# Output files (reports, rendered configs, exports, pictures) go where the user says, a place other
# users may have reached first ('--render /tmp/review').  Root writes only into directories root or
# the invoking user owns and nobody else may change; the path is walked one directory descriptor at
# a time, and the directories baglab names itself (node directories, 'timelines') never via a link.

_DIR = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW
_MAX_LINKS = 40


def trusted_uids() -> frozenset[int]:
    """Who may own an output directory: root and the user running baglab (under sudo, SUDO_UID)."""
    uids = {0, os.getuid()}
    sudo = os.environ.get("SUDO_UID", "")
    if os.getuid() == 0 and sudo.isdigit():
        uids.add(int(sudo))
    return frozenset(uids)


def _who(uid: int) -> str:
    import pwd
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def trusted_gids() -> frozenset[int]:
    """Groups whose write bit is no one else's: root's and the running (under sudo, invoking)
    user's own, which is a private group on most distributions (a checkout under umask 002 is 0775)."""
    gids = {0, os.getgid()}
    sudo = os.environ.get("SUDO_GID", "")
    if os.getuid() == 0 and sudo.isdigit():
        gids.add(int(sudo))
    return frozenset(gids)


def _closed(st: os.stat_result) -> bool:
    """Only its owner (and root) may add, rename or remove entries: not writable by others (nor by a
    group other than the user's own), or sticky."""
    if st.st_mode & stat.S_ISVTX:
        return True
    return not st.st_mode & 0o002 and (not st.st_mode & 0o020 or st.st_gid in trusted_gids())


def _judge(fd: int, where: Path) -> None:
    st = os.fstat(fd)
    if st.st_uid not in trusted_uids():
        raise LabError(f"{where}: owned by {_who(st.st_uid)}, not by root or the user running baglab; "
                       "refusing to write output there")
    if not _closed(st):
        raise LabError(f"{where}: writable by group or others (mode {stat.S_IMODE(st.st_mode):04o}) without the "
                       "sticky bit; refusing to write output there")


def _enter(fd: int, name: str, where: Path) -> int:
    try:
        return os.open(name, _DIR, dir_fd=fd)
    except OSError as exc:
        raise LabError(f"{where}: not a plain directory ({exc.strerror}); refusing to write output there") from None


def _output_dir(base: Path, sub: tuple[str, ...], create: bool, mode: int = 0o755, leaf_mode: int = 0o755) -> int | None:
    """A descriptor of ``base/sub...`` (the caller closes it), missing directories made with ``mode``
    (the last ``leaf_mode``).  In ``base`` a link is followed only if root or the invoking user made it
    in a directory nobody else may change; in ``sub`` never.  Without ``create``: None where a
    directory is missing, once the one it would be made in is judged fit."""
    where = Path("/") if base.is_absolute() else Path.cwd()
    todo = [(p, False) for p in base.parts if p not in ("/", ".")] + [(p, True) for p in sub]
    fd, links = os.open("/" if base.is_absolute() else ".", _DIR), 0
    try:
        while todo:
            name, ours = todo.pop(0)
            here = where.parent if name == ".." else where / name
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                _judge(fd, where)            # a directory is about to be made in it
                if not create:
                    os.close(fd)
                    return None
                m = leaf_mode if not todo else mode
                try:
                    os.mkdir(name, m, dir_fd=fd)
                    made = True
                except FileExistsError:     # someone else's: judged like any other below
                    made = False
                except OSError as exc:
                    raise LabError(f"{here}: cannot create ({exc.strerror})") from None
                nfd = _enter(fd, name, here)
                if made and os.fstat(nfd).st_uid == os.geteuid():
                    os.fchmod(nfd, m)       # the mode meant, whatever the umask
                os.close(fd)
                fd, where = nfd, here
                if ours:
                    _judge(fd, where)
                continue
            if stat.S_ISLNK(st.st_mode):
                parent, links = os.fstat(fd), links + 1
                if ours:
                    raise LabError(f"{here}: a symlink where baglab writes its own output; refusing to follow it")
                if links > _MAX_LINKS or {st.st_uid, parent.st_uid} - trusted_uids() or not _closed(parent):
                    raise LabError(f"{here}: a symlink owned by {_who(st.st_uid)} in a directory owned by "
                                   f"{_who(parent.st_uid)} (mode {stat.S_IMODE(parent.st_mode):04o}); baglab follows "
                                   "only links root or the user running it made where no one else can change them")
                target = os.readlink(name, dir_fd=fd)
                if target.startswith("/"):
                    os.close(fd)
                    fd, where = os.open("/", _DIR), Path("/")
                todo[:0] = [(p, False) for p in Path(target).parts if p not in ("/", ".")]
                continue
            nfd = _enter(fd, name, here)
            os.close(fd)
            fd, where = nfd, here
            if ours:
                _judge(fd, where)
        _judge(fd, where)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _relative(name: str | Path) -> tuple[str, ...]:
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise LabError(f"{name}: not a path inside the output directory")
    return parts


def check_output_dir(path: str | Path) -> None:
    """Refuse now a directory output will be written to later (see :func:`write_outputs`)."""
    fd = _output_dir(Path(path), (), create=False)
    if fd is not None:
        os.close(fd)


def _remove_tree_at(dfd: int, name: str) -> None:
    fd = os.open(name, _DIR, dir_fd=dfd)      # a link swapped in for a directory fails here
    try:
        with os.scandir(fd) as it:
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
        for entry, is_dir in entries:
            if is_dir:
                _remove_tree_at(fd, entry)
            else:
                os.unlink(entry, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dfd)


def remove_output(base: str | Path, name: str | Path) -> None:
    """Remove ``base/name`` (an earlier run's file or tree), a link there removed, never followed."""
    *sub, last = _relative(name)
    fd = _output_dir(Path(base), tuple(sub), create=False)
    if fd is None:
        return
    try:
        if stat.S_ISDIR(os.stat(last, dir_fd=fd, follow_symlinks=False).st_mode):
            _remove_tree_at(fd, last)
        else:
            os.unlink(last, dir_fd=fd)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise LabError(f"{Path(base, name)}: cannot remove ({exc.strerror})") from None
    finally:
        os.close(fd)


def write_outputs(base: str | Path, files: Mapping[str, tuple[str | bytes, int]], dir_mode: int = 0o755,
                  clear: Iterable[str] = (), make_dirs: bool = True) -> list[Path]:
    """Write ``base/name`` for every name -> (content, mode) as :func:`write_file` does (a fresh file
    renamed over whatever was there: a link or another user's file is replaced, never written into).
    Every directory is judged before the first file is written.  Directories baglab makes get
    ``dir_mode``, one holding a file only its owner may read 0700 (``make_dirs`` false: a missing one
    is the user's error); ``clear``: names removed first."""
    base = Path(base)
    by_dir: dict[tuple[str, ...], dict[str, tuple[bytes, int]]] = {}
    for name, (data, mode) in files.items():
        *sub, last = _relative(name)
        by_dir.setdefault(tuple(sub), {})[last] = (data.encode() if isinstance(data, str) else data, mode)
    devices: set[tuple[tuple[str, ...], str]] = set()
    for sub, fs in by_dir.items():          # judged all before anything is written
        fd = _output_dir(base, sub, create=False)
        if fd is None and not make_dirs:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(base.joinpath(*sub, next(iter(fs)))))
        if fd is None:
            continue
        try:
            for last in fs:
                if _is_device(fd, last, base.joinpath(*sub, last)):
                    devices.add((sub, last))
        finally:
            os.close(fd)
    for name in clear:
        remove_output(base, name)
    for sub, fs in by_dir.items():
        private = any(not mode & 0o077 for _, mode in fs.values())
        fd = _output_dir(base, sub, create=True, mode=dir_mode, leaf_mode=dir_mode & 0o700 if private else dir_mode)
        try:
            for last, (raw, mode) in fs.items():
                try:
                    if (sub, last) in devices:
                        _write_device(fd, last, raw, base.joinpath(*sub, last))
                    else:
                        _write_at(fd, last, raw, mode, None)
                except OSError as exc:
                    raise LabError(f"{base.joinpath(*sub, last)}: cannot write ({exc.strerror})") from None
        finally:
            os.close(fd)
    return [base / name for name in files]


def _is_device(fd: int, name: str, where: Path) -> bool:
    """Whether ``name`` is a character device or FIFO to write into (``--json /dev/null``,
    ``--html /dev/stdout``) rather than a file to replace: one root or the user made, directly or
    behind their own link in a directory no one else may change.  A directory, socket or block
    device in the way, or such a link to anything else, is refused; a missing name, a file or a
    link someone else planted is replaced."""
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        if st.st_uid not in trusted_uids() or not _closed(os.fstat(fd)):
            return False                    # planted: replaced by the new file, never followed
        try:
            target = os.stat(name, dir_fd=fd)
        except OSError:
            target = None
        if target is None or not _writable_device(target):
            # root's or the user's own link (like /dev/stdout to a redirected file) is theirs to keep
            raise LabError(f"{where}: a link to {os.readlink(name, dir_fd=fd)}, not a file; name the file itself "
                           "(nothing written)")
        return True
    if stat.S_ISREG(st.st_mode):
        return False
    if _writable_device(st) and st.st_uid in trusted_uids():
        return True
    raise LabError(f"{where}: a {'directory' if stat.S_ISDIR(st.st_mode) else 'special file'} is in the way; "
                   "nothing written")


def _writable_device(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)


def _write_device(dfd: int, name: str, raw: bytes, where: Path) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dfd)     # a FIFO without reader: ENXIO
    try:
        if not _writable_device(os.fstat(fd)):
            raise LabError(f"{where}: changed while being written; nothing written")
        os.set_blocking(fd, True)
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def write_output(path: str | Path, data: str | bytes, mode: int = 0o644, dir_mode: int = 0o755,
                 make_dirs: bool = True) -> Path:
    """One output file where the user asked for it (``--json PATH``), written as :func:`write_outputs` does."""
    path = Path(path)
    return write_outputs(path.parent, {path.name: (data, mode)}, dir_mode, make_dirs=make_dirs)[0]
