"""One variable: the curve, the tangent and its slope at each ``--at``, descents as dots on it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.plotting import artists, exact, feasible, grid, style
from gradcli.plotting.model import Plot, PlotOptions, Run
from gradcli.views.text import decimal

if TYPE_CHECKING:
    from gradcli.function import Function

GRID = 1201


def draw(
    plot: Plot,
    compiled: Any,
    fn: Function,
    at: Sequence[Sequence[float]],
    runs: Sequence[Run],
    opts: PlotOptions,
    points: Sequence[Any] = (),
) -> None:
    """``points`` are the exact ``--at`` points (gradcli.points.Point), for exact labels."""
    fig = plot.figure
    (name,) = fn.names
    xr = plot.ranges[name]
    x, y = grid.sample_1d(compiled, xr, opts.grid or GRID)
    ax = fig.add_subplot()
    fg = style.foreground(opts.theme)
    ax.axhline(0, color=fg, linewidth=0.8, alpha=0.5, zorder=1)
    ax.axvline(0, color=fg, linewidth=0.8, alpha=0.5, zorder=1)
    ax.grid(True, alpha=0.25)
    ax.plot(x, y, color=fg if opts.theme == "dark" else "#1f3a93", linewidth=2.8, zorder=3)
    if opts.feasible is not None:  # a projected descent's interval: its ends as walls
        feasible.draw(ax, opts.feasible, opts.feasible_label, xr, None)
    palette = style.PALETTE_ON_WHITE if opts.theme == "light" else style.PALETTE
    span = xr[1] - xr[0]
    marked: list[float] = []
    for i, point in enumerate(at):
        a = float(point[0])
        fa = float(compiled.value(np.array([a])))
        slope = float(compiled.gradient(np.array([a]))[0])
        known = exact.at_point(fn, points[i] if i < len(points) else None, point)
        where = exact.label(*known.where[0])
        if known.gradient is not None:
            slope_text = exact.label(*known.gradient[0])
            slope = 0.0 if known.gradient[0][0] == 0 else slope  # sin'(π/2) is 0, not 6.1e−17
        else:
            slope_text = decimal(slope, 4, typographic=True)
        color = palette[i % len(palette)]
        marked.append(fa)
        if not (math.isfinite(fa) and math.isfinite(slope)):
            plot.notes.append(
                f"f is not differentiable at {name} = {decimal(a, 4, typographic=True)}"
            )
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
            label=f"tangent at {name} = {where}: slope {slope_text}",
        )
        ax.plot([a], [fa], marker="o", markersize=10, color=color, zorder=6, linestyle="none")
        # Above the point on the side the curve climbs away from: for a convex curve that is the
        # empty inside of the bowl, clear of both the curve and the tangent.
        rising = slope >= 0
        # ... unless that side runs out of frame: near an edge the label goes inwards, or
        # "slope −1" at the right end is cut off.
        place = (a - xr[0]) / span
        if place > 0.7:
            rising = True
        elif place < 0.3:
            rising = False
        ax.annotate(
            f"slope {slope_text}",
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
    for j, (run, label) in enumerate(zip(runs, artists.run_labels(runs))):
        xs = artists.finite_path(run.path)[:, 0]
        ys = compiled.value(xs[:, None])
        color = palette[(offset + j) % len(palette)]
        plot.tracks.append(artists.draw_track(ax, xs, ys, None, color, label, on_curve=True))
        marked.extend(float(v) for v in ys[np.isfinite(ys)] if xr[0] <= v <= xr[1])
    ax.set_xlim(*xr)
    ax.set_ylim(*grid.curve_limits(y, marked))
    ax.set_xlabel(style.axis_label(name, fn))
    ax.set_ylabel(f"$f({style.axis_label(name, fn)[1:-1]})$")
    artists.legend(fig, ax, with_tracks=bool(runs), grow=opts.size is None)
