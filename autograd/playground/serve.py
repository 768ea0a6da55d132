"""Serving a built site on this machine (for tests, benchmarks, and trying it out).

``python -m http.server -d DIR`` is all a site needs; this is the same server in a thread, on
127.0.0.1 and a free port, quiet, for code that drives a browser at it.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["serving"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serving(folder: str | os.PathLike) -> Iterator[str]:
    """Serve ``folder`` at ``http://127.0.0.1:PORT/`` while the block runs; yields the URL."""
    handler = functools.partial(_Quiet, directory=os.fspath(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
