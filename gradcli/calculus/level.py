"""Level sets f = c: the equation, solved branches, the tangent at a point, and points sampled on
the curve with the angle between ∇f and the curve's own tangent."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from gradcli.calculus.derivatives import euclidean_norm, gradient_exprs, unit_vector
from gradcli.calculus.evaluate import SOLVE_SECONDS, evaluate, require_variables
from gradcli.calculus.kinks import nonsmooth_at
from gradcli.calculus.results import LevelResult, LevelSample, Value
from gradcli.errors import UsageError
from gradcli.function import Function
from gradcli.limits import TimeUp, bounded, time_limit
from gradcli.points import Point
from gradcli.symbolic import simplest


def level_set(
    fn: Function,
    *,
    at: Point | None = None,
    value: Any = None,
    samples: int = 0,
    bounds: Sequence[tuple[float, float]] | None = None,
) -> LevelResult:
    """The level set f = c through ``at`` (c = f(at)) or at ``value``, with the perpendicularity check."""
    import sympy as sp

    require_variables(fn)
    if (at is None) == (value is None):
        raise UsageError("give exactly one of {at} P or {value} C", parameters=("at", "value"))
    n = len(fn.variables)
    if at is not None:
        level = evaluate(fn.expr, fn, at)
        c = level.exact if level.exact is not None else sp.Float(level.value, 17)
    else:
        c = value
        level = Value(value, float(sp.N(value, 17)))
    equation = sp.Eq(fn.expr, c, evaluate=False)  # 0 = 0 must stay an equation, not True
    result: dict[str, Any] = {}
    notes: list[str] = []
    branches = _solve_branches(fn, c) if n <= BRANCH_VARIABLES else []
    if n > BRANCH_VARIABLES:
        notes.append(
            f"f = c is not solved for one variable beyond {BRANCH_VARIABLES} variables"
            f" (f has {n}): the level set is the equation itself"
        )
    if not fn.expr.free_symbols & set(fn.variables):
        notes.append("f is constant: the level set is every point (or none, for another c)")
    if at is not None:
        grad = gradient_exprs(fn)
        g = tuple(evaluate(gi, fn, at, what=f"∂f/∂{name}") for gi, name in zip(grad, fn.names))
        result["gradient"] = g
        result["nonsmooth"] = nonsmooth_at(fn, at, grad, None)
        gvalues = [float(gi.value) for gi in g]
        gvec = np.array(gvalues)
        # Scaled norms throughout: squaring a gradient of 1e154 overflows, one of 1e-160 underflows.
        if euclidean_norm(gvalues) == 0:
            notes.append(
                "∇f = 0 here: a stationary point, where the level set need not be a smooth curve"
            )
        else:
            point_syms = [c_ if c_ is not None else v for c_, v in zip(at.exact, at.values)]
            if all(gi.exact is not None for gi in g):
                coeffs = [gi.exact for gi in g]
            else:
                coeffs = [sp.Float(gi.value, 15) for gi in g]
            result["tangent_equation"] = _tidy_plane(coeffs, point_syms, fn.variables)
            unit = unit_vector(gvalues)
            if n == 2 and unit is not None:
                tangent = np.array([-unit[1], unit[0]])
                result["tangent"] = tuple(float(t) for t in tangent)
                # ∇f·t, computed as ‖∇f‖ (û·t): the product of the raw vectors can overflow
                result["dot"] = euclidean_norm(gvalues) * float(np.dot(unit, tangent))
                result["branch_angle"] = _branch_angle(fn, branches, at, gvec)
        if n == 2 and branches:
            result["through"] = _branches_through(fn, branches, at)
    sample_rows: list[LevelSample] = []
    if samples:
        if n != 2:
            raise UsageError("{samples} needs a function of two variables", parameters=("samples",))
        level_value = level.value
        bounds = tuple(bounds) if bounds is not None else _default_bounds(at)
        sample_rows = _sample_level(fn, level_value, samples, bounds, at)
        if len(sample_rows) < samples:
            notes.append(
                f"found {len(sample_rows)} of {samples} points on the level set inside "
                + " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in bounds)
            )
    return LevelResult(
        fn=fn,
        level=level,
        equation=equation,
        branches=branches,
        at=at,
        samples=sample_rows,
        notes=notes,
        **result,
    )


# Solving f = c for one variable takes sympy seconds and hundreds of MB by a few dozen variables
# (1.3 s at 20 for Σxᵢ² + Πxᵢ), and the answer is a formula nobody reads; the equation, ∇f and
# the tangent hyperplane stay cheap at any size.
BRANCH_VARIABLES = 10


def _default_bounds(at: Point | None) -> tuple[tuple[float, float], ...]:
    if at is None:
        return ((-3.0, 3.0), (-3.0, 3.0))
    # capped so that hi − lo stays a finite float around a point near the largest float
    reach = min(max(3.0, 2 * max(abs(v) for v in at.values)), sys.float_info.max / 4)
    return tuple((-reach, reach) for _ in at.values)


def _solve_branches(fn: Function, c: Any) -> list[tuple[Any, Any]]:
    """Explicit solutions of f = c for the last variable (then the first), within a time bound."""
    import sympy as sp

    targets = list(fn.variables) if len(fn.variables) < 2 else [fn.variables[-1], fn.variables[0]]
    for var in targets:
        try:
            with time_limit(SOLVE_SECONDS / 2):
                sols = sp.solve(sp.Eq(fn.expr, c), var)
        except (TimeUp, NotImplementedError, ValueError, TypeError):
            continue
        sols = [s for s in sols if not s.has(sp.I)]
        if sols:
            return [(var, simplest(s, 0.5)) for s in sols]
    return []


def _tidy_plane(coeffs: Sequence[Any], point: Sequence[Any], variables: Sequence[Any]) -> Any:
    """∇f(P)·(X − P) = 0 as a teacher writes it: ``a·x + b·y = k``, the common factor divided out,
    the first coefficient positive (2x + 2y − 4 = 0 → x + y = 2; 4x − 8 = 0 → x = 2).
    Float coefficients are only moved and signed, never divided (that would invent digits).

    Built from the coefficients themselves, not read back from the expanded plane: a ``Poly`` in
    n generators is n levels deep, and sympy's recursion overflowed at ~1000 variables."""
    import sympy as sp

    constant = sp.expand(-sp.Add(*[k * p for k, p in zip(coeffs, point)]))
    coeffs = [sp.expand(k) for k in coeffs]
    nonzero = [c for c in coeffs if c != 0]
    if not nonzero:
        return sp.Eq(sp.Add(*[k * (v - p) for k, v, p in zip(coeffs, variables, point)]), 0)
    factor = sp.S.One
    if all(c.is_Rational for c in [*nonzero, constant]):
        factor = sp.gcd([*nonzero, *([constant] if constant != 0 else [])])
    if nonzero[0].is_negative or (nonzero[0].is_Number and nonzero[0] < 0):
        factor = -abs(factor)
    lhs = sp.Add(
        *[sp.nsimplify(c / factor) * v if factor != 1 else c * v for c, v in zip(coeffs, variables)]
    )
    return sp.Eq(lhs, -constant / factor)


def _branches_through(
    fn: Function, branches: Sequence[tuple[Any, Any]], at: Point
) -> tuple[int, ...]:
    """The indices of the solved branches that pass through P (x³ − 3xy + y³ = c has several)."""
    subs = dict(zip(fn.variables, at.values))
    scale = max(max(abs(v) for v in at.values), sys.float_info.min)
    through = []
    for i, (var, expr) in enumerate(branches):
        other = next(v for v in fn.variables if v != var)
        on_branch = _value_at(expr, other, subs[other])
        if on_branch is None:
            continue
        close = abs(on_branch.real - subs[var]) <= 1e-9 * max(scale, 1.0)
        if abs(on_branch.imag) <= 1e-9 * max(scale, 1.0) and close:
            through.append(i)
    return tuple(through)


def _branch_angle(
    fn: Function, branches: Sequence[tuple[Any, Any]], at: Point, gvec: np.ndarray[Any, Any]
) -> float | None:
    """Angle between ∇f and the tangent of the solved branch through P — found without using ∇f,
    so 90° here is evidence of perpendicularity, not a restatement of how the tangent was built."""
    import sympy as sp

    if not branches or len(fn.variables) != 2:
        return None
    subs = dict(zip(fn.variables, at.values))
    # "Through P" relative to the size of P's coordinates: near (1e-160, 1e-160) the branch
    # y = −√(…) passes within 2e-160 of P, far below any absolute tolerance, and is the wrong one.
    scale = max(max(abs(v) for v in at.values), sys.float_info.min)
    candidates = []
    for var, expr in branches:
        other = next(v for v in fn.variables if v != var)
        on_branch = _value_at(expr, other, subs[other])
        if on_branch is None:
            continue
        miss = abs(on_branch.real - subs[var])
        if abs(on_branch.imag) <= 1e-9 * scale and miss <= 1e-9 * scale:
            candidates.append((miss, expr, other))
    if candidates:
        _, expr, other = min(candidates, key=lambda c: c[0])
        derivative = bounded(BRANCH_SECONDS, functools.partial(sp.diff, expr, other), None)
        slope = None if derivative is None else _value_at(derivative, other, subs[other])
        if slope is None or abs(slope.imag) > 1e-9:
            return None
        i_other = fn.variables.index(other)
        direction = np.zeros(2)
        direction[i_other] = 1.0
        direction[1 - i_other] = slope.real
        return _angle(gvec, direction)
    return None


BRANCH_SECONDS = 1.0  # one step of the branch check (a derivative, a value)


def _value_at(expr: Any, symbol: Any, value: float) -> complex | None:
    """``expr`` at ``symbol = value`` to 30 digits, or None where it is not a finite number there.

    Not evalf: a branch such as exp(exp(x)) at a large x would have mpmath grind through numbers
    with billions of digits, inside C code no time limit can interrupt. Not floats either: a branch
    can have coefficients of 10³²⁰ (the level set of x² + y² through (1e-160, 1e-160)).
    """
    import sympy as sp

    from gradcli.calculus.explain.verify import bounded_value

    if isinstance(expr, sp.Piecewise):  # how solve writes y = 1 − |x| for |x| ≤ 1: pick the piece
        for piece, condition in expr.args:
            truth = bounded(
                BRANCH_SECONDS, functools.partial(condition.subs, symbol, sp.Float(value, 30)), None
            )
            if truth is sp.true:
                expr = piece
                break
            if truth is not sp.false:
                return None
        else:
            return None
    result = bounded(BRANCH_SECONDS, lambda: bounded_value(expr, [symbol], [value]), None)
    if result is None or not (math.isfinite(result.real) and math.isfinite(result.imag)):
        return None
    return result


def _angle(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    """The angle between the lines along a and b, in degrees (NaN when either is 0 or not finite);
    from unit vectors, so neither huge nor tiny components overflow or underflow."""
    ua, ub = unit_vector([float(v) for v in a]), unit_vector([float(v) for v in b])
    if ua is None or ub is None or not all(map(math.isfinite, (*ua, *ub))):
        return math.nan
    cos = abs(sum(p * q for p, q in zip(ua, ub)))
    return math.degrees(math.acos(min(1.0, cos)))


def _norms(v: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Row norms without overflow or underflow in the squares (inf only where the norm is)."""
    with np.errstate(all="ignore"):
        return np.asarray(np.hypot.reduce(v, axis=-1))


def _sample_level(
    fn: Function,
    c: float,
    count: int,
    bounds: Sequence[tuple[float, float]],
    at: Point | None,
) -> list[LevelSample]:
    """Points on f = c inside ``bounds``: Newton projection from a grid, then spread-out picks.

    Each point's tangent comes from the curve itself — the chord between the curve's two crossings
    of a small circle around the point — so the reported angle to ∇f is a real check.
    """
    from gradcli.numeric import compile_function

    compiled = compile_function(fn)
    side = max(8, int(math.sqrt(count * 12)))
    axes = [np.linspace(lo, hi, side) for lo, hi in bounds]
    x = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=-1)
    with np.errstate(all="ignore"):
        for _ in range(40):
            r = compiled.value(x) - c
            g = compiled.gradient(x)
            norm = _norms(g)
            norm = np.where(norm > 0, norm, np.nan)
            x = x - (r / norm)[:, None] * (g / norm[:, None])  # r g / ‖g‖², never squaring g
        r = compiled.value(x) - c
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    ok = np.all(np.isfinite(x), axis=1) & (np.abs(r) <= 1e-9 * (1 + abs(c)))
    ok &= np.all((x >= lo) & (x <= hi), axis=1)
    pool = x[ok]
    if not len(pool):
        return []
    chosen = [np.array(at.values)] if at is not None else [pool[0]]
    distance = _norms(pool - chosen[0])
    while len(chosen) < count:
        k = int(np.argmax(distance))
        if distance[k] < 1e-6 * (1 + float(np.max(hi - lo))):
            break
        chosen.append(pool[k])
        distance = np.minimum(distance, _norms(pool - pool[k]))
    radius = 1e-4 * float(np.max(hi - lo))
    rows = []
    for p in chosen[:count]:
        g = compiled.gradient(p)
        tangent = _chord_tangent(compiled, p, c, radius)
        if tangent is None:
            continue
        rows.append(
            LevelSample(
                point=tuple(float(v) for v in p),
                gradient=tuple(float(v) for v in g),
                tangent=tuple(float(v) for v in tangent),
                angle=_angle(g, tangent),
            )
        )
    return rows


def _chord_tangent(
    compiled: Any, p: np.ndarray[Any, Any], c: float, radius: float
) -> np.ndarray[Any, Any] | None:
    theta = np.linspace(0, 2 * np.pi, 721)
    ring = p + radius * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    with np.errstate(all="ignore"):
        r = compiled.value(ring) - c
    crossings = np.nonzero(np.sign(r[:-1]) * np.sign(r[1:]) < 0)[0]
    if len(crossings) != 2:
        return None
    found = []
    for k in crossings:
        a, b = theta[k], theta[k + 1]
        for _ in range(40):  # bisection: the crossing angle to ~1e-12 rad
            m = (a + b) / 2
            q = compiled.value(p + radius * np.array([np.cos(m), np.sin(m)])) - c
            if np.sign(q) == np.sign(r[k]):
                a = m
            else:
                b = m
        found.append(p + radius * np.array([np.cos(a), np.sin(a)]))
    unit = unit_vector([float(v) for v in found[1] - found[0]])
    return None if unit is None else np.array(unit)
