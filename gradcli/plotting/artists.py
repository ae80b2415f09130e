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


def run_labels(runs: Sequence[Run], arrow: bool = False) -> list[str]:
    # Settings.name says 'gd+line-search' or 'adam (ascent)' where the bare method would not.
    names = [getattr(getattr(r, "settings", None), "name", r.method) for r in runs]
    labels = [
        f"{name}, lr = {decimal(float(r.lr), 4, typographic=True)}"
        if getattr(getattr(r, "settings", None), "uses_lr", True)
        else name  # newton, bfgs, lbfgs, cg: a line search picks each step, there is no lr
        for name, r in zip(names, runs)
    ]
    if len(set(labels)) < len(labels):  # same method and lr from several starts: name the start
        labels = [
            f"{lab}, from {vector(r.start, 4, typographic=True)}" for lab, r in zip(labels, runs)
        ]
    return [
        lab + (f"  (diverged{' ↗' if arrow else ''})" if r.status == "diverged" else "")
        for lab, r in zip(labels, runs)
    ]


MANY_RUNS = 12  # beyond this many runs, a legend entry and a colour each would say nothing


def run_groups(runs: Sequence[Run], arrow: bool = False) -> tuple[list[int], list[str]]:
    """Each run's colour (an index into the palette) and legend label ('' for none).

    Up to :data:`MANY_RUNS` runs, one colour and one entry each (:func:`run_labels`). Beyond, runs
    with the same method and lr that end at the same point (to 3 significant digits) share one
    colour and one entry, "gd, lr = 0.01 → (3, 2): 12 runs": the picture of which basin each
    start falls into (``--starts 40``), where forty entries would bury the figure."""
    if len(runs) <= MANY_RUNS:
        return list(range(len(runs))), run_labels(runs, arrow)
    names = [getattr(getattr(r, "settings", None), "name", r.method) for r in runs]
    keys: dict[tuple[str, str], int] = {}
    colours: list[int] = []
    for name, r in zip(names, runs):
        head = f"{name}, lr = {decimal(float(r.lr), 4, typographic=True)}"
        path = finite_path(r.path)
        ok: Any = np.flatnonzero(np.all(np.isfinite(path), axis=1)) if len(path) else []
        if r.status == "converged" and len(ok):
            end = vector([float(v) for v in path[ok[-1]]], 3, typographic=True)
            where = f"→ {end}"
        else:
            where = (
                f"({r.status.replace('_', ' ')}{' ↗' if arrow and r.status == 'diverged' else ''})"
            )
        colours.append(keys.setdefault((head, where), len(keys)))
    counts = [0] * len(keys)
    for c in colours:
        counts[c] += 1
    texts = [
        f"{head} {where}: {counts[k]} run{'s' if counts[k] != 1 else ''}"
        for (head, where), k in keys.items()
    ]
    seen: set[int] = set()
    labels = []
    for c in colours:
        labels.append("" if c in seen else texts[c])
        seen.add(c)
    return colours, labels


def leave_frame(
    path: Array, xr: tuple[float, float], yr: tuple[float, float]
) -> tuple[Array, Array | None]:
    """``path`` up to where it first leaves the frame, ending on the frame's edge, and the direction
    (unit, in data units) it was heading there — None when it stays inside.

    A run that diverges to y = −15 in a ±3 window would otherwise be drawn as near-vertical strokes
    across the whole frame, a solid band that hides every other run's markers."""
    pts = np.asarray(path, dtype=float)
    if not len(pts):
        return pts, None
    lo = np.array([xr[0], yr[0]])
    hi = np.array([xr[1], yr[1]])
    inside = np.all(np.isfinite(pts) & (pts >= lo) & (pts <= hi), axis=1)
    if inside.all() or not inside[0]:
        return pts, None
    k = int(np.argmin(inside))  # the first point outside
    a, b = pts[k - 1], pts[k]
    step = b - a
    if not np.all(np.isfinite(step)):
        return pts[:k], None
    # The fraction of the step a → b spent inside the box: the nearest face it crosses.
    t = 1.0
    for d in range(2):
        if step[d] > 0 and b[d] > hi[d]:
            t = min(t, (hi[d] - a[d]) / step[d])
        elif step[d] < 0 and b[d] < lo[d]:
            t = min(t, (lo[d] - a[d]) / step[d])
    edge = a + max(t, 0.0) * step
    norm = float(np.hypot(*step))
    return np.vstack([pts[:k], edge]), (step / norm if norm > 0 else None)


def edge_arrow(ax: Axes, tip: Array, heading: Array, color: str, span: float) -> None:
    """An arrowhead on the frame's edge where a run leaves the view, pointing the way it went."""
    tail = tip - heading * 0.06 * span
    arrow = ax.annotate(
        "",
        xy=(float(tip[0]), float(tip[1])),
        xytext=(float(tail[0]), float(tail[1])),
        zorder=9.5,
        annotation_clip=False,
        arrowprops={
            "arrowstyle": "-|>",
            "color": color,
            "linewidth": 2.4,
            "mutation_scale": 28,
            "shrinkA": 0,
            "shrinkB": 0,
        },
    )
    arrow.arrow_patch.set_path_effects(outlined(color, 2.4))  # type: ignore[union-attr]


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
    left: bool = False,
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
    if left:  # the run went on outside the view: no end star on the edge, the arrow says where
        end.set_visible(False)
    return Track(xs, ys, zs, line, head, end)


def _field_handle() -> Any:
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        linestyle="none",
        marker=r"$\rightarrow$",
        markersize=20,
        color="white",
        markeredgecolor="#111111",
        markeredgewidth=0.8,
    )


def _is_quiver(artist: Any) -> bool:
    from matplotlib.quiver import Quiver

    return isinstance(artist, Quiver)


def _stream_handle() -> Any:
    """A line with an arrowhead in its middle: grey, as the white streamlines would vanish on the
    legend's white."""
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        color="#6a6a6a",
        linewidth=1.6,
        marker=">",
        markersize=8,
        markerfacecolor="white",
        markeredgecolor="#111111",
        markeredgewidth=0.9,
    )


def _legend_beside(
    fig: Figure, ax: Any, anchor: Any, handles: list[Any], labels: list[str]
) -> None:
    """The legend just right of ``anchor`` (the colour bar, or the plot) and its tick labels, as part
    of the plot's own group: the layout then centres plot, bar and legend together in the frame,
    where a figure legend at the right edge would leave a gap in the middle."""
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.transforms import ScaledTranslation

    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    sticking_out = anchor.get_tightbbox(renderer).x1 - anchor.get_window_extent(renderer).x1
    gap = max(sticking_out, 0.0) / fig.dpi + 0.2  # inches: past the tick labels, then a little air
    ax.legend(
        handles,
        labels,
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        bbox_transform=anchor.transAxes + ScaledTranslation(gap, 0, fig.dpi_scale_trans),
        borderaxespad=0,
        ncols=1,
        handler_map={tuple: HandlerTuple(ndivide=None, pad=0.6)},
    )


WIDE = 1.6  # width/height from which a frame is "wide" (16:10 and 16:9): the legend goes beside the plot


def legend(
    fig: Figure,
    ax: Any,
    *,
    with_tracks: bool,
    grow: bool,
    descent_arrows: bool = False,
    beside: Any = None,
    stream: bool = False,
) -> None:
    """The legend below the plot, in as many columns as fit, or beside it in a wide frame (where
    height is short and width to spare); ``grow`` lets a tall legend make the figure taller rather
    than squeeze the plot."""
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    if with_tracks:  # what the markers mean, in a neutral colour, as one entry
        grey = "#8a8a8a"
        start = Line2D([], [], marker="o", markersize=9, color=grey, linestyle="none")
        end = Line2D([], [], marker="*", markersize=14, color=grey, linestyle="none")
        handles.append((start, end))
        labels.append("start, end")
    if descent_arrows and any(_is_quiver(c) for c in ax.collections):  # arrows drawn
        handles.append(_field_handle())
        labels.append("arrows: −∇f, downhill")
    if stream:  # say which way the flow runs: the lines alone do not
        handles.append(_stream_handle())
        labels.append("streamlines: −∇f, downhill" if descent_arrows else "streamlines: ∇f, uphill")
    if not handles:
        return
    if fig.get_figwidth() >= WIDE * fig.get_figheight():
        _legend_beside(fig, ax, beside or ax, handles, labels)
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
