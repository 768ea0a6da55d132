"""Writing files so that nothing is ever half-written on disk, and reading them with a limit.

Everything dagrad saves (pictures, frames, plots, model weights) goes through here: the data
is written to a temporary file in the target's folder and renamed over the target only once
complete, so a reader (or a crash) sees the old file or the whole new one, never a fragment.

What a save does to what is already at the path:

* a symlink is followed: the file it points to is replaced, the link stays a link;
* an existing file keeps its permission bits (a 0444 file stays 0444) and its owner; a file
  this process may not write raises ``PermissionError``, as ``open(path, "w")`` would, and a
  file owned by another user is never replaced by one of ours (root keeps the owner);
* a character device or a FIFO (``/dev/null``, a named pipe), and an open stream
  (``/dev/stdout``, ``/dev/fd/N``, even when it is redirected to a file) are written
  through: the complete data is written to it once made, and the device stays a device;
* a folder, a socket or a block device raises an error naming what it is;
* a file with several hard links is refused (``OSError`` naming the count): the rename
  would split the link (the other names keep the old data), and writing it in place
  could leave it half-written;
* the temporary file's name is short (``.dagrad-XXXXXXXX`` and the suffix, at most 32
  bytes), so a target of the longest legal name (255 bytes) saves.

``read_limited`` reads what ``Module.load`` reads: a regular file of at most
``MAX_READ_BYTES`` (64 MiB, about 1.5 million parameters of JSON) unless a larger limit
is given; a device, pipe or folder is refused before anything is read (a FIFO without a
writer does not make it wait).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def _existing(path: str) -> os.stat_result | None:
    """``os.stat`` of what ``path`` leads to (links followed), or None if nothing is there."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _refuse_kind(path: str, st: os.stat_result) -> None:
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(
            f"cannot save to {path!r}: it is a folder; give a file name inside it, e.g. "
            f"{os.path.join(path, 'graph.svg')!r}"
        )
    kind = "a socket" if stat.S_ISSOCK(mode) else "a block device" if stat.S_ISBLK(mode) else (
        "not a regular file"
    )
    raise OSError(
        f"cannot save to {path!r}: it is {kind}; dagrad writes regular files, character "
        "devices (/dev/null, /dev/stdout) and named pipes only"
    )


def _check_replaceable(target: str, st: os.stat_result) -> None:
    """Raise if replacing the regular file ``target`` would do what ``open(target, "w")``
    would not: write a file we may not write, take another user's file for ours, or split
    a hard link."""
    if not os.access(target, os.W_OK):
        raise PermissionError(
            f"cannot save to {target!r}: the file is read-only for this user (mode "
            f"{stat.S_IMODE(st.st_mode):04o}); chmod u+w it or save elsewhere"
        )
    if st.st_nlink > 1:
        raise OSError(
            errno.EMLINK,
            f"cannot save to {target!r}: the file has {st.st_nlink} hard links; replacing "
            "it would split the link (the other names would keep the old data), and "
            "writing it in place could leave it half-written; remove it first, or save "
            "under another name",
        )


# The temporary file's name: ".dagrad-" + 8 random characters + the target's suffix when
# that is a plausible format extension (a writer may read the format from it).
_TEMP_PREFIX = ".dagrad-"
_MAX_SUFFIX_BYTES = 16


def _temp_suffix(path: str) -> str:
    suffix = os.path.splitext(os.path.basename(path))[1]
    return suffix if len(os.fsencode(suffix)) <= _MAX_SUFFIX_BYTES else ""


def _adopt(tmp: str, target: str, st: os.stat_result | None) -> None:
    """Give the temporary file the target's mode and owner (or open()'s usual mode)."""
    if st is None:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600 files; give open()'s usual mode
        return
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            if st.st_uid != os.geteuid():
                raise PermissionError(
                    f"cannot save to {target!r}: it belongs to user id {st.st_uid}, and "
                    "replacing it would make it this user's file; save elsewhere"
                ) from None


_STD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _descriptor(path: str) -> int | None:
    """The file descriptor ``path`` names (/dev/stdout, /dev/fd/3, /proc/self/fd/1), or None.

    Such a stream is written through the descriptor itself, at its current offset: the
    process goes on writing to the file it has open (a log), so replacing that file, or
    writing it through a second descriptor, would lose what is written before or after."""
    path = os.path.abspath(path)
    if path in _STD:
        return _STD[path]
    for prefix in ("/dev/fd/", "/proc/self/fd/", f"/proc/{os.getpid()}/fd/"):
        if path.startswith(prefix) and path[len(prefix):].isdigit():
            return int(path[len(prefix):])
    return None


def _copy_to(tmp: str, path: str) -> None:
    fd = _descriptor(path)
    with open(tmp, "rb") as src:
        if fd is None:
            with open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
            return
        for stream in (sys.stdout, sys.stderr):  # what Python buffered goes first
            if stream is not None:
                stream.flush()
        data = memoryview(src.read())
        while data:
            data = data[os.write(fd, data):]


@contextmanager
def _through(path: str, suffix: str) -> Iterator[str]:
    """A temporary file for a device, FIFO or stream; its whole content is written to
    ``path`` once the block succeeds (a device cannot be replaced, nor half-written by us)."""
    fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        _copy_to(tmp, path)
    finally:
        os.unlink(tmp)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    If the block raises, the temporary file is removed and ``path`` is left as it was.
    The suffix of ``path`` is kept, for writers that read the format from the file name.
    Links, modes, owners and special files: see the module docstring.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"a file path must be a str or a Path, got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str) or not path:
        raise ValueError(f"a file path must be a non-empty str, got {path!r:.60}")
    suffix = _temp_suffix(path)
    st = _existing(path)
    if st is not None and _descriptor(path) is not None:  # /dev/stdout, maybe onto a log
        with _through(path, suffix) as tmp:
            yield tmp
        return
    if st is not None and not stat.S_ISREG(st.st_mode):
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            _refuse_kind(path, st)
        with _through(path, suffix) as tmp:
            yield tmp
        return
    target = os.path.realpath(path)  # a symlink: replace the file it points to, keep the link
    if st is not None:
        _check_replaceable(target, st)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot save to {path!r}: the folder {folder!r} does not exist; create it first"
        )
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TEMP_PREFIX, suffix=suffix)
    os.close(fd)
    try:
        _adopt(tmp, target, st)
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str) -> str:
    """Write ``data`` (str as UTF-8) to ``path`` atomically, flushed to disk; returns path."""
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"write_atomic writes str or bytes, got {type(data).__name__}")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    return os.fspath(path)


MAX_READ_BYTES = 64 * 2**20  # what read_limited reads at most unless told otherwise


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_limited(path: str | os.PathLike, limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else before reading.

    A folder raises ``IsADirectoryError``, a device, pipe or socket ``OSError`` naming
    what it is; a file over ``limit`` bytes raises ``ValueError`` giving its size. The
    checks are made on the opened file (``fstat``), so what is read is what was checked,
    and at most ``limit`` + 1 bytes are ever read (a file growing meanwhile is caught too).
    """
    path = os.fspath(path)
    # O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(f"cannot load {path!r}: it is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"cannot load {path!r}: it is {_kind(st.st_mode)}; dagrad loads "
                          "regular files only")
        if st.st_size > limit:
            _too_large(path, st.st_size, limit)
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        _too_large(path, len(data), limit)
    return data


def _too_large(path: str, size: int, limit: int) -> None:
    raise ValueError(
        f"cannot load {path!r}: it holds {size} bytes, over the limit of {limit} bytes "
        "(a guard against reading something that is not a model file); if it is one, pass "
        "a larger max_bytes"
    )
