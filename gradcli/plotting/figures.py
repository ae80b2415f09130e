"""Building the figures: contours with a gradient field, 1-D curves with tangents, 3-D surfaces.

Every figure is a ``matplotlib.figure.Figure`` with its own Agg canvas — no pyplot and no global state
beyond an ``rc_context`` around the build. Overlays (``--at`` points, descent runs) share one palette,
each drawn with an outline so it stays visible on any colormap band.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np

from gradcli.errors import UsageError
from gradcli.plotting import grid, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from gradcli.function import Function

Array = np.ndarray[Any, Any]

GRID_2D = 201  # samples along the longer side: smooth contours at slide size, odd so 0 is a node
GRID_1D = 1201
GRID_SURFACE = 81  # plot_surface draws one polygon per cell: more is slower, not visibly better
ARROWS = 15  # gradient arrows along the longer side
SIZES = {"contour": (8.4, 7.4), "curve": (8.4, 5.6), "surface": (8.8, 7.2)}


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


def plot_function(
    fn: Function,
    *,
    at: Sequence[Sequence[float]] = (),
    runs: Sequence[Run] = (),
    interest: Sequence[Sequence[float]] = (),
    options: PlotOptions | None = None,
    title_fn: Function | None = None,
) -> Plot:
    """The figure for ``fn`` of one or two variables.

    ``at`` points get a marker, the gradient, the level curve and the tangent (1-D: the tangent line and
    its slope); ``runs`` are drawn as paths; ``interest`` points only frame the view (so do the
    stationary points, found numerically, unless ``options.ranges`` fixes every axis). ``title_fn`` is the function named in the title when ``fn`` is a slice of it.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gradcli.numeric import compile_function

    opts = options or PlotOptions()
    n = len(fn.variables)
    if n not in (1, 2):
        free = ", ".join(fn.names)
        raise UsageError(
            f"a figure shows 1 or 2 variables, and f has {n} ({free})",
            hint=f"fix the others with --slice, e.g. --slice {fn.names[-1]}=0",
        )
    cmap = _colormap(opts.cmap)
    compiled = compile_function(fn)
    kind = "curve" if n == 1 else ("surface" if opts.surface else "contour")
    # Starts frame the view, and so do the ends of converged runs (stationary points); an end still
    # on its way — or running away without tripping the divergence test — would drag the frame.
    ends = [r.path[-1] for r in runs if r.status == "converged" and len(r.path)]
    framed = all(name in opts.ranges for name in fn.names)
    stationary = () if framed else grid.stationary_points(compiled.gradient, n)
    targets: list[Any] = [*at, *(r.start for r in runs), *ends, *interest]
    ranges = grid.frame(fn.names, targets, opts.ranges, stationary)
    rc = style.theme_rc(opts.theme)
    title = opts.title or style.math_title(
        (title_fn or fn).expr, (title_fn or fn).names, opts.fixed
    )
    with matplotlib.rc_context(cast(Any, rc)), warnings.catch_warnings(), np.errstate(all="ignore"):
        # Masked cells, empty level sets and the like are expected here, not news for the user.
        warnings.simplefilter("ignore")
        size = opts.size or _default_size(kind, ranges, fn.names)
        fig = Figure(figsize=size, dpi=opts.dpi, layout="constrained")
        FigureCanvasAgg(fig)
        plot = Plot(fig, kind, ranges, False, [], [], rc, compiled)
        if kind == "curve":
            _draw_curve(plot, compiled, fn, at, runs, opts)
        elif kind == "surface":
            _draw_surface(plot, compiled, fn, at, runs, opts, cmap)
        else:
            _draw_contours(plot, compiled, fn, at, runs, opts, cmap)
        fig.axes[0].set_title(title, pad=12)
    return plot


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


def _equal_aspect(xr: tuple[float, float], yr: tuple[float, float]) -> bool:
    """Equal aspect shows ∇f ⟂ level curves truthfully; past 4:1 it would squeeze the plot to a strip."""
    ratio = (xr[1] - xr[0]) / (yr[1] - yr[0])
    return 0.25 <= ratio <= 4


def _outlined(color: str, width: float) -> list[Any]:
    from matplotlib import patheffects

    return [
        patheffects.Stroke(linewidth=width + 2.2, foreground=style.outline(color)),
        patheffects.Normal(),
    ]


def _run_labels(runs: Sequence[Run]) -> list[str]:
    # Settings.name says 'gd+line-search' or 'adam (ascent)' where the bare method would not.
    names = [getattr(getattr(r, "settings", None), "name", r.method) for r in runs]
    labels = [f"{name}, lr = {style.num(float(r.lr))}" for name, r in zip(names, runs)]
    if len(set(labels)) < len(labels):  # same method and lr from several starts: name the start
        labels = [f"{lab}, from {style.point_text(r.start)}" for lab, r in zip(labels, runs)]
    return [
        lab + ("  (diverged)" if r.status == "diverged" else "") for lab, r in zip(labels, runs)
    ]


def _finite_path(path: Array) -> Array:
    pts = np.asarray(path, dtype=float)
    return np.where(np.isfinite(pts), pts, np.nan)


# --------------------------------------------------------------------------------------------- 2-D


def _draw_contours(
    plot: Plot,
    compiled: Any,
    fn: Function,
    at: Sequence[Sequence[float]],
    runs: Sequence[Run],
    opts: PlotOptions,
    cmap: Any,
) -> None:
    from matplotlib.colors import BoundaryNorm

    fig = plot.figure
    xname, yname = fn.names
    xr, yr = plot.ranges[xname], plot.ranges[yname]
    sample = grid.sample_2d(compiled, xr, yr, opts.grid or GRID_2D)
    levels = grid.choose_levels(sample.Z, opts.levels, opts.log_levels, opts.level_values)
    plot.log_levels = levels.log
    ax = fig.add_subplot()
    norm = BoundaryNorm(levels.values, cmap.N, extend=levels.extend) if levels.log else None
    filled = ax.contourf(
        sample.X,
        sample.Y,
        sample.Z,
        levels=levels.values,
        cmap=cmap,
        norm=norm,
        extend=levels.extend,
        zorder=1,
    )
    lines = ax.contour(
        sample.X,
        sample.Y,
        sample.Z,
        levels=levels.values,
        colors="#101010",
        linewidths=0.8,
        alpha=0.55,
        zorder=2,
        negative_linestyles="solid",
    )
    labels = _label_contours(ax, lines, plot.rc["font.size"] - 2)
    if np.ma.count_masked(sample.Z):
        _shade_undefined(ax, xr, yr)
    bar = fig.colorbar(filled, ax=ax, pad=0.02, fraction=0.05)
    bar.set_label(f"$f({style.axis_label(xname)[1:-1]}, {style.axis_label(yname)[1:-1]})$")
    if levels.log:
        ticks = levels.values[::2] if len(levels.values) > 8 else levels.values
        bar.set_ticks(list(ticks), labels=[style.num(t, 3) for t in ticks])
    equal = _equal_aspect(xr, yr)
    if opts.arrows != 0:
        count = opts.arrows or ARROWS
        # With points or paths on top, the field steps back so that they read first.
        faint = bool(at or runs)
        _gradient_field(ax, compiled, xr, yr, count, opts.descent_arrows, equal, labels, faint)
    for i, point in enumerate(at):
        color = style.PALETTE[i % len(style.PALETTE)]
        note = _mark_point_2d(ax, sample, compiled, np.asarray(point, float), color, xr, yr)
        if note:
            plot.notes.append(note)
    offset = len(at)
    for j, (run, label) in enumerate(zip(runs, _run_labels(runs))):
        path = _finite_path(run.path)
        color = style.PALETTE[(offset + j) % len(style.PALETTE)]
        plot.tracks.append(_draw_track(ax, path[:, 0], path[:, 1], None, color, label))
    ax.set_xlim(*xr)
    ax.set_ylim(*yr)
    ax.set_aspect("equal" if equal else "auto")
    if not equal:
        plot.notes.append("the ranges are too unequal for equal aspect: angles are not to scale")
    ax.set_xlabel(style.axis_label(xname))
    ax.set_ylabel(style.axis_label(yname), rotation=0, labelpad=12)
    _legend(fig, ax, with_tracks=bool(runs), grow=opts.size is None)


def _roughness(levels: Any) -> tuple[float, float]:
    """How un-round a set of labels reads: fewer powers of ten (log levels 1, 10, 100 beat 3, 30),
    then no zero, then longer numbers."""
    values = [float(v) for v in levels]
    powers = sum(1 for v in values if v > 0 and math.log10(v).is_integer())
    return (
        -powers / len(values) - (0 in values),
        sum(len(style.num(v)) for v in values) / len(values),
    )


def _label_contours(ax: Axes, lines: Any, size: float) -> list[tuple[float, float]]:
    """Label every other contour line (every line when there are few) in dark text with a light halo,
    readable on any band; returns where the labels sit."""
    from matplotlib import patheffects

    labelled = lines.levels
    if len(labelled) > 8:  # every other level: the half with the rounder numbers (0, 1, 2 not 0.5)
        labelled = min(labelled[::2], labelled[1::2], key=_roughness)
    texts = ax.clabel(lines, labelled, inline=True, inline_spacing=4, fontsize=size, fmt=style.num)
    halo: list[Any] = [patheffects.withStroke(linewidth=3, foreground="white", alpha=0.85)]
    spots = []
    for text in texts:
        text.set_color("#111111")
        text.set_alpha(1.0)
        text.set_path_effects(halo)
        text.set_zorder(5)
        x, y = text.get_position()
        spots.append((float(x), float(y)))
    return spots


def _shade_undefined(ax: Axes, xr: tuple[float, float], yr: tuple[float, float]) -> None:
    """Hatch the background, so the cells left out (f undefined, or a pole) read as 'undefined'."""
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle(
            (xr[0], yr[0]),
            xr[1] - xr[0],
            yr[1] - yr[0],
            facecolor="none",
            hatch="///",
            edgecolor="#9a9a9a",
            linewidth=0,
            zorder=0,
            label="f undefined",
        )
    )


def _gradient_field(
    ax: Axes,
    compiled: Any,
    xr: tuple[float, float],
    yr: tuple[float, float],
    count: int,
    descent: bool,
    equal: bool,
    labels: Sequence[tuple[float, float]],
    faint: bool = False,
) -> None:
    # Arrows are laid out in "view" coordinates, where the plot is drawn to scale: data coordinates
    # with equal aspect, the unit square otherwise. Their directions are ∇f seen in that view.
    sx, sy = (1.0, 1.0) if equal else (xr[1] - xr[0], yr[1] - yr[0])
    AX, AY, cell = grid.arrow_grid((xr[0] / sx, xr[1] / sx), (yr[0] / sy, yr[1] / sy), count)
    AX, AY = AX * sx, AY * sy
    # Leave room around the contour labels: an arrow across a number makes both unreadable.
    clear = grid.away_from(AX / sx, AY / sy, [(x / sx, y / sy) for x, y in labels], 0.55 * cell)
    AX, AY = AX[clear], AY[clear]
    G = compiled.gradient(np.stack([AX, AY], axis=-1))
    keep, U, V = grid.arrow_vectors(G * np.array([sx, sy]), cell, descent)
    if not keep.any():
        return
    ax.quiver(
        AX[keep],
        AY[keep],
        U * sx,
        V * sy,
        angles="xy",
        scale_units="xy",
        scale=1,
        pivot="middle",
        color="white",
        edgecolor="#111111",
        linewidth=0.7,
        width=0.0042,
        headwidth=3.6,
        headlength=4.2,
        headaxislength=3.8,
        alpha=0.6 if faint else 1.0,
        zorder=4,
    )


def _mark_point_2d(
    ax: Axes,
    sample: grid.Sample2D,
    compiled: Any,
    p: Array,
    color: str,
    xr: tuple[float, float],
    yr: tuple[float, float],
) -> str | None:
    """The point, the level curve through it, ∇f there and the tangent; a note if f is undefined."""
    value = float(compiled.value(p))
    g = compiled.gradient(p)
    norm = float(np.hypot(*g))
    where = style.point_text(p)
    span = min(xr[1] - xr[0], yr[1] - yr[0])
    dot: dict[str, Any] = {
        "marker": "o",
        "markersize": 11,
        "color": color,
        "markeredgecolor": style.outline(color),
        "markeredgewidth": 1.8,
        "linestyle": "none",
        "zorder": 8,
    }
    if not math.isfinite(value):
        ax.plot([p[0]], [p[1]], **dot, label=f"f is undefined at {where}")
        return f"f is undefined at {where}: no level curve, gradient or tangent there"
    level = ax.contour(
        sample.X, sample.Y, sample.Z, levels=[value], colors=[color], linewidths=3.0, zorder=5
    )
    level.set_path_effects(_outlined(color, 3.0))
    ax.plot(
        [],
        [],
        color=color,
        linewidth=3,
        path_effects=_outlined(color, 3),
        label=f"level f = {style.num(value)} through {where}",
    )
    if math.isfinite(norm) and norm > 0:
        unit = g / norm
        tangent = np.array([-unit[1], unit[0]]) * 0.24 * span
        ax.plot(
            [p[0] - tangent[0], p[0] + tangent[0]],
            [p[1] - tangent[1], p[1] + tangent[1]],
            linestyle=(0, (5, 3)),
            color=color,
            linewidth=2.4,
            zorder=6,
            path_effects=_outlined(color, 2.4),
            label="tangent to the level curve",
        )
        tip = p + unit * _room(p, unit, 0.2 * span, xr, yr)
        arrow = ax.annotate(
            "",
            xy=(float(tip[0]), float(tip[1])),
            xytext=(float(p[0]), float(p[1])),
            zorder=7,
            annotation_clip=False,
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "linewidth": 3,
                "mutation_scale": 26,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        arrow.arrow_patch.set_path_effects(_outlined(color, 3))  # type: ignore[union-attr]
        ax.plot(
            [],
            [],
            linestyle="none",
            marker=r"$\rightarrow$",
            markersize=20,
            color=color,
            label=f"∇f{where} = {style.point_text(g)}",
        )
    ax.plot([p[0]], [p[1]], **dot)
    if not (math.isfinite(norm) and norm > 0):
        return f"∇f = 0 at {where}: a stationary point, so no gradient arrow or tangent"
    return None


def _room(
    p: Array, unit: Array, want: float, xr: tuple[float, float], yr: tuple[float, float]
) -> float:
    """How long an arrow from ``p`` along ``unit`` can be (up to ``want``) and stay in the frame."""
    room = want
    for k, (lo, hi) in enumerate((xr, yr)):
        if unit[k] > 0:
            room = min(room, 0.95 * (hi - p[k]) / unit[k])
        elif unit[k] < 0:
            room = min(room, 0.95 * (lo - p[k]) / unit[k])
    return max(room, 0.25 * want)


def _draw_track(
    ax: Axes,
    xs: Array,
    ys: Array,
    zs: Array | None,
    color: str,
    label: str,
    on_curve: bool = False,
) -> Track:
    """A run as a path with its steps dotted (when few enough to see), a start dot and an end star.

    ``on_curve`` (1-D): the iterates are dots on the graph of f joined by a faint dotted line — a
    solid chord between x_k and x_k+1 would cut across the curve and read as part of the picture.
    """
    coords = (xs, ys) if zs is None else (xs, ys, zs)
    few = len(xs) <= (200 if on_curve else 80)
    dark = style.outline(color)
    width = 1.2 if on_curve else 2.4
    (line,) = ax.plot(
        *coords,
        color=color,
        linewidth=width,
        linestyle=":" if on_curve else "-",
        zorder=9,
        label=label,
        marker="o" if few else None,
        markersize=7 if on_curve else 4,
        markeredgecolor=dark,
        markeredgewidth=0.8 if on_curve else 0.6,
        path_effects=None if on_curve else _outlined(color, width),
    )
    head_xyz = [[xs[0]], [ys[0]]] + ([] if zs is None else [[zs[0]]])
    (head,) = ax.plot(
        *head_xyz,
        marker="o",
        markersize=11,
        color=color,
        markeredgecolor=dark,
        markeredgewidth=1.8,
        linestyle="none",
        zorder=10,
    )
    finite = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
    last = finite[-1] if len(finite) else 0
    end_xyz = [[xs[last]], [ys[last]]] + ([] if zs is None else [[zs[last]]])
    (end,) = ax.plot(
        *end_xyz,
        marker="*",
        markersize=19,
        color=color,
        markeredgecolor=dark,
        markeredgewidth=1.4,
        linestyle="none",
        zorder=11,
    )
    return Track(xs, ys, zs, line, head, end)


def _legend(fig: Figure, ax: Any, *, with_tracks: bool, grow: bool) -> None:
    """The legend below the plot, in as many columns as fit; ``grow`` lets a tall legend make the
    figure taller rather than squeeze the plot."""
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    if with_tracks:  # what the markers mean, in a neutral colour, as one entry
        grey = "#8a8a8a"
        start = Line2D([], [], marker="o", markersize=9, color=grey, linestyle="none")
        end = Line2D([], [], marker="*", markersize=14, color=grey, linestyle="none")
        handles.append((start, end))
        labels.append("start, end")
    if not handles:
        return
    # As many columns as fit the width: about 9 characters of legend text per inch at slide size.
    longest = max(len(label) for label in labels) + 6
    columns = max(1, min(3, len(handles), int(fig.get_figwidth() * 9) // longest))
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=columns,
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0.6)},
    )
    rows = -(-len(handles) // columns)
    if grow and rows > 2:
        fig.set_figheight(fig.get_figheight() + 0.3 * (rows - 2))


# --------------------------------------------------------------------------------------------- 1-D


def _draw_curve(
    plot: Plot,
    compiled: Any,
    fn: Function,
    at: Sequence[Sequence[float]],
    runs: Sequence[Run],
    opts: PlotOptions,
) -> None:
    fig = plot.figure
    (name,) = fn.names
    xr = plot.ranges[name]
    x, y = grid.sample_1d(compiled, xr, opts.grid or GRID_1D)
    ax = fig.add_subplot()
    fg = style.foreground(opts.theme)
    ax.axhline(0, color=fg, linewidth=0.8, alpha=0.5, zorder=1)
    ax.axvline(0, color=fg, linewidth=0.8, alpha=0.5, zorder=1)
    ax.grid(True, alpha=0.25)
    ax.plot(x, y, color=fg if opts.theme == "dark" else "#1f3a93", linewidth=2.8, zorder=3)
    palette = style.PALETTE_ON_WHITE if opts.theme == "light" else style.PALETTE
    span = xr[1] - xr[0]
    marked: list[float] = []
    for i, point in enumerate(at):
        a = float(point[0])
        fa = float(compiled.value(np.array([a])))
        slope = float(compiled.gradient(np.array([a]))[0])
        color = palette[i % len(palette)]
        marked.append(fa)
        if not (math.isfinite(fa) and math.isfinite(slope)):
            plot.notes.append(f"f is not differentiable at {name} = {style.num(a)}")
            continue
        half = 0.2 * span
        tx = np.array([a - half, a + half])
        ax.plot(
            tx,
            fa + slope * (tx - a),
            color=color,
            linewidth=2.4,
            linestyle=(0, (6, 3)),
            zorder=4,
            label=f"tangent at {name} = {style.num(a)}: slope {style.num(slope)}",
        )
        ax.plot([a], [fa], marker="o", markersize=10, color=color, zorder=6, linestyle="none")
        # Above the point on the side the curve climbs away from: for a convex curve that is the
        # empty inside of the bowl, clear of both the curve and the tangent.
        rising = slope >= 0
        ax.annotate(
            f"slope {style.num(slope)}",
            xy=(a, fa),
            xytext=(-12, 10) if rising else (12, 10),
            textcoords="offset points",
            ha="right" if rising else "left",
            va="bottom",
            color=color,
            fontsize=plot.rc["font.size"] + 1,
            fontweight="bold",
            zorder=7,
            bbox={
                "boxstyle": "round,pad=0.25",
                "facecolor": plot.rc["axes.facecolor"],
                "edgecolor": "none",
                "alpha": 0.8,
            },
        )
    offset = len(at)
    for j, (run, label) in enumerate(zip(runs, _run_labels(runs))):
        xs = _finite_path(run.path)[:, 0]
        ys = compiled.value(xs[:, None])
        color = palette[(offset + j) % len(palette)]
        plot.tracks.append(_draw_track(ax, xs, ys, None, color, label, on_curve=True))
        marked.extend(float(v) for v in ys[np.isfinite(ys)] if xr[0] <= v <= xr[1])
    ax.set_xlim(*xr)
    ax.set_ylim(*grid.curve_limits(y, marked))
    ax.set_xlabel(style.axis_label(name))
    ax.set_ylabel(f"$f({style.axis_label(name)[1:-1]})$")
    _legend(fig, ax, with_tracks=bool(runs), grow=opts.size is None)


# ----------------------------------------------------------------------------------------- surface


def _draw_surface(
    plot: Plot,
    compiled: Any,
    fn: Function,
    at: Sequence[Sequence[float]],
    runs: Sequence[Run],
    opts: PlotOptions,
    cmap: Any,
) -> None:
    from matplotlib.colors import BoundaryNorm, Normalize

    fig = plot.figure
    xname, yname = fn.names
    xr, yr = plot.ranges[xname], plot.ranges[yname]
    sample = grid.sample_2d(compiled, xr, yr, opts.grid or GRID_SURFACE)
    levels = grid.choose_levels(sample.Z, opts.levels, opts.log_levels, opts.level_values)
    plot.log_levels = levels.log
    lo, hi = float(levels.values[0]), float(levels.values[-1])
    data = np.ma.filled(sample.Z.astype(float), np.nan)
    zmin, zmax = float(np.nanmin(data)), min(float(np.nanmax(data)), hi if levels.log else np.inf)
    if levels.extend in ("max", "both") and not levels.log:
        zmax = hi
    Z = np.where((data > zmax) | np.isnan(data), np.nan, data)  # poles become holes, not spikes
    norm = (
        BoundaryNorm(levels.values, cmap.N, extend=levels.extend)
        if levels.log
        else Normalize(lo, hi)
    )
    ax = fig.add_subplot(projection="3d", computed_zorder=False)
    surf = ax.plot_surface(
        sample.X,
        sample.Y,
        Z,
        cmap=cmap,
        norm=norm,
        rcount=Z.shape[0],
        ccount=Z.shape[1],
        linewidth=0,
        antialiased=False,  # with linewidth 0 and no alpha, no seams show between the cells
        zorder=1,
    )
    ax.contour(
        sample.X,
        sample.Y,
        sample.Z,
        levels=levels.values,
        cmap=cmap,
        norm=norm,
        zdir="z",
        offset=zmin,
        linewidths=1.0,
        zorder=0,
    )
    lift = 0.01 * (zmax - zmin)  # paths ride just above the surface so it does not hide them
    for i, point in enumerate(at):
        p = np.asarray(point, float)
        color = style.PALETTE[i % len(style.PALETTE)]
        fp = float(compiled.value(p))
        ax.plot(
            [p[0]],
            [p[1]],
            [fp + lift],
            marker="o",
            markersize=10,
            color=color,
            linestyle="none",
            markeredgecolor=style.outline(color),
            zorder=12,
            label=f"{style.point_text(p)}: f = {style.num(fp)}",
        )
    for j, (run, label) in enumerate(zip(runs, _run_labels(runs))):
        path = _finite_path(run.path)
        zs = compiled.value(path) + lift
        inside = (path[:, 0] >= xr[0]) & (path[:, 0] <= xr[1])
        inside &= (path[:, 1] >= yr[0]) & (path[:, 1] <= yr[1])
        path[~inside] = np.nan  # 3-D axes do not clip: cut what leaves the box
        color = style.PALETTE[(len(at) + j) % len(style.PALETTE)]
        plot.tracks.append(_draw_track(ax, path[:, 0], path[:, 1], zs, color, label))
    ax.set_xlim(*xr)
    ax.set_ylim(*yr)
    ax.set_zlim(zmin, zmax)
    ax.set_xlabel(style.axis_label(xname), labelpad=8)
    ax.set_ylabel(style.axis_label(yname), labelpad=8)
    ax.view_init(elev=32, azim=-58)
    ax.set_box_aspect(None, zoom=1.08)  # the cube fills its box: less white around it
    # f is named on the colour bar, right beside the z ticks: a z label would collide with it
    bar = fig.colorbar(surf, ax=ax, shrink=0.62, pad=0.06, aspect=18)
    bar.set_label(f"$f({style.axis_label(xname)[1:-1]}, {style.axis_label(yname)[1:-1]})$")
    if levels.log:
        ticks = levels.values[::2] if len(levels.values) > 8 else levels.values
        bar.set_ticks(list(ticks), labels=[style.num(t, 3) for t in ticks])
    _legend(fig, ax, with_tracks=bool(runs), grow=opts.size is None)
