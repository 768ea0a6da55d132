"""Writing files so that nothing is ever half-written on disk.

Everything dagrad saves (pictures, frames, plots, model weights) goes through here: the data
is written to a temporary file in the target's folder and renamed over the target only once
complete, so a reader (or a crash) sees the old file or the whole new one, never a fragment.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    If the block raises, the temporary file is removed and ``path`` is left as it was.
    The suffix of ``path`` is kept, for writers that read the format from the file name.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=os.path.splitext(name)[1])
    os.close(fd)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600 files; give open()'s usual permissions
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str) -> str:
    """Write ``data`` (str as UTF-8) to ``path`` atomically, flushed to disk; returns path."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    return os.fspath(path)
