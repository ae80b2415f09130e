"""Building the figures: contours with a gradient field, 1-D curves with tangents, 3-D surfaces.

Every figure is a ``matplotlib.figure.Figure`` with its own Agg canvas — no pyplot and no global state
beyond an ``rc_context`` around the build. Overlays (``--at`` points, descent runs) share one palette,
each drawn with an outline so it stays visible on any colormap band.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from gradcli.errors import UsageError, few_names
from gradcli.plotting import contour, curve, feasible, grid, style, surface
from gradcli.plotting.model import Plot, PlotOptions, Run, Track

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.numeric import Compiled
    from gradcli.points import Point

__all__ = ["Plot", "PlotOptions", "Run", "Track", "plot_function"]

SIZES = {"contour": (8.4, 7.4), "curve": (8.4, 5.6), "surface": (8.8, 7.2)}
MAX_PIXELS = 40_000_000  # a 40-megapixel figure is already poster-sized; its canvas alone is 160 MB


def check_pixels(width: float, height: float, dpi: float, limit: int = MAX_PIXELS) -> None:
    """Refuse (UsageError, exit 2) a ``width``×``height`` in figure at ``dpi`` over ``limit``
    pixels: its canvas would cost gigabytes, not show more."""
    import math

    pixels = width * dpi * height * dpi
    if pixels > limit or not math.isfinite(pixels):
        raise UsageError(
            f"a {width:g}×{height:g} in figure at {dpi:g} dpi has {pixels / 1e6:.0f} megapixels",
            hint=f"keep it under {limit / 1e6:g} (lower {{dpi}} or {{size}})",
            parameters=("dpi", "size"),
        )


def plot_function(
    fn: Function,
    *,
    at: Sequence[Sequence[float]] = (),
    runs: Sequence[Run] = (),
    interest: Sequence[Sequence[float]] = (),
    options: PlotOptions | None = None,
    title_fn: Function | None = None,
    exact_at: Sequence[Point] = (),
    compiled: Compiled | None = None,
) -> Plot:
    """The figure for ``fn`` of one or two variables.

    ``at`` points get a marker, the gradient, the level curve and the tangent (1-D: the tangent line and
    its slope); ``runs`` are drawn as paths; ``interest`` points only frame the view (so do the
    stationary points, found numerically, unless ``options.ranges`` fixes every axis). ``title_fn`` is the function named in the title when ``fn`` is a slice of it. ``exact_at`` are the ``at`` points as typed
    (gradcli.points.Point, in order): their labels then say π/2 and 0, not 1.571 and 6.123e−17.
    ``compiled`` is ``fn``'s evaluators when the caller has them (recalled from the cache).
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gradcli.numeric import compile_function

    opts = options or PlotOptions()
    n = len(fn.names)
    if n not in (1, 2):
        free = few_names(fn.names, count=False)
        raise UsageError(
            f"a figure shows 1 or 2 variables, and f has {n} ({free})",
            hint=f"fix the others with {{slice}}, e.g. {{slice}} {fn.names[-1]}=0",
            parameters=("slice",),
        )
    cmap = _colormap(opts.cmap)
    kind = "curve" if n == 1 else ("surface" if opts.surface else "contour")
    if opts.stream and kind != "contour":
        raise UsageError(
            "{stream} draws the gradient flow over the contours of a function of two variables, "
            + ("not a 3-D surface" if kind == "surface" else "not a curve"),
            parameters=("stream",),
        )
    compiled = compiled or compile_function(fn)
    # Starts frame the view, and so do the ends of converged runs (stationary points); an end still
    # on its way — or running away without tripping the divergence test — would drag the frame.
    ends = [r.path[-1] for r in runs if r.status == "converged" and len(r.path)]
    framed = all(name in opts.ranges for name in fn.names)
    stationary = () if framed else grid.stationary_points(compiled.gradient, n)
    targets: list[Any] = [*at, *(r.start for r in runs), *ends, *interest]
    if opts.feasible is not None:  # the set a projected descent stays in shows whole
        targets += feasible.frame(opts.feasible, n)
    ranges = grid.frame(fn.names, targets, opts.ranges, stationary)
    rc = style.theme_rc(opts.theme) | style.math_font_rc(opts.math_font)
    named = title_fn or fn
    fontset = rc.get("mathtext.fontset", matplotlib.rcParams["mathtext.fontset"])
    title = opts.title or style.math_title(named, opts.fixed, fontset=fontset)
    with matplotlib.rc_context(cast(Any, rc)), warnings.catch_warnings(), np.errstate(all="ignore"):
        # Masked cells, empty level sets and the like are expected here, not news for the user.
        warnings.simplefilter("ignore")
        size = opts.size or _default_size(kind, ranges, fn.names)
        check_pixels(*size, opts.dpi)  # the default size too: --dpi 1200 alone is 90 megapixels
        fig = Figure(figsize=size, dpi=opts.dpi, layout="constrained")
        FigureCanvasAgg(fig)
        plot = Plot(fig, kind, ranges, False, [], [], rc, compiled, opts)
        if kind == "curve":
            curve.draw(plot, compiled, fn, at, runs, opts, exact_at)
        elif kind == "surface":
            surface.draw(plot, compiled, fn, at, runs, opts, cmap)
        else:
            contour.draw(plot, compiled, fn, at, runs, opts, cmap, exact_at)
        fig.axes[0].set_title(title, pad=12)
        plot.settled = _fit_inside(fig)
    return plot


def _centre(fig: Any, renderer: Any) -> bool:
    """Slide an equal-aspect plot within its layout box so that the whole group — plot, colour bar,
    legend beside it — is centred in the frame; True if it moved. (The layout sizes the box with
    the bar and legend as a right margin; the plot, narrower than its box, would be centred alone
    and the group would sit right of centre.)"""
    from matplotlib.transforms import Bbox

    ax = fig.axes[0]
    box = ax.get_position(original=True)
    actual = ax.get_position()
    free = (box.width - actual.width) * fig.bbox.width
    if free < 1:
        return False
    parts = [a.get_tightbbox(renderer) for a in fig.axes]
    parts += [leg.get_window_extent(renderer) for leg in fig.legends]
    group = Bbox.union([b for b in parts if b is not None])
    shift = ((fig.bbox.x1 - group.x1) - (group.x0 - fig.bbox.x0)) / 2
    if abs(shift) < 1:
        return False
    offset = (actual.x0 - box.x0) * fig.bbox.width
    ax.set_anchor((min(max((offset + shift) / free, 0.0), 1.0), 0.5))
    return True


def _fit_inside(fig: Any, *, tries: int = 4) -> bool:
    """Make every text fit in the frame, with a margin. The shipped gradients.png had the top of
    its title cut off: the layout's default padding (3 pt) is less than the distance by which
    mathtext ink (a superscript) outruns the extent matplotlib reports. The padding starts at
    0.08 in and grows by any overflow measured on a draw; then the group is centred (``_centre``).
    True when the last draw's layout is final (nothing changed after it): a PNG can then be
    written without laying the figure out again (:func:`gradcli.plotting.write_plot`)."""
    from matplotlib.text import Text

    engine = fig.get_layout_engine()
    engine.set(h_pad=max(engine.get()["h_pad"], 0.08))
    for _ in range(tries):
        # The layout and every artist's geometry, without painting a pixel: what is measured here
        # needs only the positions, and savefig paints the figure once, at the end.
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        # Clear of the edge by a margin: mathtext ink (a superscript) reaches a pixel or two above
        # the extent matplotlib reports.
        margin = 0.05 * fig.dpi
        top, bottom = fig.bbox.y1 - margin, fig.bbox.y0 + margin
        over = 0.0
        # Tick labels are the layout's own business — and matplotlib keeps labels for ticks
        # outside the view that are never drawn, which would read as overflow.
        ticks = {
            id(label)
            for ax in fig.axes
            for axis in (ax.xaxis, ax.yaxis)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks()
            for label in (tick.label1, tick.label2)
        }
        for text in fig.findobj(Text):
            if not (text.get_visible() and text.get_text()) or id(text) in ticks:
                continue
            box = text.get_window_extent(renderer)
            over = max(over, box.y1 - top, bottom - box.y0)
        if over <= 0.5:
            if not _centre(fig, renderer):
                return True
            continue
        engine.set(h_pad=engine.get()["h_pad"] + over / fig.dpi + 0.02)
    return False


def _colormap(name: str) -> Any:
    import matplotlib

    try:
        return matplotlib.colormaps[name]
    except KeyError:
        raise UsageError(
            f"unknown colormap {name!r}",
            hint="try viridis, magma, cividis, coolwarm, RdBu_r, terrain (any matplotlib colormap)",
        ) from None


def _default_size(
    kind: str, ranges: Mapping[str, tuple[float, float]], names: Sequence[str]
) -> tuple[float, float]:
    width, height = SIZES[kind]
    if kind == "contour":  # fit the height to the range's shape so equal aspect wastes no space
        (x0, x1), (y0, y1) = (ranges[n] for n in names)
        ratio = min(max((y1 - y0) / (x1 - x0), 0.45), 1.4)
        height = 1.6 + (width - 1.9) * ratio
    return width, height
