"""micrograd's own test suite, run unchanged against dagrad but for its import line.

karpathy/micrograd's test/test_engine.py ships in its PyPI source distribution. We fetch it
with pip (it is not copied into this repository), point `from micrograd.engine import Value`
at `from autograd import Value`, and run it. It compares against PyTorch, so it needs torch
(the optional `bench` extra) and network access to PyPI; otherwise it skips.
"""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent


def test_micrograd_test_engine_passes_against_dagrad(tmp_path):
    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
         "--quiet", "-d", str(tmp_path), "micrograd==0.1.0"],
        capture_output=True, text=True, timeout=120,
    )
    if fetched.returncode != 0:
        pytest.skip(f"could not fetch micrograd's sdist from PyPI: {fetched.stderr[-300:]}")
    (sdist,) = tmp_path.glob("micrograd-*.tar.gz")
    with tarfile.open(sdist) as tar:
        source = tar.extractfile("micrograd-0.1.0/test/test_engine.py").read().decode()
    original = "from micrograd.engine import Value"
    assert original in source
    test_file = tmp_path / "test_engine.py"
    test_file.write_text(source.replace(original, "from autograd import Value"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         str(test_file)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
