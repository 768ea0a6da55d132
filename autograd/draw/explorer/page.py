"""One self-contained HTML fragment: an inline SVG, a little JSON, and the explorer's script.

Nothing is fetched: the CSS and the script (``explorer.css``, ``explorer.js``, package data
written by hand for dagrad, no library) are inlined into every fragment, so the same text
works inline in Jupyter (classic, Lab, VS Code), in an nbconvert HTML export and in a
``.html`` file opened from disk. The picture is visible before any script runs and the
controls are hidden until the script shows them: where scripts are stripped (a code host's
notebook viewer, an untrusted notebook), what remains is a static picture and a sentence
saying so. The mimebundle also carries the SVG as ``image/svg+xml``.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import math
import os
import re
import zlib
from functools import cache
from importlib import resources

from ...saving import write_atomic
from ..display import picture_bundle
from ..style import fmt_number

_counter = itertools.count()


@cache
def asset(name: str) -> str:
    """The text of a package data file (``explorer.js`` or ``explorer.css``)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def new_prefix(content: str) -> str:
    """A fresh id prefix, so several explorers on one page never share an element id: a
    checksum of what the page shows (two notebooks open side by side differ there) and a
    counter (two pages of one kernel). Both are the same on every run of the same code, so
    a notebook's stored output does not change from run to run."""
    return f"dgx{zlib.crc32(content.encode()) % 1000000}x{next(_counter)}-"


def fmt(x: float | None) -> str:
    """The pictures' number format (``style.fmt_number``, 4 significant digits) with a true
    minus sign: −2, 0.8814, 1.235e+05; None (a NaN that travelled as JSON) is "nan".

    Every number a page shows is written here: the page's script formats none.
    """
    return "nan" if x is None else fmt_number(x).replace("-", "−")


def full(x: float | None) -> str:
    """Full precision (the shortest text that reads back as the same float), true minus:
    6, −0.4999999999999999, 1e−07."""
    if x is None or math.isnan(x):
        return "nan"
    text = repr(float(x))
    if text.endswith(".0"):
        text = text[:-2]
    return text.replace("-", "−")


def svg_element(svg: str, prefix: str) -> str:
    """dot's SVG without its XML header, every id (and reference to one) prefixed."""
    svg = re.sub(r"<!--.*?-->\n?", "", svg[svg.index("<svg"):], flags=re.S)
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    return re.sub(r'(href|xlink:href)="#', rf'\1="#{prefix}', svg)


_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def to_json(data) -> str:
    """JSON safe inside a <script> element: ``<``, ``>``, ``&``, U+2028 and U+2029 written
    as \\u escapes, so no user text (``</script>``, ``<!--<script>``) can end the element
    early or switch the parser into a state that never ends it; the parsed strings are the
    same."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.translate(_SCRIPT_SAFE)


def pack(data) -> str:
    """``data`` as compact JSON, deflated (zlib) and base64-encoded: a replay's per-step
    texts repeat themselves a lot. The page unpacks it with the browser's own
    DecompressionStream("deflate")."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def unpack(text: str):
    """What ``pack`` packed (for tests and tools that read a page's data)."""
    return json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8"))


def finite(x: float) -> float | None:
    """JSON has no NaN or infinity: those travel as null and show as "nan"."""
    return x if math.isfinite(x) else None


def fragment(kind: str, prefix: str, body: str, data: dict, *, static_note: str) -> str:
    """The HTML fragment: ``body`` (the pictures), controls filled in by the script, data."""
    script = (f"(function(){{\n{asset('explorer.js')}\n"
              f"dagradBoot({to_json(prefix)}, {to_json(data)}, document.currentScript);\n}})();")
    return (
        f'<div class="dgx dgx-{kind}" id="{prefix}root" data-kind="{kind}">'
        f"<style>{asset('explorer.css')}</style>"
        f'<div class="dgx-static">{html.escape(static_note)}</div>'
        f"{body}"
        f"<script>{script}</script></div>"
    )


def page(title: str, fragment_html: str) -> str:
    """A whole standalone page around a fragment."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body data-dgx-standalone="1" style="margin:12px">{fragment_html}'
        "</body></html>\n"
    )


# What each kind of page lets the reader do (the static copy's note names it).
ACTIONS = {"stepper": "step through the backward pass", "training": "replay the training",
           "inspect": "hover and click the nodes", "network": "hover and click the units"}


class Page:
    """What the explorer functions return: shows itself in Jupyter, ``save(path)`` writes it.

    Subclasses set ``title``, ``_html`` (the fragment) and ``_svg`` (the static picture).
    """

    title = "dagrad"
    _html = ""
    _svg = ""

    def _repr_html_(self) -> str:
        return self._html

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        # In a notebook: the final picture where scripts are off or sanitised, the page where
        # they run (display.picture_bundle).
        if not self._svg:
            return {"text/plain": repr(self), "text/html": self._html}
        kind = re.search(r'data-kind="(\w+)"', self._html)
        action = ACTIONS.get(kind.group(1) if kind else "", "explore it")
        note = (f"A static copy. To {action}, run this cell or trust the notebook (in "
                "Jupyter), or open the HTML export with scripts on.")
        return picture_bundle(self._svg, repr(self), note=note, live=self._html)

    def html(self) -> str:
        """The standalone page (what ``save`` writes)."""
        return page(self.title, self._html)

    def save(self, path: str | os.PathLike) -> str:
        """Write the standalone page to ``path`` (atomically); returns the path."""
        return write_atomic(path, self.html())
