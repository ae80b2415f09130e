"""The numbers behind a figure: framing, sampling, contour levels and masking (numpy only).

Nothing here draws. Keeping the decisions (which range, which levels, which cells are garbage) apart
from matplotlib makes them cheap to test and keeps the drawing code a plain list of artists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gradcli.errors import MathError

Array = np.ndarray[Any, Any]
Extend = Literal["neither", "min", "max", "both"]

DEFAULT_WINDOW = (-3.0, 3.0)
LINEAR_BINS = 12  # filled bands for the default linear levels
LOG_BANDS_PER_DECADE = (1.0, 3.0)  # 1, 3, 10, 30, ...: readable labels, two bands a decade
LOG_DECADES = 6  # how far below the top the log levels reach by default


def frame(
    names: Sequence[str],
    interest: Iterable[Sequence[float]],
    explicit: Mapping[str, tuple[float, float]] | None = None,
    stationary: Iterable[Sequence[float]] = (),
) -> dict[str, tuple[float, float]]:
    """The plotted range of each variable.

    An explicit range wins. Otherwise the range covers every finite point of interest (``--at`` and
    ``--from`` points, where runs ended) and the stationary points in the lesson window −3..3 — or, when
    none is in it, the one nearest the origin — with a margin. Near the origin the window itself is
    kept (lessons live there); with nothing to show it is −3..3; far away the range is at least as wide
    as the window.
    """
    explicit = explicit or {}
    n = len(names)

    def usable(points: Iterable[Sequence[float]]) -> list[Array]:
        arrays = [np.asarray(p, dtype=float) for p in points]
        return [p for p in arrays if p.shape == (n,) and bool(np.all(np.isfinite(p)))]

    pts = usable(interest)
    crit = usable(stationary)
    inside = [p for p in crit if bool(np.all(np.abs(p) <= DEFAULT_WINDOW[1]))]
    if not inside:  # none in the window: frame the nearest, as if it were a point of interest
        pts += sorted(crit, key=lambda p: float(np.hypot.reduce(p)))[:1]
    if not pts and not inside:
        return {name: explicit.get(name, DEFAULT_WINDOW) for name in names}
    width = DEFAULT_WINDOW[1] - DEFAULT_WINDOW[0]
    fitted: list[tuple[float, float]] = []
    for i in range(n):
        lo, hi = math.inf, -math.inf
        if pts:
            coords = np.array([p[i] for p in pts])
            lo, hi = float(coords.min()), float(coords.max())
            pad = max(0.25 * (hi - lo), 1.0, 0.1 * max(abs(lo), abs(hi)))
            lo, hi = lo - pad, hi + pad
        for p in inside:  # already in the window, so no margin: a valley of them must not widen it
            lo, hi = min(lo, float(p[i])), max(hi, float(p[i]))
        fitted.append((lo, hi))
    reach = width / 2  # points within half a window of it still show the origin
    near = all(
        lo <= DEFAULT_WINDOW[1] + reach and hi >= DEFAULT_WINDOW[0] - reach for lo, hi in fitted
    )
    out: dict[str, tuple[float, float]] = {}
    for name, (lo, hi) in zip(names, fitted):
        if name in explicit:
            out[name] = explicit[name]
        elif near:  # keep the familiar window around the points
            out[name] = (min(lo, DEFAULT_WINDOW[0]), max(hi, DEFAULT_WINDOW[1]))
        else:
            grow = max(0.0, width - (hi - lo)) / 2
            out[name] = (lo - grow, hi + grow)
    return out


SETTLED = (
    1e-12  # a Newton step this small (relative to 1 + ‖x‖) is round-off: the start has settled
)


def stationary_points(
    gradient: Callable[[Array], Array], n: int, per_axis: int = 5, iterations: int = 40
) -> Array:
    """Stationary points (∇f = 0) found by Newton's method from a small grid of starts over −3..3.

    Only for framing the view: cheap (a few hundred vectorised gradient evaluations, the Jacobian by
    central differences, no symbolic work) rather than complete. A start counts only when Newton's
    steps have shrunk to nothing and ∇f is zero there — a flat tail (exp(x) as x → −∞) keeps taking
    steps, a kink (abs) has a non-zero gradient, and both are dropped.
    """
    axes = [np.linspace(*DEFAULT_WINDOW, per_axis)] * n
    x = np.stack([a.ravel() for a in np.meshgrid(*axes)], axis=-1)
    eye = np.eye(n)
    step = np.full(x.shape, np.inf)
    with np.errstate(all="ignore"):
        g0 = np.linalg.norm(gradient(x), axis=1)
        scale = float(np.median(g0[np.isfinite(g0)])) if np.isfinite(g0).any() else 1.0
        for _ in range(iterations):
            g = gradient(x)
            h = 1e-5 * (1.0 + np.abs(x))
            J = np.stack(
                [
                    (gradient(x + h[:, [i]] * eye[i]) - gradient(x - h[:, [i]] * eye[i]))
                    / (2 * h[:, [i]])
                    for i in range(n)
                ],
                axis=-1,
            )
            ok = np.isfinite(J).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
            step = np.full(x.shape, np.inf)
            if ok.any():
                # rcond ~0: a tiny curvature (exp's tail) is real and must give a long step, not none
                inverse = np.linalg.pinv(J[ok], rcond=1e-300)
                step[ok] = -np.einsum("sij,sj->si", inverse, g[ok])
            size = np.linalg.norm(step, axis=1, keepdims=True)
            x = np.where(np.isfinite(step), x + step * np.minimum(1.0, 10.0 / size), np.nan)
            # Every start settled to round-off (or lost, NaN for good): the remaining iterations
            # would not move any of them, so stop (x² + y²: after 2 of the 40).
            moved = size[:, 0]
            if np.all(~np.isfinite(moved) | (moved <= SETTLED * (1 + np.linalg.norm(x, axis=1)))):
                break
        done = np.linalg.norm(step, axis=1) <= 1e-7 * (1.0 + np.linalg.norm(x, axis=1))
        done &= np.linalg.norm(gradient(x), axis=1) <= 1e-8 * (1.0 + scale)  # not a kink or a flat
        done &= np.isfinite(x).all(axis=1) & (np.abs(x) < 1e4).all(axis=1)
    found: list[Array] = []
    for p in x[done]:
        if not any(np.allclose(p, q, atol=1e-6) for q in found):
            found.append(p)
    return np.array(found).reshape(-1, n)


def grid_shape(xr: tuple[float, float], yr: tuple[float, float], n: int) -> tuple[int, int]:
    """``(nx, ny)`` with ``n`` samples along the longer side and square cells (equal aspect)."""
    sx, sy = xr[1] - xr[0], yr[1] - yr[0]
    if sx >= sy:
        return n, max(2, min(n, round(n * sy / sx)))
    return max(2, min(n, round(n * sx / sy))), n


@dataclass(frozen=True)
class Sample2D:
    """f on a regular grid: ``X, Y`` of shape ``(ny, nx)`` and ``Z`` masked where f is not drawn."""

    X: Array
    Y: Array
    Z: np.ma.MaskedArray[Any, Any]


def sample_2d(compiled: Any, xr: tuple[float, float], yr: tuple[float, float], n: int) -> Sample2D:
    """Sample f on an ``n``-point grid and mask what must not be drawn.

    Undefined or non-finite values are masked, and so are both ends of every grid edge across which f
    jumps (poles like 1/x, branch cuts, sign): there the contour algorithm would otherwise draw every
    level along the jump. A jump is a change between neighbours that the gradient does not explain.
    """
    nx, ny = grid_shape(xr, yr, n)
    x = np.linspace(*xr, nx)
    y = np.linspace(*yr, ny)
    X, Y = np.meshgrid(x, y)
    pts = np.stack([X, Y], axis=-1)
    Z = compiled.value(pts)
    bad = ~np.isfinite(Z)
    if bad.all():
        raise MathError(
            "f is undefined everywhere in the plotted range",
            hint="choose another {range}",
            parameters=("range",),
        )
    G = compiled.gradient(pts)
    bad |= jumps(Z, G[..., 0], x[1] - x[0], axis=1) | jumps(Z, G[..., 1], y[1] - y[0], axis=0)
    return Sample2D(X, Y, np.ma.masked_array(Z, mask=bad))


def jumps(Z: Array, dZ: Array, h: float, axis: int) -> Array:
    """Grid nodes at either end of an edge (along ``axis``) across which ``Z`` is discontinuous.

    The trapezoid rule predicts the change along an edge from the derivative ``dZ`` at both ends; for a
    smooth f the error is O(h³), so an edge whose change disagrees with the prediction by more than half
    its size — and is not tiny next to the spread of f — crosses a pole or a jump.
    """
    with np.errstate(all="ignore"):
        finite = np.isfinite(Z)
        spread = np.ptp(np.percentile(Z[finite], [1, 99])) if finite.any() else 0.0
        d = np.diff(Z, axis=axis)
        first = np.take(dZ, range(dZ.shape[axis] - 1), axis=axis)
        second = np.take(dZ, range(1, dZ.shape[axis]), axis=axis)
        pred = 0.5 * (first + second) * h
        edge = (np.abs(d - pred) > 0.5 * (np.abs(d) + np.abs(pred))) & (np.abs(d) > 1e-3 * spread)
        edge &= np.isfinite(d)
    out = np.zeros(Z.shape, dtype=bool)
    lead = [slice(None)] * Z.ndim
    trail = [slice(None)] * Z.ndim
    lead[axis] = slice(0, -1)
    trail[axis] = slice(1, None)
    out[tuple(lead)] |= edge
    out[tuple(trail)] |= edge
    return out


@dataclass(frozen=True)
class Levels:
    """Contour levels: the band boundaries, whether they are log-spaced, and which ends are open."""

    values: Array
    log: bool
    extend: Extend  # which ends are open, as matplotlib's contourf takes it


def robust_limits(values: Array) -> tuple[float, float, bool, bool]:
    """``(lo, hi, clipped_lo, clipped_hi)``: the range of the finite values, with far outliers
    (values near a pole) cut off at the 1st/99th percentile so they do not flatten everything else."""
    v = values[np.isfinite(values)]
    lo, hi = float(v.min()), float(v.max())
    p1, p99 = (float(p) for p in np.percentile(v, [1, 99]))
    core = max(p99 - p1, 1e-300)
    clip_hi = hi - p99 > 10 * core
    clip_lo = p1 - lo > 10 * core
    return (p1 if clip_lo else lo), (p99 if clip_hi else hi), clip_lo, clip_hi


def trim_tails(values: Array, lo: float, hi: float) -> tuple[float, float, bool, bool]:
    """Narrow ``lo..hi`` to the 5th/95th percentile on a side whose last 5% of values spans more than
    the middle 90% — the slopes of a pole (1/x), which would otherwise use up every linear band."""
    v = values[np.isfinite(values) & (values >= lo) & (values <= hi)]
    p5, p95 = (float(p) for p in np.percentile(v, [5, 95]))
    core = p95 - p5
    cut_lo, cut_hi = core > 0 and p5 - lo > core, core > 0 and hi - p95 > core
    return (p5 if cut_lo else lo), (p95 if cut_hi else hi), bool(cut_lo), bool(cut_hi)


def choose_levels(
    Z: np.ma.MaskedArray[Any, Any],
    count: int | None = None,
    log: bool | None = None,
    explicit: Sequence[float] | None = None,
) -> Levels:
    """Contour levels for the sampled values ``Z``.

    Linear levels are round numbers (matplotlib's MaxNLocator). Log-spaced levels (1, 3, 10, 30 … above
    the minimum) are chosen automatically when linear bands would crowd most of the picture into the
    lowest band — Rosenbrock's banana valley, exp(x·y) — or when ``log`` is True.
    """
    from matplotlib.ticker import MaxNLocator

    values = np.ma.filled(Z.astype(float), np.nan)
    lo, hi, clip_lo, clip_hi = robust_limits(values)
    if explicit:
        ev = np.array(sorted(set(explicit)), dtype=float)
        if len(ev) == 1:  # contourf needs two boundaries: the band around the single level
            ev = np.array([ev[0], ev[0]]) + np.array([-1.0, 1.0]) * max(abs(ev[0]) * 0.01, 1e-9)
        return Levels(ev, False, _extend(lo < ev[0], hi > ev[-1]))
    if hi - lo <= 1e-12 * max(1.0, abs(lo)):  # a constant function: one band around it
        pad = max(abs(lo) * 0.1, 1.0)
        return Levels(np.array([lo - pad, lo + pad]), False, "neither")
    bins = count or LINEAR_BINS
    if log is None:
        finite = values[np.isfinite(values)]
        inside = finite[(finite >= lo) & (finite <= hi)]
        lowest = lo + (hi - lo) / (LINEAR_BINS + 2)
        log = bool(np.mean(inside <= lowest) > 0.4)
    if log:
        # below the lowest log level lies the valley floor, above the top the walls: both ends open
        return Levels(_log_levels(lo, hi, count), True, "both")
    lo, hi, cut_lo, cut_hi = trim_tails(values, lo, hi)
    clip_lo, clip_hi = clip_lo or cut_lo, clip_hi or cut_hi
    ticks = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    edges = np.asarray(ticks, dtype=float)
    return Levels(edges, False, _extend(clip_lo, clip_hi))


def _extend(low: bool, high: bool) -> Extend:
    if low and high:
        return "both"
    return "min" if low else ("max" if high else "neither")


def _log_levels(lo: float, hi: float, count: int | None) -> Array:
    """Levels ``base + 1·10^k, base + 3·10^k`` reaching ``LOG_DECADES`` decades below ``hi − lo`` (or
    as many bands as ``count`` asks). ``base`` is ``lo`` rounded down to the smallest step, so the
    labels read as round numbers (Rosenbrock: 0.01, 0.03 … 1e4 rather than 0.0175 …)."""
    top = hi - lo
    bands = count or 2 * LOG_DECADES
    decades = max(1, math.ceil(bands / len(LOG_BANDS_PER_DECADE)))
    k_hi = math.floor(math.log10(top))
    steps = [
        m * 10.0**k
        for k in range(k_hi - decades + 1, k_hi + 1)
        for m in LOG_BANDS_PER_DECADE
        if m * 10.0**k <= top
    ][-bands:]
    base = math.floor(lo / steps[0]) * steps[0]
    return base + np.array(steps, dtype=float)


def curve_limits(values: Array, extra: Iterable[float] = ()) -> tuple[float, float]:
    """y-limits for a 1-D curve: its robust range plus extra values (tangent points), 6% margin."""
    lo, hi, _, _ = robust_limits(values)
    lo, hi, _, _ = trim_tails(values, lo, hi)
    pts = [lo, hi, *(v for v in extra if math.isfinite(v))]
    lo, hi = min(pts), max(pts)
    if hi - lo <= 1e-12 * max(1.0, abs(lo)):
        return lo - 1.0, hi + 1.0
    margin = 0.06 * (hi - lo)
    return lo - margin, hi + margin


def sample_1d(compiled: Any, xr: tuple[float, float], n: int) -> tuple[Array, Array]:
    """f along the range; values that are undefined or across a jump become NaN (a break in the line)."""
    x = np.linspace(*xr, n)
    pts = x[:, None]
    y = compiled.value(pts)
    bad = ~np.isfinite(y)
    if bad.all():
        raise MathError(
            "f is undefined everywhere in the plotted range",
            hint="choose another {range}",
            parameters=("range",),
        )
    bad |= jumps(y, compiled.gradient(pts)[:, 0], x[1] - x[0], axis=0)
    return x, np.where(bad, np.nan, y)


def arrow_grid(
    xr: tuple[float, float], yr: tuple[float, float], count: int
) -> tuple[Array, Array, float]:
    """Arrow anchors at cell centres (``count`` along the longer side) and the cell size."""
    nx, ny = grid_shape(xr, yr, count)
    cell = max((xr[1] - xr[0]) / nx, (yr[1] - yr[0]) / ny)
    x = xr[0] + (np.arange(nx) + 0.5) * (xr[1] - xr[0]) / nx
    y = yr[0] + (np.arange(ny) + 0.5) * (yr[1] - yr[0]) / ny
    X, Y = np.meshgrid(x, y)
    return X.ravel(), Y.ravel(), cell


def arrow_vectors(G: Array, cell: float, descent: bool) -> tuple[Array, Array, Array]:
    """Drawn arrow vectors for gradients ``G`` (m, 2): the direction of ∇f (or −∇f), as long as 80% of
    a cell where |∇f| is large and down to half that where it is small. When |∇f| varies over orders of
    magnitude (Rosenbrock, a pole) lengths would only show stubs, so all arrows get the full length
    and show direction alone. Returns ``(keep, U, V)``: arrows where ∇f is finite and non-zero."""
    with np.errstate(all="ignore"):
        norm = np.hypot(G[:, 0], G[:, 1])
        keep = np.isfinite(norm) & (norm > 0)
        if not keep.any():
            return keep, np.empty(0), np.empty(0)
        p10, p90 = np.percentile(norm[keep], [10, 90])
        uniform = p90 > 20 * p10
        scale = 1.0 if uniform else np.clip(norm[keep] / p90, 0.5, 1.0)
        length = 0.8 * cell * scale
        sign = -1.0 if descent else 1.0
        U = sign * G[keep, 0] / norm[keep] * length
        V = sign * G[keep, 1] / norm[keep] * length
    return keep, U, V


def away_from(X: Array, Y: Array, spots: Sequence[tuple[float, float]], radius: float) -> Array:
    """Mask of the anchors ``(X, Y)`` farther than ``radius`` from every spot (contour labels)."""
    keep = np.ones(X.shape, dtype=bool)
    for sx, sy in spots:
        keep &= np.hypot(X - sx, Y - sy) > radius
    return keep
