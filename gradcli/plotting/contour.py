"""Two variables: filled contours, labelled level curves, the gradient field and ``--at`` points."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.plotting import artists, constraints, exact, feasible, grid, style
from gradcli.plotting.model import Array, Plot, PlotOptions, Run
from gradcli.views.text import decimal, vector

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from gradcli.function import Function

GRID = 201  # samples along the longer side: smooth contours at slide size, odd so 0 is a node
ARROWS = 15  # gradient arrows along the longer side


def _equal_aspect(xr: tuple[float, float], yr: tuple[float, float]) -> bool:
    """Equal aspect shows ∇f ⟂ level curves truthfully; past 4:1 it would squeeze the plot to a strip."""
    ratio = (xr[1] - xr[0]) / (yr[1] - yr[0])
    return 0.25 <= ratio <= 4


def draw(
    plot: Plot,
    compiled: Any,
    fn: Function,
    at: Sequence[Sequence[float]],
    runs: Sequence[Run],
    opts: PlotOptions,
    cmap: Any,
    points: Sequence[Any] = (),
) -> None:
    """``points`` are the exact ``--at`` points (gradcli.points.Point), for exact labels."""
    from matplotlib.colors import BoundaryNorm

    fig = plot.figure
    xname, yname = fn.names
    xr, yr = plot.ranges[xname], plot.ranges[yname]
    sample = grid.sample_2d(compiled, xr, yr, opts.grid or GRID)
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
    # The bar rides on the axes (an inset just right of it), not on the layout box: a box wider than
    # the equal-aspect plot (16:9, --size) then centres plot and bar together, where fig.colorbar(ax=)
    # anchors the plot against the bar at the right edge and leaves the left of the frame empty.
    bar = fig.colorbar(filled, cax=ax.inset_axes((1.03, 0.0, 0.045, 1.0)))
    bar.set_label(f"$f({style.axis_label(xname, fn)[1:-1]}, {style.axis_label(yname, fn)[1:-1]})$")
    if levels.log:
        ticks = levels.values[::2] if len(levels.values) > 8 else levels.values
        bar.set_ticks(list(ticks), labels=[decimal(t, 3, typographic=True) for t in ticks])
    equal = _equal_aspect(xr, yr)
    if opts.arrows != 0:
        count = opts.arrows or ARROWS
        # With points or paths on top, the field steps back so that they read first.
        faint = bool(at or runs or opts.lagrange or opts.feasible)
        _gradient_field(ax, compiled, xr, yr, count, opts.descent_arrows, equal, labels, faint)
    if opts.stream:  # beside arrows, points or paths, the streamlines step back
        faint = bool(at or runs) or opts.arrows != 0
        _streamlines(ax, compiled, xr, yr, opts.descent_arrows, equal, faint)
    if opts.lagrange is not None:  # plot --subject-to: the constraint, its optima, ∇f ∥ ∇g
        constraints.draw(ax, sample, compiled, opts.lagrange, xr, yr)
    elif opts.feasible is not None:  # a projected descent: the circle or box it stays in
        feasible.draw(ax, opts.feasible, opts.feasible_label, xr, yr)
    for i, point in enumerate(at):
        color = style.PALETTE[i % len(style.PALETTE)]
        numbers = exact.at_point(fn, points[i] if i < len(points) else None, point)
        note = _mark_point_2d(
            ax, sample, compiled, np.asarray(point, float), color, xr, yr, numbers
        )
        if note:
            plot.notes.append(note)
    if opts.minima:
        known = np.asarray(opts.minima, float)
        ax.plot(
            known[:, 0],
            known[:, 1],
            linestyle="none",
            marker="X",
            markersize=11,
            markerfacecolor="white",
            markeredgecolor="black",
            zorder=6,
            label="known minimum" if len(known) == 1 else "known minima",
        )
    offset = len(at)
    span = min(xr[1] - xr[0], yr[1] - yr[0])
    colours, entries = artists.run_groups(runs, arrow=True)  # many runs: a colour per end point
    for run, entry, colour in zip(runs, entries, colours):
        path, heading = artists.leave_frame(artists.finite_path(run.path), xr, yr)
        color = style.PALETTE[(offset + colour) % len(style.PALETTE)]
        if heading is not None:
            artists.edge_arrow(ax, path[-1], heading, color, span)
            if run.status != "diverged" and len(runs) <= artists.MANY_RUNS:  # a label its own
                # Out of the view and higher than it began: running away, whatever the test says.
                ends = compiled.value(np.array([run.path[0], run.path[-1]], dtype=float))
                away = bool(np.isfinite(ends[0]) and not ends[1] <= ends[0])
                entry += "  (diverged ↗)" if away else "  (leaves the view ↗)"
        track = artists.draw_track(
            ax, path[:, 0], path[:, 1], None, color, entry, left=heading is not None
        )
        plot.tracks.append(track)
    ax.set_xlim(*xr)
    ax.set_ylim(*yr)
    ax.set_aspect("equal" if equal else "auto")
    if not equal:
        plot.notes.append("the ranges are too unequal for equal aspect: angles are not to scale")
    ax.set_xlabel(style.axis_label(xname, fn))
    ax.set_ylabel(style.axis_label(yname, fn), rotation=0, labelpad=12)
    artists.legend(
        fig,
        ax,
        with_tracks=bool(runs),
        grow=opts.size is None,
        descent_arrows=opts.descent_arrows,
        beside=bar.ax,
        stream=opts.stream,
    )


def _roughness(levels: Any) -> tuple[float, float]:
    """How un-round a set of labels reads: fewer powers of ten (log levels 1, 10, 100 beat 3, 30),
    then no zero, then longer numbers."""
    values = [float(v) for v in levels]
    powers = sum(1 for v in values if v > 0 and math.log10(v).is_integer())
    return (
        -powers / len(values) - (0 in values),
        sum(len(decimal(v, 4, typographic=True)) for v in values) / len(values),
    )


def _label(value: float) -> str:
    return decimal(value, 4, typographic=True)


def _label_contours(ax: Axes, lines: Any, size: float) -> list[tuple[float, float]]:
    """Label every other contour line (every line when there are few) in dark text with a light halo,
    readable on any band; returns where the labels sit."""
    from matplotlib import patheffects

    labelled = lines.levels
    if len(labelled) > 8:  # every other level: the half with the rounder numbers (0, 1, 2 not 0.5)
        labelled = min(labelled[::2], labelled[1::2], key=_roughness)
    texts = ax.clabel(lines, labelled, inline=True, inline_spacing=4, fontsize=size, fmt=_label)
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


STREAM_GRID = 101  # gradient samples along the longer side for the streamlines
STREAM_DENSITY = 1.3  # streamplot's density along the longer side of the view


def _streamlines(
    ax: Axes,
    compiled: Any,
    xr: tuple[float, float],
    yr: tuple[float, float],
    descent: bool,
    equal: bool,
    faint: bool,
) -> None:
    """The gradient flow as streamlines (matplotlib's streamplot): the curves ẋ = ∇f(x) — or
    ẋ = −∇f(x) with ``descent``, the same curves with the heads turned — that gradient descent
    follows with small steps. They are integrated in data coordinates, so they are the true flow
    even where unequal ranges stretch the view (the arrows, by contrast, are drawn as seen)."""
    from matplotlib import patheffects

    wide, high = (xr[1] - xr[0], yr[1] - yr[0]) if equal else (1.0, 1.0)
    longest = max(wide, high)
    nx = max(10, round(STREAM_GRID * wide / longest))
    ny = max(10, round(STREAM_GRID * high / longest))
    xs, ys = np.linspace(*xr, nx), np.linspace(*yr, ny)
    X, Y = np.meshgrid(xs, ys)
    G = np.asarray(compiled.gradient(np.stack([X, Y], axis=-1)), dtype=float)
    sign = -1.0 if descent else 1.0
    U = np.ma.masked_invalid(sign * G[..., 0])
    V = np.ma.masked_invalid(sign * G[..., 1])
    if U.count() == 0 or not (np.abs(U).max() > 0 or np.abs(V).max() > 0):
        return  # no flow to draw: f is constant (or undefined) over the view
    # Beside the arrows, fewer lines: the two fields together would read as noise.
    scale = STREAM_DENSITY * (0.75 if faint else 1.0) / longest
    density = (scale * wide, scale * high)
    stream = ax.streamplot(
        xs,
        ys,
        U.filled(np.nan),
        V.filled(np.nan),
        density=density,
        color="white",
        linewidth=1.1,
        arrowsize=1.2,
        arrowstyle="-|>",
        zorder=3,
    )
    stream.lines.set_alpha(0.6 if faint else 0.9)
    # A dark edge keeps white lines visible on the palest bands of any colormap.
    stream.lines.set_path_effects(
        [patheffects.Stroke(linewidth=2.3, foreground="#111111", alpha=0.45), patheffects.Normal()]
    )
    stream.arrows.set_alpha(0.6 if faint else 0.9)


def _mark_point_2d(
    ax: Axes,
    sample: grid.Sample2D,
    compiled: Any,
    p: Array,
    color: str,
    xr: tuple[float, float],
    yr: tuple[float, float],
    known: exact.Exact,
) -> str | None:
    """The point, the level curve through it, ∇f there and the tangent; a note if f is undefined.

    The labels are exact where calculus has the numbers (π/2, not 1.571; 0, not 6.123e−17)."""
    value = float(compiled.value(p))
    g = compiled.gradient(p)
    if known.gradient is not None:  # ∇f = 0 exactly is a stationary point, whatever the floats say
        g = np.array([0.0 if e == 0 else v for e, v in known.gradient])
    norm = float(np.hypot(*g))
    where = exact.point_label(known.where)
    shown = (
        exact.label(*known.value)
        if known.value is not None
        else decimal(value, 4, typographic=True)
    )
    slope = exact.point_label(known.gradient) if known.gradient else vector(g, 4, typographic=True)
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
    level.set_path_effects(artists.outlined(color, 3.0))
    ax.plot(
        [],
        [],
        color=color,
        linewidth=3,
        path_effects=artists.outlined(color, 3),
        label=f"level f = {shown} through {where}",
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
            path_effects=artists.outlined(color, 2.4),
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
        arrow.arrow_patch.set_path_effects(artists.outlined(color, 3))  # type: ignore[union-attr]
        ax.plot(
            [],
            [],
            linestyle="none",
            marker=r"$\rightarrow$",
            markersize=20,
            color=color,
            # the outline keeps a white arrow visible on the white legend
            markeredgecolor=style.outline(color),
            markeredgewidth=0.8,
            label=f"∇f{where} = {slope}",
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
