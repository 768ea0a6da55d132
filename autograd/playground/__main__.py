"""``dagrad-playground build DIR`` (or ``python -m autograd.playground build DIR``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .build import BuildError, build, cache_dir, site_size


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dagrad-playground",
        description="Build dagrad's playground: a static site that runs autograd and nn in "
                    "the browser (Pyodide), with pictures (Graphviz as WebAssembly).")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the site to DIR",
                       epilog="Serve it with: python -m http.server -d DIR  (then open "
                              "http://localhost:8000/). Browsers refuse WebAssembly from "
                              "file://, so opening index.html directly does not work.")
    b.add_argument("dir", metavar="DIR", help="a new or empty folder (or an earlier build)")
    b.add_argument("--cache", metavar="FOLDER", default=None,
                   help=f"where downloads are kept (default: {cache_dir()})")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        out = build(args.dir, cache=args.cache)
    except BuildError as e:
        print(f"dagrad-playground: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({site_size(out) / 1e6:.1f} MB). Serve it with:\n"
          f"    python -m http.server -d {out}\nand open http://localhost:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
