"""The numeric side of ``critical``: a bounded multi-start Newton search for roots of ∇f.

Bounded on purpose: the number of starts is capped whatever the number of variables (a grid in one
or two variables, a deterministic Halton design above), the work per iteration is capped by
starts × n², and the loop stops at a deadline. A start counts only where Newton has converged — its
last step is tiny relative to the point (a test that does not depend on the scale of f), which is
what separates a true root of ∇f from a flat tail where ‖∇f‖ is tiny but the Newton step is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcli.calculus.results import NumericSearch
from gradcli.limits import work_clock
from gradcli.numeric import Compiled

Array = np.ndarray[Any, Any]

MAX_STARTS = 2048  # starts in all, whatever the dimension
MAX_CELLS = 600_000  # starts × n² Hessian entries per iteration (5 MB; full 2048 up to n = 17)
MAX_ITERATIONS = 100  # enough for linear convergence to a degenerate root: (2/3)^100 ≈ 2e-18
EPS = 2.0**-52
STEP_TOLERANCE = 1e-9  # a converged Newton step, relative to 1 + ‖x‖
DUPLICATE_TOLERANCE = 1e-6  # two results closer than this (relative to 1 + ‖x‖) are one point


@dataclass(frozen=True)
class SearchOutcome:
    points: Array  # (m, n) distinct stationary points found in the range
    summary: NumericSearch


def starts(bounds: Sequence[tuple[float, float]], budget: int = MAX_STARTS) -> tuple[Array, str]:
    """Where Newton starts: an even grid in one or two variables, a Halton design above.

    A grid's size grows exponentially with the dimension; Halton's low-discrepancy points fill
    a box evenly at any size, and are deterministic, so the same command gives the same answer.
    """
    n = len(bounds)
    budget = max(16, min(budget, MAX_CELLS // (n * n)))
    lo = np.array([b[0] for b in bounds], dtype=float)
    hi = np.array([b[1] for b in bounds], dtype=float)
    if n <= 2:
        k = max(3, int(budget ** (1 / n)))
        axes = [np.linspace(a, b, k) for a, b in zip(lo, hi)]
        grid = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=-1)
        return grid, "grid"
    unit = _halton(budget - 1, n)
    # The centre first: many textbook functions have their stationary point there.
    unit = np.vstack([np.full((1, n), 0.5), unit])
    return lo + unit * (hi - lo), "halton"


def _halton(count: int, n: int) -> Array:
    """The first ``count`` points (skipping 0) of the n-dimensional Halton sequence in [0, 1)^n."""
    primes = _primes(n)
    index = np.arange(1, count + 1)
    out = np.empty((count, n))
    for j, base in enumerate(primes):
        value = np.zeros(count)
        fraction = 1.0 / base
        i = index.copy()
        while np.any(i > 0):
            value += fraction * (i % base)
            i //= base
            fraction /= base
        out[:, j] = value
    return out


def _primes(n: int) -> list[int]:
    found: list[int] = []
    candidate = 2
    while len(found) < n:
        if all(candidate % p for p in found if p * p <= candidate):
            found.append(candidate)
        candidate += 1
    return found


def newton_steps(compiled: Compiled, x: Array) -> Array:
    """The Newton step H⁻¹∇f at each point (NaN where it is not defined).

    A Levenberg shift keeps the step defined at exactly singular Hessians. It is relative to the
    Hessian's own size and far below round-off: an absolute floor would make the step tiny on a
    flat tail (∇f ≈ 1e-21, H ≈ 1e-20) and accept it as a root, and a larger relative one would
    stall Newton short of a degenerate root (x⁴ at 0, where H → 0 along one axis only).
    """
    n = x.shape[-1]
    g = compiled.gradient(x)
    h = compiled.hessian(x)
    with np.errstate(all="ignore"):
        bad = ~(np.all(np.isfinite(g), axis=-1) & np.all(np.isfinite(h), axis=(-1, -2)))
        h = np.where(bad[:, None, None], np.eye(n), h)
        g = np.where(bad[:, None], 0.0, g)
        shift = 1e-30 * np.abs(h).max(axis=(-1, -2)) + 1e-300
        a = h + shift[:, None, None] * np.eye(n)[None]
        try:
            step = np.linalg.solve(a, g[..., None])[..., 0]
        except np.linalg.LinAlgError:  # exactly singular somewhere (x + y = 0 in McCormick)
            step = np.stack([_singular_step(m, v) for m, v in zip(a, g)])
    step[bad] = np.nan
    return step


def _singular_step(a: Array, g: Array) -> Array:
    """The step for one matrix, with a shift that counts in float64 where it is singular.

    Not a least-squares step: where ∇f is outside the Hessian's range that step is zero, and
    a point where ∇f = (1.5, 1.5) would pass for converged.
    """
    try:
        return np.linalg.solve(a, g)
    except np.linalg.LinAlgError:
        shift = 4 * EPS * max(float(np.abs(a).max()), 1e-300)
        try:
            return np.linalg.solve(a + shift * np.eye(len(g)), g)
        except np.linalg.LinAlgError:
            return np.full(len(g), np.nan)


def is_root(compiled: Compiled, x: Array) -> Array:
    """Whether ∇f vanishes at each point, judged against the Hessian's scale there.

    ‖∇f‖ ≤ 1e-8·‖H‖·(1 + ‖x‖): what round-off leaves at a root, whatever the scale of f; a flat
    tail has ∇f ≈ H·O(1) and fails, however small both are.
    """
    g = compiled.gradient(x)
    h = compiled.hessian(x)
    with np.errstate(all="ignore"):
        size = np.abs(h).max(axis=(-1, -2)) * (1 + np.linalg.norm(x, axis=-1))
        ok = np.linalg.norm(g, axis=-1) <= 1e-8 * size
        return ok | (np.all(g == 0, axis=-1))


@dataclass(frozen=True)
class Sweep:
    """Where damped Newton left each start, and how it went."""

    points: Array  # every start's last point
    converged: Array  # bool: its step became negligible, and it sits on a root
    inside: Array  # bool: its first ``n`` coordinates lie in the range
    iterations: int
    timed_out: bool

    def summary(self, design: str) -> NumericSearch:
        accepted = self.converged & self.inside
        return NumericSearch(
            starts=len(self.points),
            design=design,
            accepted=int(accepted.sum()),
            outside=int((self.converged & ~self.inside).sum()),
            rejected=int((~self.converged).sum()),
            iterations=self.iterations,
            timed_out=self.timed_out,
        )


def newton_sweep(
    compiled: Compiled,
    z: Array,
    bounds: Sequence[tuple[float, float]],
    deadline: float,
    n: int | None = None,
) -> Sweep:
    """Damped Newton on ∇ = 0 from every row of ``z`` at once, each start frozen once it settles.
    The first ``n`` coordinates (all by default) are the ones the range is about: a step moves
    them at most a tenth of the range, and a start ten spans outside it is given up; the rest (the
    multipliers λ of a Lagrange system) move freely. ``z`` is updated in place."""
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    span = hi - lo
    centre = (lo + hi) / 2
    n = z.shape[1] if n is None else n
    # A step longer than a tenth of the range is cut to that length: a pure Newton step can
    # throw a start far away where the Hessian is nearly singular. Near a root the steps are
    # short and Newton's quadratic convergence is untouched.
    reach = 0.1 * float(np.linalg.norm(span))
    count = len(z)
    active = np.ones(count, dtype=bool)
    converged = np.zeros(count, dtype=bool)
    iterations = 0
    timed_out = False
    while active.any() and iterations < MAX_ITERATIONS:
        if work_clock() > deadline:
            timed_out = True
            break
        iterations += 1
        idx = np.flatnonzero(active)
        za = z[idx]
        step = newton_steps(compiled, za)
        with np.errstate(all="ignore"):
            finite = np.all(np.isfinite(step), axis=1)
            size = np.linalg.norm(step, axis=1)
            done = finite & (size <= STEP_TOLERANCE * (1 + np.linalg.norm(za, axis=1)))
            move = size if n == z.shape[1] else np.linalg.norm(step[:, :n], axis=1)
            step = step * np.minimum(1.0, reach / np.where(move > 0, move, 1.0))[:, None]
            moved = np.where(finite[:, None], za - step, za)
            # Far outside the range (ten spans away) a start will not come back usefully.
            lost = ~finite | np.any(np.abs(moved[:, :n] - centre) > 10 * span + 1.0, axis=1)
        z[idx] = moved
        converged[idx[done]] = True
        active[idx[done | lost]] = False
    if converged.any():  # belt and braces: a converged start must sit on a root
        converged[converged] = is_root(compiled, z[converged])
    inside = np.all((z[:, :n] >= lo - 1e-9 * span) & (z[:, :n] <= hi + 1e-9 * span), axis=1)
    return Sweep(z, converged, inside, iterations, timed_out)


def search(
    compiled: Compiled,
    bounds: Sequence[tuple[float, float]],
    deadline: float,
    max_starts: int = MAX_STARTS,
) -> SearchOutcome:
    """Damped Newton on ∇f = 0 from every start at once (:func:`newton_sweep`), then polished."""
    x, design = starts(bounds, max_starts)
    sweep = newton_sweep(compiled, x, bounds, deadline)
    found = _polish(compiled, x[sweep.converged & sweep.inside], deadline)
    # Newton's last step leaves ~1e-16·‖x‖ of noise: a coordinate that small is a zero.
    found[np.abs(found) <= 1e-14 * (1 + lengths(found)[:, None])] = 0.0
    return SearchOutcome(distinct(found), sweep.summary(design))


def _polish(compiled: Compiled, found: Array, deadline: float) -> Array:
    """More Newton steps on the accepted points, short ones only.

    A simple root is already exact to round-off, and stays put. Newton converges only linearly
    to a degenerate root (x⁴ at 0: x ← 2x/3), so the acceptance test passes about 1e-9 from it;
    60 more steps bring it to round-off too.
    """
    for _ in range(60):
        if not len(found) or work_clock() > deadline:
            break
        step = newton_steps(compiled, found)
        with np.errstate(all="ignore"):
            scale = 1 + np.linalg.norm(found, axis=1)
            size = np.linalg.norm(step, axis=1)
            short = np.isfinite(size) & (size <= 1e-6 * scale)
        if not np.any(short & (size > 1e-16 * scale)):
            break
        found = np.where(short[:, None], found - step, found)
    return found


def distinct(points: Array, tolerance: float = DUPLICATE_TOLERANCE) -> Array:
    """One representative of each cluster of nearly equal points, in lexicographic order."""
    n = points.shape[1] if points.ndim == 2 else 0
    if len(points) == 0:
        return points.reshape(0, n)
    order = np.lexsort(points.T[::-1])
    kept: list[Array] = []
    reps = np.empty((0, n))
    for p in points[order]:
        if len(reps):
            gap = lengths(reps - p)
            if np.any(gap <= tolerance * (1 + lengths(p[None])[0])):
                continue
        kept.append(p)
        reps = np.vstack([reps, p])
    return np.array(kept)


def lengths(rows: Array) -> Array:
    """‖row‖ for each row; where its square overflows (a λ of 1e160), the largest |entry|
    instead — ∞ would make every point "near" it (and numpy warned on stderr)."""
    with np.errstate(over="ignore", invalid="ignore"):
        size = np.linalg.norm(rows, axis=1)
    return np.where(np.isfinite(size), size, np.max(np.abs(rows), axis=1))


def on_a_continuum(compiled: Compiled, point: Array, null: Array, deadline: float) -> bool:
    """Whether the stationary ``point`` lies on a curve or surface of stationary points.

    ``null`` holds the Hessian's null directions (as columns). From a point a little way along one,
    Newton restricted to the directions across it settles on the set if there is one; there the
    full Newton step is zero. Near an isolated (if degenerate) point it is not: the full step
    still points back to it. Plain Newton cannot tell, since on x²y² it heads for the origin from
    everywhere. Where the null space is wider than a line (the crossing of x = 0 and y = 0 in
    x²y²) its basis is arbitrary, so the coordinate axes projected into it are tried as well.
    """
    n = len(point)
    directions = list(null.T)
    for axis in np.eye(n):
        projected = null @ (null.T @ axis)
        if np.linalg.norm(projected) >= 0.5:
            directions.append(projected / np.linalg.norm(projected))
    delta = 1e-3 * (1 + float(np.linalg.norm(point)))
    for d in directions[: 2 * n]:
        across = np.eye(n) - np.outer(d, d)
        x = point + delta * d
        for _ in range(40):
            if work_clock() > deadline:
                return False
            g = compiled.gradient(x[None])[0]
            h = compiled.hessian(x[None])[0]
            with np.errstate(all="ignore"):
                a = across @ h @ across + np.outer(d, d)
                try:
                    step = np.linalg.solve(a, across @ g)
                except np.linalg.LinAlgError:
                    break
            if not np.all(np.isfinite(step)):
                break
            x = x - step
            if float(np.linalg.norm(step)) <= STEP_TOLERANCE * (1 + float(np.linalg.norm(x))):
                full = newton_steps(compiled, x[None])[0]
                tiny = STEP_TOLERANCE * (1 + float(np.linalg.norm(x)))
                if np.all(np.isfinite(full)) and float(np.linalg.norm(full)) <= tiny:
                    return True
                break
    return False
