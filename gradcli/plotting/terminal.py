"""The figure as a terminal-sized raster: the same matplotlib Figure ``plot`` writes, drawn off-screen
(Agg) at a few dozen pixels a side, with its text left out.

At terminal resolution (two pixels per character cell with half blocks) text in the raster would be
unreadable smudges, so everything that is text — title, axis labels, tick labels, contour labels,
the legend, the colour bar — is hidden before the draw, and what it said is returned as numbers and
labels (:class:`TerminalPicture`) for ``views.terminal`` to print as lines around the image.

The gradient field is not rasterised either: a 4-pixel quiver arrow is noise. Its arrows (the very
ones the figure computed) are returned as directions, for a coarse field of arrow glyphs; so are the
``--at`` points and the runs' starts, ends and paths, as marks a terminal without colour can still
show as characters.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from gradcli.errors import UsageError
from gradcli.plotting.figures import Plot, PlotOptions, Run, plot_function
from gradcli.plotting.model import Array

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.points import Point

# Points per raster pixel: 1 px = 72/DPI pt. At 36 dpi a 2.4 pt run path is 1.2 px wide and an
# 11 pt marker 5 px across: the overlays stay visible at two pixels per character cell, where the
# slide's 150 dpi would shrink them below a pixel.
DPI = 36
ARROW_SPACING = 7  # character columns between two arrow glyphs
ARROWS_MIN, ARROWS_MAX = 3, 15
IMAGE_DPI = 100  # --term image: a real picture, text included, about a screen's own resolution


@dataclass(frozen=True)
class Mark:
    """Something shown as a glyph over the raster, at pixel (``col``, ``row``) of it."""

    kind: str  # "point" (an --at point), "start", "end", "step" (of a run), "arrow"
    col: float
    row: float
    color: str  # '#rrggbb'
    index: int = 0  # which --at point or run (from 0)
    direction: tuple[float, float] = (0.0, 0.0)  # "arrow": (right, up) on screen, unit length


@dataclass(frozen=True)
class ColourScale:
    """The colour bar as numbers: one colour per band from low to high, spanning ``low``..``high``."""

    colors: tuple[str, ...]
    low: float
    high: float
    log: bool
    # the colours of f below ``low`` and above ``high`` where the bands are open there (a
    # clipped range, explicit --levels): contourf's "under" and "over" regions
    under: str | None = None
    over: str | None = None


@dataclass(frozen=True)
class TerminalPicture:
    """A figure as an RGB raster (rows × cols × 3, uint8, top row first) and what its text said."""

    pixels: Array
    kind: str  # "contour" | "curve"
    x_name: str
    x_range: tuple[float, float]
    y_name: str  # the second variable; "f" for a curve
    y_range: tuple[float, float]
    scale: ColourScale | None
    legend: list[tuple[str, str]]  # (label, '#rrggbb'), the figure's legend in order
    marks: list[Mark] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    descent_arrows: bool = False
    log_y: bool = False


@dataclass
class TerminalFigure:
    """A built figure, stripped of its text, ready to be drawn at any small size (:meth:`draw`).

    Built first so that the caller can count the lines of text (legend, colour scale) before it
    chooses how many rows the picture gets."""

    plot: Plot
    legend: list[tuple[str, str]]
    scale: ColourScale | None
    descent_arrows: bool
    at: list[tuple[float, ...]]
    y_name: str = "f"  # a curve's or a series' y axis
    log_y: bool = False

    @property
    def kind(self) -> str:
        return self.plot.kind

    @property
    def has_arrows(self) -> bool:
        return bool(_quivers(self.plot.figure.axes[0]))

    def axes(self) -> tuple[str, tuple[float, float], str, tuple[float, float]]:
        """(x name, x range, y name, y range): a curve's y axis is f, its limits the figure's."""
        plot = self.plot
        names = list(plot.ranges)
        xr = plot.ranges[names[0]]
        if plot.kind in ("curve", "series"):
            lo, hi = plot.figure.axes[0].get_ylim()
            yname, yr = self.y_name, (float(lo), float(hi))
        else:
            yname, yr = names[1], plot.ranges[names[1]]
        return names[0], (float(xr[0]), float(xr[1])), yname, (float(yr[0]), float(yr[1]))

    def draw(self, width: int, height: int, per_cell: tuple[int, int] = (1, 2)) -> TerminalPicture:
        """The raster at most ``width``×``height`` pixels, in whole cells of ``per_cell`` pixels."""
        plot = self.plot
        fig = plot.figure
        ax = fig.axes[0]
        width, height = picture_size(plot.kind, list(plot.ranges.values()), width, height, per_cell)
        fig.set_size_inches(width / DPI, height / DPI)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
        box = ax.get_window_extent()
        # The axes box in raster rows (top first); with equal aspect it may be a pixel narrower.
        left, right = max(round(box.x0), 0), min(round(box.x1), rgba.shape[1])
        top = max(round(rgba.shape[0] - box.y1), 0)
        bottom = min(round(rgba.shape[0] - box.y0), rgba.shape[0])
        pixels = np.ascontiguousarray(rgba[top:bottom, left:right, :3])
        total = rgba.shape[0]

        def to_pixel(xs: Any, ys: Any) -> Array:
            pts = ax.transData.transform(np.column_stack([xs, ys]))
            return np.column_stack([pts[:, 0] - left, total - pts[:, 1] - top])

        marks = _marks(plot, self.at, to_pixel)
        if plot.kind == "series":  # a run's line is all there is: no start or end to mark
            marks = [m for m in marks if m.kind == "step"]
        for quiver in _quivers(ax):
            marks += _arrow_marks(quiver, to_pixel)
        xname, xr, yname, yr = self.axes()
        return TerminalPicture(
            pixels=pixels,
            kind=plot.kind,
            x_name=xname,
            x_range=xr,
            y_name=yname,
            y_range=yr,
            scale=self.scale,
            legend=self.legend,
            marks=marks,
            notes=list(plot.notes),
            descent_arrows=self.descent_arrows,
            log_y=self.log_y,
        )


def picture_size(
    kind: str,
    ranges: Sequence[tuple[float, float]],
    width: int,
    height: int,
    per_cell: tuple[int, int] = (1, 2),
) -> tuple[int, int]:
    """The raster's (width, height) in pixels within ``width``×``height``, in whole character cells
    of ``per_cell`` pixels (half blocks: 1×2, braille: 2×4; either way square pixels on a cell twice
    as tall as wide). A contour plot keeps the data's aspect where the slide figure does."""
    px, py = per_cell
    if kind == "contour" and len(ranges) == 2:
        (x0, x1), (y0, y1) = ranges
        ratio = (y1 - y0) / (x1 - x0)
        if 0.25 <= ratio <= 4:  # the figure's own test for equal aspect (contour._equal_aspect)
            if width * ratio > height:
                width = round(height / ratio)
            else:
                height = round(width * ratio)
    width = max(width - width % px, 4 * px)
    height = max(height - height % py, 2 * py)
    return width, height


def arrow_count(cols: int) -> int:
    """Arrows along the longer side for a picture ``cols`` characters wide: one every few cells."""
    return min(max(cols // ARROW_SPACING, ARROWS_MIN), ARROWS_MAX)


def check_drawable(surface: bool, animate: bool) -> None:
    """Refuse, before any work, what a terminal picture cannot show."""
    if surface:
        raise UsageError(
            "a 3-D surface is not drawn in the terminal",
            hint="write it to a file: {output} surface.png",
            parameters=("output",),
        )
    if animate:
        raise UsageError(
            "an animation is not drawn in the terminal",
            hint="write it to a file: {output} descent.gif",
            parameters=("output",),
        )


def terminal_figure(
    fn: Function,
    *,
    at: Sequence[Sequence[float]] = (),
    runs: Sequence[Run] = (),
    options: PlotOptions | None = None,
    title_fn: Function | None = None,
    exact_at: Sequence[Point] = (),
    arrows: int | None = None,
) -> TerminalFigure:
    """Build ``fn``'s figure as :func:`plot_function` does (``arrows``: the gradient field's
    density when the options leave it open) and strip it of its text, for :meth:`TerminalFigure.draw`."""
    from matplotlib.text import Annotation, Text

    opts = options or PlotOptions()
    check_drawable(opts.surface, False)
    # Built at the slide figure's own size in inches (its text then fits at the first layout pass,
    # where a 2-inch figure makes the layout retry), and resized when drawn, once the text is gone.
    opts = replace(
        opts, dpi=DPI, size=None, arrows=opts.arrows if opts.arrows is not None else arrows
    )
    plot = plot_function(fn, at=at, runs=runs, options=opts, title_fn=title_fn, exact_at=exact_at)
    fig = plot.figure
    ax = fig.axes[0]
    legend = _legend_entries(fig, ax)
    scale = _scale(ax) if plot.kind == "contour" else None
    for other in fig.axes[1:]:  # the colour bar: printed as a line of text instead
        other.set_visible(False)
    for leg in [*fig.legends, ax.get_legend()]:
        if leg is not None:
            leg.set_visible(False)
    for text in fig.findobj(Text):
        # An annotation without text is an arrow (∇f at a point, a run leaving the view): kept.
        if not (isinstance(text, Annotation) and not text.get_text()):
            text.set_visible(False)
    for quiver in _quivers(ax):
        quiver.set_visible(False)
    for lines in _level_lines(ax):  # a pixel-thin line per band edge is noise: the bands show it
        lines.set_visible(False)
    fig.set_layout_engine("none")
    ax.set_axis_off()
    ax.set_position((0.0, 0.0, 1.0, 1.0))
    if scale is not None and plot.log_levels:
        scale = replace(scale, log=True)
    return TerminalFigure(
        plot, legend, scale, opts.descent_arrows, [tuple(float(v) for v in p) for p in at]
    )


def figure_png(
    fn: Function,
    width_px: int,
    *,
    at: Sequence[Sequence[float]] = (),
    runs: Sequence[Run] = (),
    options: PlotOptions | None = None,
    title_fn: Function | None = None,
    exact_at: Sequence[Point] = (),
) -> bytes:
    """The slide figure itself, text and all, as PNG bytes about ``width_px`` wide (for an inline
    image protocol: the terminal then shows real pixels)."""
    import io

    opts = options or PlotOptions()
    check_drawable(opts.surface, False)
    plot = plot_function(
        fn,
        at=at,
        runs=runs,
        options=replace(opts, dpi=IMAGE_DPI),
        title_fn=title_fn,
        exact_at=exact_at,
    )
    fig = plot.figure
    fig.set_dpi(max(20.0, min(IMAGE_DPI * 3.0, width_px / fig.get_figwidth())))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buffer.getvalue()


def _quivers(ax: Any) -> list[Any]:
    from matplotlib.quiver import Quiver

    return [c for c in ax.collections if isinstance(c, Quiver)]


def _level_lines(ax: Any) -> list[Any]:
    """The thin level lines between the filled bands (not an --at point's one level curve)."""
    from matplotlib.contour import QuadContourSet

    return [
        c
        for c in ax.collections
        if isinstance(c, QuadContourSet) and not c.filled and len(list(c.levels)) > 1
    ]


def _hex(color: Any) -> str:
    from matplotlib.colors import to_hex

    return str(to_hex(color, keep_alpha=False))


def _legend_entries(fig: Any, ax: Any) -> list[tuple[str, str]]:
    """(label, colour) of each legend entry, in the legend's order."""
    entries: list[tuple[str, str]] = []
    for leg in [leg for leg in [*fig.legends, ax.get_legend()] if leg is not None]:
        for handle, text in zip(leg.legend_handles, leg.get_texts()):
            label = text.get_text()
            if not label:
                continue
            color = "#8a8a8a"
            get: Callable[[], Any] | None = getattr(handle, "get_color", None) or getattr(
                handle, "get_facecolor", None
            )
            if get is not None:
                with contextlib.suppress(ValueError, TypeError):
                    color = _hex(get())
            entries.append((label, color))
    return entries


def _scale(ax: Any) -> ColourScale | None:
    """The filled contours' colours, one per band from low to high, and the range they span."""
    from matplotlib.contour import QuadContourSet

    for c in ax.collections:
        if isinstance(c, QuadContourSet) and c.filled:
            levels = np.asarray(c.levels, dtype=float)
            finite = levels[np.isfinite(levels)]
            if len(finite) < 2:
                return None
            mids = [0.5 * (a + b) for a, b in itertools.pairwise(finite)]
            colors = tuple(_hex(c.cmap(c.norm(m))) for m in mids)
            cvalues = cast("Any", c).cvalues  # every region's value, the open ends' too
            drawn = [_hex(rgba) for rgba in c.to_rgba(cvalues)]
            under = drawn[0] if c.extend in ("min", "both") else None
            over = drawn[-1] if c.extend in ("max", "both") else None
            low, high = float(finite[0]), float(finite[-1])
            return ColourScale(colors, low, high, False, under, over)
    return None


def _marks(plot: Plot, at: Sequence[Sequence[float]], to_pixel: Any) -> list[Mark]:
    """The --at points (in the figure's palette) and each run's path, start and end."""
    from gradcli.plotting import style

    marks: list[Mark] = []
    light = plot.rc.get("axes.facecolor") == "white"
    palette = style.PALETTE_ON_WHITE if plot.kind == "curve" and light else style.PALETTE
    for i, p in enumerate(at):
        x = float(p[0])
        y = float(p[1]) if plot.kind == "contour" else float(plot.compiled.value(np.array([x])))
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        ((col, row),) = to_pixel([x], [y])
        marks.append(Mark("point", float(col), float(row), palette[i % len(palette)], i))
    for j, track in enumerate(plot.tracks):
        color = _hex(track.line.get_color())
        pts = to_pixel(track.xs, track.ys)
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        if not len(pts):
            continue
        marks += [Mark("step", c, r, color, j) for c, r in _densify(pts)]
        marks.append(Mark("start", float(pts[0, 0]), float(pts[0, 1]), color, j))
        if track.end.get_visible():
            marks.append(Mark("end", float(pts[-1, 0]), float(pts[-1, 1]), color, j))
    return marks


PATH_POINTS_MAX = 20_000  # marks along all of a run's path: a picture has fewer cells than this


def _densify(pts: Array, step: float = 0.7) -> list[tuple[float, float]]:
    """Points along the polyline ``pts`` at most ``step`` pixels apart: the cells a path crosses."""
    out: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(pts):
        n = int(min(max(math.ceil(float(np.hypot(*(b - a))) / step), 1), 400))
        out += [
            (float(a[0] + t * (b[0] - a[0])), float(a[1] + t * (b[1] - a[1])))
            for t in np.linspace(0.0, 1.0, n, endpoint=False)
        ]
        if len(out) > PATH_POINTS_MAX:
            break
    out.append((float(pts[-1, 0]), float(pts[-1, 1])))
    return out


def _arrow_marks(quiver: Any, to_pixel: Any) -> list[Mark]:
    """The figure's own gradient arrows as (pixel position, unit direction on screen)."""
    xy = np.asarray(quiver.XY, dtype=float)
    u = np.ravel(np.asarray(quiver.U, dtype=float))
    v = np.ravel(np.asarray(quiver.V, dtype=float))
    tails = to_pixel(xy[:, 0] - 0.5 * u, xy[:, 1] - 0.5 * v)
    heads = to_pixel(xy[:, 0] + 0.5 * u, xy[:, 1] + 0.5 * v)
    marks = []
    for (cx, cy), (tx, ty), (hx, hy) in zip(to_pixel(xy[:, 0], xy[:, 1]), tails, heads):
        dx, dy = hx - tx, ty - hy  # raster rows grow downwards: "up" is positive here
        length = math.hypot(dx, dy)
        if math.isfinite(length) and length > 0:
            marks.append(
                Mark("arrow", float(cx), float(cy), "#ffffff", direction=(dx / length, dy / length))
            )
    return marks
