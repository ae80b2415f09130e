"""The set a projected descent stays in — a circle (``--subject-to "x^2+y^2=1"``) or a box
(``--bounds``) — drawn under its runs, so that a path that bends along a circle or stops at a wall
shows what it met, named in the legend.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.patheffects import withStroke

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from gradcli.optimize.projection import Projection

LINE = "#1a1a1a"
EDGE = "#f2f2f2"
DASHES = (5.0, 2.5)
Range = tuple[float, float]
Segment = tuple[list[float], list[float]]  # xs, ys


def frame(projection: Projection, n: int) -> list[tuple[float, ...]]:
    """Points the view should include so that the set shows: a circle's or sphere's bounding
    corners, a box's finite corners (none when an axis is open on both sides)."""
    if projection.kind == "plane":  # the point of the line or plane nearest the origin
        a, c = projection.normal, projection.offset
        scale = c / sum(v * v for v in a)
        point = [0.0] * n
        for i, v in zip(projection.indices, a):
            if i < n:
                point[i] = scale * v
        return [tuple(point)]
    if projection.kind == "sphere":
        corners = []
        for sign in (-1.0, 1.0):
            point = [0.0] * n
            for i, c in zip(projection.indices, projection.centre):
                if i < n:
                    point[i] = c + sign * projection.radius
            corners.append(tuple(point))
        return corners
    sides = [
        [v for v in (lo, hi) if math.isfinite(v)]
        for lo, hi in zip(projection.lower[:n], projection.upper[:n])
    ]
    if not all(sides):
        return []
    return [tuple(p) for p in itertools.product(*sides)]


def draw(ax: Axes, projection: Projection, label: str, xr: Range, yr: Range | None) -> None:
    """The set's boundary over a 2-D contour plot (``yr`` given), or its ends as walls across a
    1-D curve's axes: dark and dashed on a light edge, apart from the runs' colours (one of which
    is white) and from the Lagrange picture's white constraint."""
    for xs, ys in outline(projection, xr, yr):
        if yr is None:  # a wall across the whole height of a curve's axes
            ax.axvline(xs[0], color=EDGE, linewidth=4.5, zorder=4)
            ax.axvline(xs[0], color=LINE, linewidth=2.2, dashes=DASHES, zorder=4)
            continue
        ax.plot(xs, ys, color=EDGE, linewidth=4.5, zorder=4, solid_capstyle="butt")
        ax.plot(xs, ys, color=LINE, linewidth=2.2, dashes=DASHES, zorder=4)
    ax.plot(
        [], [], color=LINE, linewidth=2.2, dashes=DASHES, label=label,
        path_effects=[withStroke(linewidth=4.5, foreground=EDGE)],
    )  # fmt: skip


def outline(projection: Projection, xr: Range, yr: Range | None) -> list[Segment]:
    """The set's boundary in the view as polylines: a circle; a sphere of one variable's two
    points, or a box's finite sides, as walls (vertical at x = v, horizontal at y = v)."""
    if projection.kind == "plane":
        if len(projection.indices) == 1:  # a·x_i = c: a wall at x_i = c/a
            (axis,), (a,) = projection.indices, projection.normal
            return _walls(axis, (projection.offset / a, math.nan), (-math.inf, math.inf), xr, yr)
        if yr is None or projection.indices != (0, 1):
            return []
        return _line(projection.normal, projection.offset, xr, yr)
    if projection.kind == "sphere":
        r = projection.radius
        if yr is not None and projection.indices == (0, 1):
            t = np.linspace(0.0, 2 * math.pi, 721)
            cx, cy = projection.centre
            return [((cx + r * np.cos(t)).tolist(), (cy + r * np.sin(t)).tolist())]
        axis, c = projection.indices[0], projection.centre[0]
        return _walls(axis, (c - r, c + r), (-math.inf, math.inf), xr, yr)
    segments = []
    for axis in range(1 if yr is None else 2):
        across = (-math.inf, math.inf) if yr is None else (
            projection.lower[1 - axis], projection.upper[1 - axis]
        )  # fmt: skip
        sides = (projection.lower[axis], projection.upper[axis])
        segments += _walls(axis, sides, across, xr, yr)
    return segments


def _walls(
    axis: int, at: tuple[float, float], across: Range, xr: Range, yr: Range | None
) -> list[Segment]:
    """A segment at each finite value of ``at`` on ``axis`` inside the view, spanning ``across``
    (the other variable's interval) clipped to the view."""
    other = (yr or (0.0, 1.0)) if axis == 0 else xr
    here = xr if axis == 0 else (yr or (0.0, 1.0))
    lo, hi = max(across[0], other[0]), min(across[1], other[1])
    segments: list[Segment] = []
    for v in at:
        if not (math.isfinite(v) and here[0] <= v <= here[1]) or lo > hi:
            continue
        segments.append(([v, v], [lo, hi]) if axis == 0 else ([lo, hi], [v, v]))
    return segments


def _line(normal: tuple[float, ...], c: float, xr: Range, yr: Range) -> list[Segment]:
    """a·x + b·y = c inside the view: the segment between its crossings of the view's edges."""
    a, b = normal
    points = []
    for x in xr:  # the left and right edges
        if b != 0 and yr[0] <= (y := (c - a * x) / b) <= yr[1]:
            points.append((x, y))
    for y in yr:  # the bottom and top edges
        if a != 0 and xr[0] <= (x := (c - b * y) / a) <= xr[1]:
            points.append((x, y))
    if len(points) < 2:
        return []
    (x0, y0), (x1, y1) = min(points), max(points)
    return [([x0, x1], [y0, y1])]
