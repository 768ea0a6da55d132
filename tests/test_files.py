"""autograd.saving: what dagrad writes is never half-written."""

import os

import pytest

from autograd.saving import atomic_path, write_atomic


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


# --- issue 12: links, modes, owners and special files --------------------------------------
def test_saving_to_a_symlink_writes_the_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.svg", "real.svg"]


def test_saving_to_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "later.json")
    write_atomic(link, "{}")
    assert link.is_symlink() and (tmp_path / "later.json").read_text() == "{}"


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert (target.stat().st_mode & 0o777) == 0o640


def test_a_read_only_file_is_refused_or_kept_read_only(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(0o444)
    if os.geteuid() == 0:  # root may write it, as open() may: the mode stays 0444
        write_atomic(target, "new")
        assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o444
    else:
        with pytest.raises(PermissionError, match="read-only"):
            write_atomic(target, "new")
        assert target.read_text() == "old"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a file another user owns")
def test_root_keeps_another_users_file_theirs(tmp_path):
    target = tmp_path / "theirs.svg"
    target.write_text("old")
    os.chown(target, 1234, 1234)
    write_atomic(target, "new")
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (1234, 1234) and target.read_text() == "new"


def test_a_character_device_stays_a_device(tmp_path):
    import stat

    # As root, a null device of our own (1, 3) in tmp_path, so that a broken implementation
    # replaces that rather than the machine's /dev/null; without root, /dev/null is safe.
    null = "/dev/null"
    if os.geteuid() == 0:
        null = str(tmp_path / "null")
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    write_atomic(null, "into the void")
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert os.listdir(tmp_path) == (["null"] if null != "/dev/null" else [])


def test_a_fifo_is_written_through(tmp_path):
    import threading

    fifo = tmp_path / "pipe.svg"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    write_atomic(fifo, "<svg/>")
    reader.join(timeout=10)
    assert got == [b"<svg/>"]
    import stat

    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_folder_or_a_missing_folder_is_named(tmp_path):
    with pytest.raises(IsADirectoryError, match="folder"):
        write_atomic(tmp_path, "x")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(tmp_path / "nowhere" / "x.svg", "x")
    with pytest.raises(TypeError, match="str or bytes"):
        write_atomic(tmp_path / "x.svg", 3)
    assert os.listdir(tmp_path) == []


def test_dev_stdout_redirected_to_a_file_is_written_through(tmp_path):
    import subprocess
    import sys

    log = tmp_path / "log.txt"
    code = (
        "import sys; print('before', flush=True); "
        "from autograd.saving import write_atomic; write_atomic('/dev/stdout', 'saved\\n'); "
        "print('after', flush=True)"
    )
    with open(log, "w") as out:
        subprocess.run([sys.executable, "-c", code], stdout=out, check=True,
                       env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert log.read_text() == "before\nsaved\nafter\n"


# --- issue 22: hard links, long names, reading with a limit ---------------------------------
def test_a_hard_linked_file_is_refused_not_split(tmp_path):
    """Replacing one name of a hard-linked file would split the link (the other name keeps
    the old data), and writing in place could leave it half-written: refused, naming why."""
    target = tmp_path / "model.json"
    target.write_text("old")
    other = tmp_path / "backup.json"
    os.link(target, other)
    with pytest.raises(OSError, match=r"2 hard links.*split"):
        write_atomic(target, "new")
    assert target.read_text() == other.read_text() == "old"
    assert os.stat(target).st_ino == os.stat(other).st_ino
    assert sorted(os.listdir(tmp_path)) == ["backup.json", "model.json"]


def test_a_symlink_to_a_hard_linked_file_is_refused_too(tmp_path):
    real = tmp_path / "real.svg"
    real.write_text("old")
    os.link(real, tmp_path / "twin.svg")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    with pytest.raises(OSError, match="hard links"):
        write_atomic(link, "new")
    assert real.read_text() == "old"


@pytest.mark.parametrize("length", [250, 253, 255])
def test_a_file_name_of_the_longest_legal_length_saves(tmp_path, length):
    name = "n" * (length - 4) + ".svg"
    assert len(name.encode()) == length
    seen = []
    with atomic_path(tmp_path / name) as tmp:
        seen.append(os.path.basename(tmp))
        with open(tmp, "w") as f:
            f.write("<svg/>")
    assert (tmp_path / name).read_text() == "<svg/>"
    assert os.listdir(tmp_path) == [name]
    assert seen[0].endswith(".svg") and len(seen[0].encode()) <= 32


def test_a_long_name_with_a_long_suffix_saves(tmp_path):
    name = "model." + "x" * 249  # 255 bytes, its "suffix" 250 bytes long
    write_atomic(tmp_path / name, "{}")
    assert (tmp_path / name).read_text() == "{}"


def test_read_limited_reads_a_regular_file(tmp_path):
    from autograd.saving import read_limited
    p = tmp_path / "m.json"
    p.write_bytes(b"x" * 100)
    assert read_limited(p, limit=100) == b"x" * 100
    with pytest.raises(ValueError, match=r"101 bytes.*limit of 100 bytes"):
        p.write_bytes(b"x" * 101)
        read_limited(p, limit=100)


@pytest.mark.parametrize("path, kind", [("/dev/zero", "character device"),
                                        ("/dev/null", "character device")])
def test_read_limited_refuses_devices(path, kind):
    from autograd.saving import read_limited
    if not os.path.exists(path):
        pytest.skip(f"{path} is not on this system")
    with pytest.raises(OSError, match=f"{kind}.*regular file"):
        read_limited(path)


def test_read_limited_refuses_a_fifo_and_a_folder_without_waiting(tmp_path):
    from autograd.saving import read_limited
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # no writer: a plain open() would wait forever
    with pytest.raises(OSError, match="named pipe.*regular file"):
        read_limited(fifo)
    with pytest.raises(IsADirectoryError, match="folder"):
        read_limited(tmp_path)
