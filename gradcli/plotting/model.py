"""What a figure is made of: its options, the runs it draws and the built :class:`Plot`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class PlotOptions:
    """Everything about a figure that is not the function, points or runs (CLI flags map 1:1)."""

    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    grid: int | None = None
    levels: int | None = None
    level_values: tuple[float, ...] | None = None
    log_levels: bool | None = None  # None: decide from the function's dynamic range
    arrows: int | None = None  # None: ARROWS; 0: no gradient field
    descent_arrows: bool = False
    cmap: str = "viridis"
    dpi: int = 150
    size: tuple[float, float] | None = None  # inches
    title: str | None = None
    theme: str = "light"
    surface: bool = False
    fixed: Mapping[str, float] = field(default_factory=dict)  # --slice values, shown in the title
    minima: Sequence[Sequence[float]] = ()  # known minima of a named function, marked on 2-D plots
    stream: bool = False  # streamlines of the gradient flow (2-D contours only)
    math_font: str | None = None  # None: the matplotlibrc's fonts; else a key of style.MATH_FONTS
    transparent: bool | None = None  # None: the matplotlibrc's savefig.transparent
    editable_text: bool = False  # SVG text as <text> elements, not glyph outlines
    lagrange: Any = None  # a calculus.lagrange.LagrangeResult: plot --subject-to (constraints.py)
    feasible: Any = (
        None  # an optimize.projection.Projection: the set the runs stay in (feasible.py)
    )
    feasible_label: str = ""  # its legend entry: 'x ∈ [-1, 1], y ∈ [-1, 1] (box)'


class Run(Protocol):
    """What a figure needs from a descent run (``gradcli.optimize.DescentRun`` has all of it)."""

    @property
    def path(self) -> Array: ...
    @property
    def start(self) -> Array: ...
    @property
    def status(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def lr(self) -> float: ...


@dataclass
class Track:
    """A drawn descent run: its points (z for the surface) and the artists an animation updates."""

    xs: Array
    ys: Array
    zs: Array | None
    line: Line2D
    head: Line2D
    end: Line2D


@dataclass
class Plot:
    """A built figure and what was decided while building it."""

    figure: Figure
    kind: str  # "contour" | "curve" | "surface"
    ranges: dict[str, tuple[float, float]]
    log_levels: bool
    tracks: list[Track]
    notes: list[str]
    rc: dict[str, Any]
    compiled: Any = None  # the function's numeric evaluators, for callers reporting values
    options: PlotOptions = field(default_factory=PlotOptions)  # what it was built with
    frames: int = 0  # frames written, once written as an animation
    settled: bool = False  # the layout the last measuring draw made is final (figures.py)
