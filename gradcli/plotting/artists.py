"""Overlays every kind of figure shares: outlined lines, descent tracks and the legend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.plotting import style
from gradcli.plotting.model import Array, Run, Track
from gradcli.views.text import decimal, vector

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def outlined(color: str, width: float) -> list[Any]:
    from matplotlib import patheffects

    return [
        patheffects.Stroke(linewidth=width + 2.2, foreground=style.outline(color)),
        patheffects.Normal(),
    ]


def run_labels(runs: Sequence[Run]) -> list[str]:
    # Settings.name says 'gd+line-search' or 'adam (ascent)' where the bare method would not.
    names = [getattr(getattr(r, "settings", None), "name", r.method) for r in runs]
    labels = [
        f"{name}, lr = {decimal(float(r.lr), 4, typographic=True)}" for name, r in zip(names, runs)
    ]
    if len(set(labels)) < len(labels):  # same method and lr from several starts: name the start
        labels = [
            f"{lab}, from {vector(r.start, 4, typographic=True)}" for lab, r in zip(labels, runs)
        ]
    return [
        lab + ("  (diverged)" if r.status == "diverged" else "") for lab, r in zip(labels, runs)
    ]


def finite_path(path: Array) -> Array:
    pts = np.asarray(path, dtype=float)
    return np.where(np.isfinite(pts), pts, np.nan)


def draw_track(
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
        path_effects=None if on_curve else outlined(color, width),
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


def legend(fig: Figure, ax: Any, *, with_tracks: bool, grow: bool) -> None:
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
