"""Interactive cells: controls that redraw a picture while a kernel runs, a static copy after.

``live(draw, a=Slider(2, -4, 4, 0.5), act=Choice("relu", ["relu", "tanh"]))`` shows the
controls (ipywidgets) above ``draw(a=…, act=…)``'s picture and redraws it on every change.
A saved notebook keeps no widget state, so the output also carries the picture at the
controls' starting values as an ordinary picture bundle (``display.picture_bundle``: an
``<img>``, SVG and PNG): that is what a code host, an HTML export or a notebook opened without
a kernel shows. Without ipywidgets the cell shows that static picture alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Choice", "Live", "Slider", "live"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True)
class Slider:
    """A number from ``min`` to ``max`` in steps of ``step``, starting at ``value``.

    All four ints: an integer slider. ``log=True``: the slider moves the exponent, so
    ``min``/``max`` are the powers of ten at its ends (``Slider(0.3, 0.01, 10, log=True)``)
    and ``step`` is the exponent's step.
    """

    value: float
    min: float
    max: float
    step: float = 0.1
    log: bool = False

    def __post_init__(self) -> None:
        if not self.min <= self.value <= self.max:
            raise ValueError(f"Slider value {self.value} is outside [{self.min}, {self.max}]: "
                             "give a starting value between min and max")
        if not self.step > 0:
            raise ValueError(f"Slider step must be > 0, got {self.step}")
        if self.log and not self.min > 0:
            raise ValueError(f"a log Slider needs min > 0, got {self.min}")

    def widget(self, widgets, name: str):
        """The ipywidgets control for this slider."""
        if self.log:
            return widgets.FloatLogSlider(value=self.value, base=10, min=math.log10(self.min),
                                          max=math.log10(self.max), step=self.step,
                                          description=name)
        numbers = (self.value, self.min, self.max, self.step)
        kind = widgets.IntSlider if all(isinstance(v, int) for v in numbers) else \
            widgets.FloatSlider
        return kind(value=self.value, min=self.min, max=self.max, step=self.step,
                    description=name)


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (a drop-down), starting at ``value``."""

    value: object
    options: Sequence

    def __post_init__(self) -> None:
        if self.value not in self.options:
            raise ValueError(f"Choice value {self.value!r} is not one of {list(self.options)}")

    def widget(self, widgets, name: str):
        """The ipywidgets control for this choice."""
        return widgets.Dropdown(value=self.value, options=list(self.options), description=name)


class Live:
    """What ``live`` returns: shows the controls and the picture in Jupyter (see module doc)."""

    def __init__(self, draw: Callable, controls: dict) -> None:
        if not callable(draw):
            raise TypeError(f"live() needs a function that returns a picture, got {draw!r}")
        for name, control in controls.items():
            if not isinstance(control, Slider | Choice):
                raise TypeError(f"live(): control {name}={control!r} must be a Slider(...) or "
                                "a Choice(...)")
        self.draw, self.controls = draw, dict(controls)

    @property
    def defaults(self) -> dict:
        """The controls' starting values: what the static copy shows."""
        return {name: c.value for name, c in self.controls.items()}

    def picture(self, **values):
        """The picture at ``values`` (the defaults for any value not given)."""
        return self.draw(**{**self.defaults, **values})

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"<Live {getattr(self.draw, '__name__', 'picture')}({shown})>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        static = self.picture()._repr_mimebundle_()
        static["text/plain"] = repr(self)
        try:
            import ipywidgets as widgets
        except ImportError:
            return static
        controls = {name: c.widget(widgets, name) for name, c in self.controls.items()}
        view = widgets.HTML(static["text/html"])

        def redraw(change) -> None:
            values = {name: w.value for name, w in controls.items()}
            view.value = self.picture(**values)._repr_mimebundle_()["text/html"]

        for control in controls.values():
            control.observe(redraw, names="value")
        panel = widgets.VBox([widgets.HBox(list(controls.values())), view])
        return {**static, WIDGET_VIEW: panel._repr_mimebundle_()[WIDGET_VIEW]}


def live(draw: Callable, **controls: Slider | Choice) -> Live:
    """Controls (keyword = ``draw``'s parameter) that redraw ``draw(**values)`` in a live
    kernel; the picture at the starting values everywhere else. ``draw`` returns a picture
    with a ``_repr_mimebundle_`` (``draw_dot``'s ``GraphPicture``, an explorer page)."""
    return Live(draw, controls)
