"""Style: numbers, op symbols and colours by gradient (a diverging scale, blue > 0, red < 0)."""

from __future__ import annotations

import math
import re

__all__ = ["OP_SYMBOLS", "fmt_number", "fmt_count", "grad_color", "grad_strength",
           "grad_penwidth", "HIGHLIGHT", "FOCUS", "CLASS_COLOURS", "tint"]

OP_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−x", "pow": "x^c",
              "rpow": "c^x", "powv": "x^y", "abs": "|x|", "sum": "Σ", "dot": "w·x"}

# Ops whose operands are not interchangeable: the op reads as a formula in slots a, b, and
# each operand edge is labelled with its slot; a constant operand is written into its slot.
SLOTS = {"sub": ("a − b", "ab"), "div": ("a ÷ b", "ab"), "powv": ("a^b", "ab"),
         "pow": ("a^b", "ab"), "rpow": ("a^b", "ab")}


def op_label(op: str, operands: tuple, show_constants: bool = True) -> str:
    """The op node's text, with its constants in it: ``a − 1``, ``× 2``, ``a^2``."""
    if op in SLOTS:
        text, names = SLOTS[op]
        if show_constants:
            for name, p in zip(names, operands, strict=False):
                if p.__class__ is float:
                    text = text.replace(name, fmt_number(p))
        return text
    if op == "dot":
        return _dot_label(operands, show_constants)
    symbol = OP_SYMBOLS.get(op, op)
    consts = [fmt_number(p) for p in operands if p.__class__ is float]
    if not show_constants or not consts or op in ("dot", "sum"):
        return symbol
    return f"{symbol} {', '.join(consts)}"


def _has_bias(operands: tuple) -> bool:
    """dot's operands are (w₀ … wₙ₋₁, b, x₀ … xₙ₋₁, 1.0) with a bias, (w…, x…) without."""
    return len(operands) >= 2 and operands[-1].__class__ is float and operands[-1] == 1.0


def _dot_label(operands: tuple, show_constants: bool) -> str:
    """``w·x + b`` and the constant inputs in order: x = (1, -2, 0.5)."""
    n = len(operands) // 2
    bias = _has_bias(operands)
    ws = operands[:n - 1] if bias else operands[:n]
    xs = operands[n:len(operands) - 1] if bias else operands[n:]
    text = "w·x + b" if bias else "w·x"
    for name, group in (("w", ws), ("x", xs)):
        if show_constants and group and all(v.__class__ is float for v in group):
            text += f"\\n{name} = (" + ", ".join(fmt_number(v) for v in group) + ")"
    return text


def slot_name(op: str, j: int, operands: tuple = ()) -> str | None:
    """Which slot operand j fills, for ops whose operands are not interchangeable: a or b
    of − ÷ ^, and wₖ / xₖ / b of a dot (wₖ pairs with xₖ)."""
    if op == "dot":
        n = len(operands) // 2
        bias = _has_bias(operands)
        if j < n:
            return "b" if bias and j == n - 1 else f"w{j}"
        return f"x{j - n}"
    return SLOTS[op][1][j] if op in SLOTS and j < len(SLOTS[op][1]) else None

HIGHLIGHT = "#ff7f00"
FOCUS = "#e7298a"


_CONTROL = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)}  # ␀ ␁ … ␛ …
_CONTROL[0x7F] = 0x2421  # ␡
_CONTROL.update(dict.fromkeys(range(0xD800, 0xE000), 0xFFFD))  # a lone surrogate: �
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def clean(text):
    """Text without control characters (ANSI escapes, \\r, \\x00 make dot fail or garble
    the picture): each is shown as its Unicode control picture (␛, ␍, ␀); a lone surrogate
    (a str Python holds but UTF-8 cannot encode, e.g. from ``os.fsdecode``) as U+FFFD �.
    Non-str unchanged."""
    if not isinstance(text, str) or not _UNCLEAN.search(text):
        return text  # the usual case; str.translate costs ~0.3 µs a character off ASCII
    return text.translate(_CONTROL)


# How long a label is drawn. Graphviz refuses an HTML label over 16,384 bytes (and a box
# that wide is unreadable anyway): a label is drawn cut at LABEL_CHARS characters with "…",
# and given in full in its tooltip, itself cut at TOOLTIP_CHARS.
LABEL_CHARS = 60
TOOLTIP_CHARS = 2000


_SURROGATE = re.compile("[\ud800-\udfff]")


def shown_text(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` as pictures and pages show it: cut to at most ``limit`` characters, ending
    in "…" when cut; a lone surrogate (UTF-8 cannot encode it) as U+FFFD �."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def num(x) -> float:
    """A Value's data, or the float itself."""
    return float(x.data) if hasattr(x, "data") else float(x)


def fmt_number(x) -> str:
    """4 significant digits, compact: 0.8814, -6, 1.235e+05."""
    x = num(x)
    return "0" if x == 0 else f"{x:.4g}"


def fmt_count(n: int) -> str:
    """A Python int of any size, without str() on huge ones (which Python 3.11 limits)."""
    if n < 10**15:
        return str(n)
    exponent = (n.bit_length() - 1) * math.log10(2)
    return f"≈10^{int(exponent)}"


# --- colours by gradient ------------------------------------------------------------------------
_WHITE, _RED, _BLUE = (247, 247, 247), "#b2182b", "#2166ac"  # ColorBrewer RdBu ends
# The two classes, in every picture, plot and page: class 0 / label −1 first (red), class 1 /
# label +1 second (blue): ColorBrewer RdBu's ends, the signs of the gradient scale too.
CLASS_COLOURS = (_RED, _BLUE)
LOG_RANGE = (-6.0, 3.0)  # |grad| from 1e-6 (white) to 1e3 (full colour), log scale


def grad_strength(g: float, scale: tuple[float, float] = LOG_RANGE) -> float:
    """Where |g| sits on the log scale ``scale`` (log10 of |g| low, high), from 0 to 1."""
    g = abs(g)
    if g == 0 or math.isnan(g):
        return 0.0
    if math.isinf(g):
        return 1.0
    lo, hi = scale
    if hi <= lo:
        return 1.0
    return min(1.0, max(0.0, (math.log10(g) - lo) / (hi - lo)))


def tint(colour: str, t: float) -> str:
    """``colour`` (``#rrggbb``) mixed into the scale's white: t = 0 white, t = 1 the colour."""
    end = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(_WHITE, end, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def grad_color(g: float, scale: tuple[float, float] = LOG_RANGE) -> str:
    """Diverging colour: blue for positive, red for negative gradients, paler when smaller."""
    if math.isnan(g):
        return "#ffd700"
    # never paler than a quarter of the way: a small nonzero gradient stays visible
    t = 0.25 + 0.75 * grad_strength(g, scale) if g != 0 else 0.0
    return tint(_BLUE if g > 0 else _RED, t)


def grad_penwidth(g: float, scale: tuple[float, float] = LOG_RANGE) -> str:
    return f"{1.0 + 3.0 * grad_strength(g, scale):.2f}"


def caption_name(v, number=fmt_number) -> str:
    """How a caption names a node: its label (cut at ``LABEL_CHARS``), else its op and data
    (never an internal id)."""
    if v.label:
        return shown_text(v.label)
    if v.op:
        return f"the {v.op} node (data {number(v.data)})"
    return f"a leaf (data {number(v.data)})"
