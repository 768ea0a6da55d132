"""``dagrad-playground build DIR``: the static site, from pinned downloads and this checkout.

What the site holds (nothing of a third party is committed to the repository; every download
is pinned to an exact version and checked against its hash before use, then cached):

* Pyodide's core, from the npm registry's ``pyodide`` package (the interpreter as WebAssembly,
  its standard library and its lock file);
* Graphviz compiled to WebAssembly, from the npm registry's ``@viz-js/viz`` (one script with
  the module inside), which lays the pictures out in place of the ``dot`` program;
* the ``graphviz`` Python package's wheel from PyPI (pure Python: the pictures write DOT with
  it);
* a wheel of dagrad written from the checkout (``autograd`` and ``nn``, as pyproject.toml
  lists them), and the lessons' code cells (``notebooks/0N_*.ipynb``) as starter pages.

An npm tarball is checked as npm checks it: ``dist.integrity`` is ``sha512-`` and the base64
of the SHA-512 of the ``.tgz``. A PyPI file is checked against its sha256 digest.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import json
import math
import os
import shutil
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .examples import EXAMPLES
from .lessons import lesson_pages

__all__ = ["NPM", "PYPI", "BuildError", "build", "cache_dir", "fetch"]


class BuildError(RuntimeError):
    """The site could not be built; the message says what failed and what to do."""


@dataclass(frozen=True)
class Download:
    """One pinned file: where it comes from, what it must hash to, and what the site keeps.

    ``files`` maps a member of the archive (a path inside the npm tarball) to its path in the
    site; empty for a wheel, which the site keeps whole under ``wheels/``.
    """

    name: str
    version: str
    url: str
    digest: str  # "sha512-<base64>" (npm's dist.integrity) or "sha256-<hex>" (PyPI)
    files: tuple[tuple[str, str], ...] = ()

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[1]


def _npm(name: str, version: str, integrity: str, files: dict[str, str]) -> Download:
    base = name.rsplit("/", 1)[-1]
    url = f"https://registry.npmjs.org/{name}/-/{base}-{version}.tgz"
    return Download(name, version, url, integrity, tuple(files.items()))


PYODIDE = "314.0.8"
NPM = (
    _npm("pyodide", PYODIDE,
         "sha512-74Wq1kXOC+CCEzAfxuRAO701nAcCMLjf8NrwvWpu8S41dVMXwXmLQ05dYB+F4e46AdnGo0oq7YHSVUpHsoarLQ==",
         {f"package/{f}": f"pyodide/{f}" for f in (
             "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
             "pyodide-lock.json")}),
    _npm("@viz-js/viz", "3.31.0",
         "sha512-r7zlQdRvcwvIpjHGgs+KNWHeE/P5/Dq7k8ZAKaMCbZqomxCBJV78gVuQYaHzFVca+kB0mX0fMW9UFevCOBG50A==",
         {"package/dist/viz-global.js": "viz/viz-global.js"}),
)
PYPI = (
    Download("graphviz", "0.21",
             "https://files.pythonhosted.org/packages/91/4c/"
             "e0ce1ef95d4000ebc1c11801f9b944fa5910ecc15b5e351865763d8657f8/"
             "graphviz-0.21-py3-none-any.whl",
             "sha256-54f33de9f4f911d7e84e4191749cac8cc5653f815b06738c54db9a15ab8b1e42"),
)
SITE_FILES = ("index.html", "playground.js", "playground.css")  # ours, from ./site
MARK = "manifest.json"  # a folder holding it was written by this builder (safe to replace)


def cache_dir() -> Path:
    """``$DAGRAD_PLAYGROUND_CACHE``, else ``$XDG_CACHE_HOME/dagrad-playground``, else
    ``~/.cache/dagrad-playground``."""
    if os.environ.get("DAGRAD_PLAYGROUND_CACHE"):
        return Path(os.environ["DAGRAD_PLAYGROUND_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "dagrad-playground"


def _hash_of(data: bytes, digest: str) -> str:
    algo = digest.split("-", 1)[0]
    h = hashlib.new(algo, data)
    text = base64.b64encode(h.digest()).decode() if algo == "sha512" else h.hexdigest()
    return f"{algo}-{text}"


def fetch(item: Download, cache: Path | None = None) -> bytes:
    """The pinned file's bytes: from the cache if it is there and intact, else downloaded,
    checked, and cached. A hash that differs raises ``BuildError`` and caches nothing."""
    path = (cache or cache_dir()) / f"{item.name.replace('/', '_')}-{item.version}" / item.filename
    if path.is_file():
        data = path.read_bytes()
        if _hash_of(data, item.digest) == item.digest:
            return data
    try:
        with urllib.request.urlopen(item.url, timeout=120) as r:
            data = r.read()
    except OSError as e:
        raise BuildError(f"could not download {item.url}: {e}. Check the network (or put "
                         f"the file at {path} by hand; it is checked all the same).") from e
    got = _hash_of(data, item.digest)
    if got != item.digest:
        raise BuildError(f"{item.url} does not match its pinned hash: expected {item.digest}, "
                         f"got {got}. Nothing was cached; do not use this file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data


def _extract(item: Download, data: bytes, out: Path) -> None:
    """Only the members the site needs, each written under its own name (never a path taken
    from the archive)."""
    wanted = dict(item.files)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                target = out / wanted.pop(member.name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    if wanted:
        raise BuildError(f"{item.name} {item.version} lacks {sorted(wanted)}")


# --- the wheel of this checkout -----------------------------------------------------------

def project_root() -> Path:
    """The checkout: the folder holding pyproject.toml next to the ``autograd`` package."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise BuildError(f"no pyproject.toml in {root}: build the playground from a checkout "
                         "of dagrad (git clone, then pip install -e .)")
    return root


def _package_files(root: Path, meta: dict) -> list[tuple[str, Path]]:
    """Every file the wheel carries: the packages' .py files and their package data."""
    finder = meta["tool"]["setuptools"]["packages"]["find"]["include"]
    tops = sorted({p.split("*")[0].split(".")[0] for p in finder})
    data = meta["tool"]["setuptools"].get("package-data", {})
    files = []
    for top in tops:
        for path in sorted((root / top).rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            if path.suffix == ".py" or _is_data(root, path, data):
                files.append((path.relative_to(root).as_posix(), path))
    return files


def _is_data(root: Path, path: Path, data: dict[str, list[str]]) -> bool:
    """Whether ``path`` is package data: a glob of its package (or an enclosing one) matches
    its path relative to that package's folder."""
    rel = path.relative_to(root)
    for package, globs in data.items():
        base = Path(*package.split("."))
        if rel.is_relative_to(base):
            inner = rel.relative_to(base).as_posix()
            if any(fnmatch.fnmatchcase(inner, g) for g in globs):
                return True
    return False


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def project_wheel(root: Path) -> tuple[str, bytes]:
    """(file name, bytes) of a pure-Python wheel of the checkout (PEP 427)."""
    meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    name, version = meta["project"]["name"], meta["project"]["version"]
    info = f"{name}-{version}.dist-info"
    entries = [(arc, p.read_bytes()) for arc, p in _package_files(root, meta)]
    requires = "".join(f"Requires-Dist: {d}\n" for d in meta["project"].get("dependencies", []))
    entries.append((f"{info}/METADATA", (f"Metadata-Version: 2.1\nName: {name}\n"
                                         f"Version: {version}\n{requires}").encode()))
    entries.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: dagrad-playground\n"
                                     b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    record = [_record_line(n, d) for n, d in entries] + [f"{info}/RECORD,,"]
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in entries:
            z.writestr(zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0)), data,
                       compress_type=zipfile.ZIP_DEFLATED)
    return f"{name}-{version}-py3-none-any.whl", buf.getvalue()


# --- the site ---------------------------------------------------------------------------

def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARK).is_file())):
        raise BuildError(f"{out} exists and is not a playground site (no {MARK} in it): "
                         "give a new or empty folder, so nothing of yours is overwritten")


def _write_site(tmp: Path, root: Path, cache: Path | None) -> dict:
    for item in NPM:
        _extract(item, fetch(item, cache), tmp)
    wheels = []
    (tmp / "wheels").mkdir()
    for item in PYPI:
        (tmp / "wheels" / item.filename).write_bytes(fetch(item, cache))
        wheels.append(item.filename)
    name, data = project_wheel(root)
    (tmp / "wheels" / name).write_bytes(data)
    wheels.append(name)
    site = resources.files(__package__) / "site"
    for f in SITE_FILES:
        (tmp / f).write_bytes((site / f).read_bytes())
    from ..draw.style import CLASS_COLOURS, grad_color  # the pictures' colours, one home

    manifest = {"wheels": wheels, "pyodide": PYODIDE, "class_colours": list(CLASS_COLOURS),
                "sign_colours": [grad_color(-math.inf), grad_color(math.inf)],
                "examples": EXAMPLES, "lessons": lesson_pages(root / "notebooks"),
                "pins": {d.name: d.version for d in NPM + PYPI}}
    (tmp / MARK).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return manifest


def site_size(out: Path) -> int:
    """Bytes of every file under ``out``."""
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def build(out: str | os.PathLike, cache: str | os.PathLike | None = None) -> Path:
    """Write the site to ``out`` (a new or empty folder, or an earlier build, replaced whole);
    returns its path. Serve it with ``python -m http.server -d OUT``."""
    out = Path(out).resolve()
    _check_target(out)
    root = project_root()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _write_site(tmp, root, Path(cache) if cache else None)
        tmp.chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
