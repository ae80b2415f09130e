"""``--surface``: the graph of f in 3-D, its level curves on the floor, paths lifted onto it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.plotting import artists, grid, style
from gradcli.plotting.model import Plot, PlotOptions, Run
from gradcli.views.text import decimal, vector

if TYPE_CHECKING:
    from gradcli.function import Function

GRID = 81  # plot_surface draws one polygon per cell: more is slower, not visibly better
# Each polygon costs matplotlib about a kilobyte: --grid 1500 (2.25 million cells) took 2.5 GB.
GRID_MAX = 300


def draw(
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
    samples = opts.grid or GRID
    if samples > GRID_MAX:
        plot.notes.append(
            f"the surface is drawn on a {GRID_MAX}-point grid, not {samples}: each cell is a "
            "polygon, and more would cost gigabytes without showing more"
        )
        samples = GRID_MAX
    sample = grid.sample_2d(compiled, xr, yr, samples)
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
            label=f"{vector(p, 4, typographic=True)}: f = {decimal(fp, 4, typographic=True)}",
        )
    for j, (run, label) in enumerate(zip(runs, artists.run_labels(runs))):
        path = artists.finite_path(run.path)
        zs = compiled.value(path) + lift
        inside = (path[:, 0] >= xr[0]) & (path[:, 0] <= xr[1])
        inside &= (path[:, 1] >= yr[0]) & (path[:, 1] <= yr[1])
        path[~inside] = np.nan  # 3-D axes do not clip: cut what leaves the box
        color = style.PALETTE[(len(at) + j) % len(style.PALETTE)]
        plot.tracks.append(artists.draw_track(ax, path[:, 0], path[:, 1], zs, color, label))
    ax.set_xlim(*xr)
    ax.set_ylim(*yr)
    ax.set_zlim(zmin, zmax)
    ax.set_xlabel(style.axis_label(xname, fn), labelpad=8)
    ax.set_ylabel(style.axis_label(yname, fn), labelpad=8)
    ax.view_init(elev=32, azim=-58)
    ax.set_box_aspect(None, zoom=1.08)  # the cube fills its box: less white around it
    # f is named on the colour bar, right beside the z ticks: a z label would collide with it
    # An inset riding on the 3-D axes, as for contours: in a wide frame the cube and bar centre
    # together instead of the cube being pushed against the bar at the right edge.
    bar = fig.colorbar(surf, cax=_bar_axes(fig, ax))
    bar.set_label(f"$f({style.axis_label(xname, fn)[1:-1]}, {style.axis_label(yname, fn)[1:-1]})$")
    if levels.log:
        ticks = levels.values[::2] if len(levels.values) > 8 else levels.values
        bar.set_ticks(list(ticks), labels=[decimal(t, 3, typographic=True) for t in ticks])
    artists.legend(fig, ax, with_tracks=bool(runs), grow=opts.size is None, beside=bar.ax)


def _bar_axes(fig: Any, ax: Any) -> Any:
    """The colour bar's axes, right of the z tick labels: they stick out of the 3-D axes by a width
    in inches (font-sized), which no fixed fraction of the axes clears at every frame size — so
    it is measured on a draw."""
    from matplotlib.transforms import ScaledTranslation

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out = ax.zaxis.get_tightbbox(renderer).x1 - ax.get_window_extent(renderer).x1
    gap = max(out, 0.0) / fig.dpi + 0.15
    shifted = ax.transAxes + ScaledTranslation(gap, 0, fig.dpi_scale_trans)
    return ax.inset_axes((1.0, 0.19, 0.035, 0.62), transform=shifted)
