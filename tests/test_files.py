"""autograd.files: what dagrad writes is never half-written."""

import os

import pytest

from autograd.files import atomic_path, write_atomic


def test_write_atomic_replaces_whole_files(tmp_path):
    target = tmp_path / "out.svg"
    write_atomic(target, "<svg>one</svg>")
    write_atomic(target, b"<svg>two</svg>")
    assert target.read_text() == "<svg>two</svg>"
    assert os.listdir(tmp_path) == ["out.svg"]
    mask = os.umask(0)
    os.umask(mask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~mask)


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="halfway"):
        with atomic_path(target) as tmp:
            assert tmp.endswith(".png") and os.path.dirname(tmp) == str(tmp_path)
            with open(tmp, "wb") as f:
                f.write(b"partial")
            raise RuntimeError("crashed halfway")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["plot.png"]
