"""Symbolic calculus on a parsed :class:`Function`: partial derivatives, gradients, Hessians,
stationary points and level sets, evaluated exactly where the inputs are exact.

Every sympy step that can run away (simplify, solve, exact evaluation) is time-bounded
(:mod:`gradcli.limits`) and falls back to a plainer form or to numerics instead of hanging.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from gradcli.errors import MathError, UsageError
from gradcli.function import Function
from gradcli.limits import TimeUp, bounded, time_limit
from gradcli.points import Point
from gradcli.results import (
    CriticalPoint,
    CriticalResult,
    Directional,
    FiniteDifference,
    GradientPoint,
    GradientResult,
    LevelResult,
    LevelSample,
    PartialPoint,
    PartialResult,
    Value,
)

SIMPLIFY_SECONDS = 2.0
EVALUATE_SECONDS = 2.0
SOLVE_SECONDS = 3.0
EPS = float(np.finfo(float).eps)


def _sympy() -> Any:
    import sympy

    return sympy


# --- building blocks ----------------------------------------------------------------------------
def simplest(expr: Any, seconds: float = SIMPLIFY_SECONDS) -> Any:
    """The simpler of ``expr`` and ``simplify(expr)`` by operation count, within a time bound."""
    sp = _sympy()
    candidate = bounded(seconds, lambda: sp.simplify(expr), expr)
    return candidate if sp.count_ops(candidate) <= sp.count_ops(expr) else expr


def require_variables(fn: Function) -> None:
    if not fn.variables:
        raise UsageError(
            f"f = {fn.understood} has no variables: there is nothing to differentiate",
            hint="use --vars x to treat it as a function of x",
        )


def evaluate(expr: Any, fn: Function, at: Point, what: str = "f") -> Value:
    """``expr`` at ``at``: exact when the point is exact, and always a finite real float.

    Raises :class:`MathError` (exit 1) when the value is undefined, infinite or not real there.
    """
    sp = _sympy()
    exact: Any = None
    if at.is_exact:
        # Substitution alone is cheap and says 'undefined' exactly (1/0 -> zoo, 0*log(0) -> nan).
        exact = bounded(EVALUATE_SECONDS, lambda: expr.xreplace(at.subs(fn.variables)), None)
        if exact is not None and exact.has(sp.zoo, sp.nan):
            raise MathError(f"{what} is undefined at {at.label()}", hint=_why_undefined(expr, fn))
    # A float before any numeric evaluation in sympy: evalf of exp(exp(100)) would have mpmath
    # grind through numbers with 10^43 digits inside C code that no time limit can interrupt.
    guess = _float_value(expr, fn, at)
    if guess is not None and (math.isinf(guess.real) or math.isinf(guess.imag)):
        raise MathError(f"{what} is infinite or too large for a float at {at.label()}")
    number: complex | None = None
    if exact is not None:
        try:
            with time_limit(EVALUATE_SECONDS):
                if not exact.is_Number:
                    exact = _tidy(exact)
                number = complex(sp.N(exact, 17))
        except TimeUp:
            exact = None
    if number is None:
        number = guess if guess is not None else complex(float("nan"))
    if math.isnan(number.real) or math.isnan(number.imag):
        raise MathError(f"{what} is undefined at {at.label()}", hint=_why_undefined(expr, fn))
    if not math.isfinite(number.real) or not math.isfinite(number.imag):
        raise MathError(f"{what} is infinite at {at.label()}")
    if abs(number.imag) > 1e-12 * max(1.0, abs(number.real)):
        raise MathError(
            f"{what} is not real at {at.label()} (its value would be {_complex(number)})"
        )
    return Value(exact=exact, value=number.real)


@lru_cache(maxsize=512)
def _float_function(expr: Any, variables: tuple[Any, ...]) -> Any:
    from gradcli.numeric import lambdify

    return lambdify(variables, [expr])


def _float_value(expr: Any, fn: Function, at: Point) -> complex | None:
    """expr at the point in float64 through numpy (fast, and safe from huge exact numbers)."""
    try:
        with np.errstate(all="ignore"):
            args = [np.float64(v) for v in at.values]  # numpy scalars overflow to inf, floats raise
            return complex(_float_function(expr, fn.variables)(*args)[0])
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, NameError):
        return None


def _tidy(exact: Any) -> Any:
    sp = _sympy()
    tidy = bounded(0.5, lambda: sp.simplify(exact), exact)
    return tidy if sp.count_ops(tidy) <= sp.count_ops(exact) else exact


def _why_undefined(expr: Any, fn: Function) -> str | None:
    sp = _sympy()
    if expr.has(sp.log):
        return "log is undefined at 0 and not real below 0"
    if any(p.exp.is_negative for p in expr.atoms(sp.Pow)):
        return "it divides by zero there"
    return None


def _complex(z: complex) -> str:
    return f"{z.real:.6g}{'+' if z.imag >= 0 else '-'}{abs(z.imag):.6g}i"


def classify(eigenvalues: Sequence[float], scale: float = 1.0) -> str:
    """minimum / maximum / saddle / degenerate from the Hessian's eigenvalues."""
    tol = 1e-9 * max(1.0, scale, *(abs(e) for e in eigenvalues))
    positive = sum(e > tol for e in eigenvalues)
    negative = sum(e < -tol for e in eigenvalues)
    if positive and negative:
        return "saddle"
    if positive == len(eigenvalues):
        return "minimum"
    if negative == len(eigenvalues):
        return "maximum"
    return "degenerate"


def _float_f(fn: Function) -> Any:
    from gradcli.numeric import lambdify

    return lambdify(fn.variables, [fn.expr])


def finite_difference(
    fn: Function, expr: Any, var_index: int, at: Point, exact: float, h: float | None = None
) -> FiniteDifference:
    """Forward (f(x+h) − f(x))/h and central (f(x+h) − f(x−h))/2h estimates of ∂expr/∂x_i.

    Default steps balance truncation against rounding error in float64: √ε·max(1, |x|) for the
    forward difference (error O(h)), ∛ε·max(1, |x|) for the central one (error O(h²)).
    """
    from gradcli.numeric import lambdify

    g = lambdify(fn.variables, [expr])
    base = np.array(at.values, dtype=float)
    scale = max(1.0, abs(base[var_index]))
    h_forward = h if h is not None else math.sqrt(EPS) * scale
    h_central = h if h is not None else EPS ** (1 / 3) * scale

    def at_offset(step: float) -> float:
        point = base.copy()
        point[var_index] += step
        with np.errstate(all="ignore"):
            return float(np.real(g(*point)[0]))

    f0 = at_offset(0.0)
    forward = (at_offset(h_forward) - f0) / h_forward
    central = (at_offset(h_central) - at_offset(-h_central)) / (2 * h_central)
    return FiniteDifference(exact, h_forward, forward, h_central, central)


# --- partial ------------------------------------------------------------------------------------
def partial(
    fn: Function,
    wrt: Sequence[str],
    points: Sequence[Point] = (),
    *,
    check: bool = False,
    h: float | None = None,
) -> PartialResult:
    """∂ⁿf/∂wrt… symbolically (simplified) and at each point, optionally with a difference check."""
    sp = _sympy()
    require_variables(fn)
    if not wrt:
        if len(fn.variables) != 1:
            raise UsageError(f"say which variable: --wrt {' or --wrt '.join(fn.names)}")
        wrt = [fn.names[0]]
    symbols = []
    for name in wrt:
        if name not in fn.names:
            raise UsageError(
                f"--wrt {name}: not a variable of f",
                hint=f"the variables are {', '.join(fn.names)}",
            )
        symbols.append(fn.variables[fn.names.index(name)])
    if check and h is not None and not (math.isfinite(h) and h > 0):
        raise UsageError(f"--h must be a positive finite step, got {h}")
    lower = fn.expr
    for sym in symbols[:-1]:
        lower = sp.diff(lower, sym)
    derivative = simplest(sp.diff(lower, symbols[-1]))
    last = fn.names.index(symbols[-1].name)
    rows = []
    for at in points:
        value = evaluate(fn.expr, fn, at)
        d = evaluate(derivative, fn, at, what=_partial_name(fn, symbols))
        fd = finite_difference(fn, lower, last, at, d.value, h) if check else None
        rows.append(PartialPoint(at=at, value=value, derivative=d, check=fd))
    return PartialResult(fn=fn, wrt=tuple(symbols), derivative=derivative, points=rows)


def _partial_name(fn: Function, symbols: Sequence[Any]) -> str:
    return PartialResult(fn, tuple(symbols), None, []).notation


# --- gradient -----------------------------------------------------------------------------------
def gradient_exprs(fn: Function) -> tuple[Any, ...]:
    sp = _sympy()
    return tuple(simplest(sp.diff(fn.expr, v)) for v in fn.variables)


def hessian_exprs(fn: Function, grad: Sequence[Any] | None = None) -> tuple[tuple[Any, ...], ...]:
    sp = _sympy()
    grad = grad if grad is not None else gradient_exprs(fn)
    return tuple(tuple(simplest(sp.diff(g, v), 1.0) for v in fn.variables) for g in grad)


def _hessian_at(fn: Function, hess: Sequence[Sequence[Any]], at: Point) -> np.ndarray[Any, Any]:
    n = len(fn.variables)
    matrix = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            matrix[i, j] = evaluate(hess[i][j], fn, at, what="the Hessian").value
    return matrix


def gradient(
    fn: Function,
    points: Sequence[Point] = (),
    *,
    direction: Point | None = None,
    with_hessian: bool = False,
    check: bool = False,
    h: float | None = None,
) -> GradientResult:
    """∇f symbolically and, at each point, f, ∇f, ‖∇f‖, steepest directions and classification."""
    sp = _sympy()
    require_variables(fn)
    grad = gradient_exprs(fn)
    need_hessian = with_hessian or bool(points)
    hess = hessian_exprs(fn, grad) if need_hessian else None
    unit = None
    if direction is not None:
        v = np.array(direction.values, dtype=float)
        length = float(np.linalg.norm(v))
        if length == 0:
            raise UsageError("--dir must not be the zero vector")
        unit = v / length
    rows = []
    for at in points:
        value = evaluate(fn.expr, fn, at)
        names = [f"∂f/∂{n}" if len(fn.variables) > 1 else "f'" for n in fn.names]
        g = tuple(evaluate(gi, fn, at, what=name) for gi, name in zip(grad, names))
        norm = _norm(g)
        if all(gi.exact is not None for gi in g):  # exact: zero means zero, 1e-73 does not
            stationary = all(gi.exact == 0 for gi in g)
        else:
            stationary = norm.value <= 1e-12 * max(1.0, abs(value.value))
        vec = np.array([gi.value for gi in g])
        ascent = descent = None
        if not stationary and norm.value > 0:
            ascent = tuple(float(c) for c in vec / norm.value)
            descent = tuple(-c for c in ascent)
        eig = matrix = None
        classification = None
        if hess is not None and (stationary or with_hessian):
            matrix = _hessian_at(fn, hess, at)
            eig = tuple(float(e) for e in np.linalg.eigvalsh(matrix))
            if stationary:
                classification = classify(eig)
        directional = None
        if unit is not None:
            exact_dir = None
            if at.is_exact and direction is not None and direction.is_exact:
                d = sp.Matrix(direction.exact)
                d = d / sp.sqrt(sum(c**2 for c in direction.exact))
                if all(gi.exact is not None for gi in g):
                    exact_dir = _tidy(sum(gi.exact * di for gi, di in zip(g, d)))
            directional = Directional(
                direction=tuple(float(c) for c in unit), value=Value(exact_dir, float(vec @ unit))
            )
        fd = None
        if check:
            fd = tuple(finite_difference(fn, fn.expr, i, at, g[i].value, h) for i in range(len(g)))
        rows.append(
            GradientPoint(
                at=at,
                value=value,
                gradient=g,
                norm=norm,
                ascent=ascent,
                descent=descent,
                stationary=stationary,
                classification=classification,
                hessian=tuple(tuple(float(c) for c in row) for row in matrix)
                if matrix is not None and with_hessian
                else None,
                eigenvalues=eig,
                directional=directional,
                check=fd,
            )
        )
    return GradientResult(fn=fn, gradient=grad, points=rows, hessian=hess if with_hessian else None)


def _norm(g: Sequence[Value]) -> Value:
    sp = _sympy()
    value = math.sqrt(sum(gi.value**2 for gi in g))
    if all(gi.exact is not None for gi in g):
        exact = bounded(1.0, lambda: _tidy(sp.sqrt(sum(gi.exact**2 for gi in g))), None)
        return Value(exact, value)
    return Value(None, value)


# --- critical points ----------------------------------------------------------------------------
def _is_polynomial(fn: Function) -> bool:
    return bool(fn.expr.is_polynomial(*fn.variables))


def _symbolic_critical(fn: Function, grad: Sequence[Any]) -> tuple[list[dict[Any, Any]], bool]:
    """Solutions of ∇f = 0 from sympy within the time bound; (solutions, finished in time)."""
    sp = _sympy()
    try:
        with time_limit(SOLVE_SECONDS):
            solutions = sp.solve(list(grad), list(fn.variables), dict=True)
        return solutions, True
    except TimeUp:
        return [], False
    except (NotImplementedError, ValueError, TypeError, ZeroDivisionError):
        return [], False


def _newton_search(
    fn: Function, bounds: Sequence[tuple[float, float]], starts_per_axis: int
) -> np.ndarray[Any, Any]:
    """Stationary points by damped Newton on ∇f = 0 from a grid of starts, all starts at once."""
    from gradcli.numeric import compile_function

    compiled = compile_function(fn)
    n = len(fn.variables)
    k = max(3, round(starts_per_axis ** (2 / n)) if n > 2 else starts_per_axis)
    axes = [np.linspace(lo, hi, k) for lo, hi in bounds]
    starts = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=-1)
    x = starts.copy()
    with np.errstate(all="ignore"):
        for _ in range(60):
            g = compiled.gradient(x)
            hm = compiled.hessian(x)
            # Levenberg damping keeps Newton defined at singular Hessians (degenerate points).
            damp = 1e-10 * (1 + np.abs(hm).max(axis=(-1, -2)))
            step = np.linalg.solve(hm + damp[:, None, None] * np.eye(n)[None], g[..., None])[..., 0]
            x = x - np.where(np.isfinite(step), step, 0.0)
        g = compiled.gradient(x)
        f = compiled.value(x)
    scale = 1 + np.abs(f)
    ok = np.all(np.isfinite(x), axis=1) & (np.linalg.norm(g, axis=1) <= 1e-8 * scale)
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    span = hi - lo
    ok &= np.all((x >= lo - 1e-9 * span) & (x <= hi + 1e-9 * span), axis=1)
    found: list[np.ndarray[Any, Any]] = []
    for p in x[ok]:
        if not any(np.linalg.norm(p - q) <= 1e-6 * (1 + np.linalg.norm(q)) for q in found):
            found.append(p)
    return np.array(found).reshape(-1, n)


def critical_points(
    fn: Function,
    bounds: Sequence[tuple[float, float]] | None = None,
    *,
    starts_per_axis: int = 41,
) -> CriticalResult:
    """The stationary points of f, each classified from its Hessian.

    sympy solves ∇f = 0 within a time bound; a numeric multi-start Newton search over ``bounds``
    (default −5..5 on each axis) adds what sympy did not give, and replaces it when sympy gives up.
    """
    sp = _sympy()
    require_variables(fn)
    n = len(fn.variables)
    bounds = tuple(bounds) if bounds is not None else tuple((-5.0, 5.0) for _ in range(n))
    grad = gradient_exprs(fn)
    hess = hessian_exprs(fn, grad)
    solutions, finished = _symbolic_critical(fn, grad)
    points: list[CriticalPoint] = []
    families: list[str] = []
    notes: list[str] = []
    for sol in solutions:
        if len(sol) < n or any(v.free_symbols for v in sol.values()):
            families.append(
                ", ".join(f"{sp.sstr(k)} = {sp.sstr(v)}" for k, v in sol.items())
                + "".join(f" ({v.name} free)" for v in fn.variables if v not in sol)
            )
            continue
        exact = tuple(sol[v] for v in fn.variables)
        numbers = [complex(sp.N(c, 17)) for c in exact]
        if any(abs(z.imag) > 1e-12 * max(1.0, abs(z.real)) for z in numbers):
            continue  # complex solutions are not points of a real function's graph
        values = tuple(z.real for z in numbers)
        shown = tuple(c if len(sp.sstr(c)) <= 40 else None for c in exact)
        points.append(_critical_point(fn, hess, shown, values, "symbolic"))
    numeric = _newton_search(fn, bounds, starts_per_axis)
    added = 0
    for p in numeric:
        if not any(np.allclose(p, q.values, rtol=1e-6, atol=1e-6) for q in points):
            points.append(_critical_point(fn, hess, None, tuple(float(c) for c in p), "numeric"))
            added += 1
    span = " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in bounds)
    complete = finished and _is_polynomial(fn) and added == 0 and not families
    if finished and solutions:
        method = "solved ∇f = 0 symbolically"
        if added:
            method += f"; a numeric search over {span} found {added} more"
    elif finished:
        method = f"sympy found no isolated solutions; numeric search over {span}"
    else:
        method = f"sympy did not finish within {SOLVE_SECONDS:g} s; numeric search over {span}"
    if not complete:
        notes.append(
            f"possibly incomplete: points outside {span} or missed by the search may exist"
        )
    if families:
        notes.append(
            "∇f vanishes on a whole set (not isolated points): every point there is degenerate"
        )
    points.sort(key=lambda p: p.values)
    return CriticalResult(fn, points, families, method, complete, bounds, notes)


def _critical_point(
    fn: Function,
    hess: Sequence[Sequence[Any]],
    exact: tuple[Any, ...] | None,
    values: tuple[float, ...],
    found_by: str,
) -> CriticalPoint:
    from gradcli.numeric import compile_function

    names = fn.names
    if exact is not None and all(c is not None for c in exact):
        at = Point(names, exact, values)
        value = evaluate(fn.expr, fn, at)
        matrix = _hessian_at(fn, hess, at)
    else:
        compiled = compile_function(fn)
        arr = np.array(values)
        value = Value(None, float(compiled.value(arr)))
        matrix = compiled.hessian(arr)
        exact = None
    eig = tuple(float(e) for e in np.linalg.eigvalsh(matrix))
    return CriticalPoint(exact, values, value, eig, classify(eig), found_by)


# --- level sets ---------------------------------------------------------------------------------
def level_set(
    fn: Function,
    *,
    at: Point | None = None,
    value: Any = None,
    samples: int = 0,
    bounds: Sequence[tuple[float, float]] | None = None,
) -> LevelResult:
    """The level set f = c through ``at`` (c = f(at)) or at ``value``, with the perpendicularity check."""
    sp = _sympy()
    require_variables(fn)
    if (at is None) == (value is None):
        raise UsageError("give exactly one of --at P or --value C")
    n = len(fn.variables)
    if at is not None:
        level = evaluate(fn.expr, fn, at)
        c = level.exact if level.exact is not None else sp.Float(level.value, 17)
    else:
        c = value
        level = Value(value, float(sp.N(value, 17)))
    equation = sp.Eq(fn.expr, c)
    branches = _solve_branches(fn, c)
    result: dict[str, Any] = {}
    notes: list[str] = []
    if at is not None:
        grad = gradient_exprs(fn)
        g = tuple(evaluate(gi, fn, at, what=f"∂f/∂{name}") for gi, name in zip(grad, fn.names))
        result["gradient"] = g
        gvec = np.array([gi.value for gi in g])
        if np.linalg.norm(gvec) == 0:
            notes.append(
                "∇f = 0 here: a stationary point, where the level set need not be a smooth curve"
            )
        else:
            point_syms = [c_ if c_ is not None else v for c_, v in zip(at.exact, at.values)]
            if all(gi.exact is not None for gi in g):
                coeffs = [gi.exact for gi in g]
            else:
                coeffs = [sp.Float(gi.value, 15) for gi in g]
            plane = sum(k * (v - p) for k, v, p in zip(coeffs, fn.variables, point_syms))
            result["tangent_equation"] = sp.Eq(sp.expand(plane), 0)
            if n == 2:
                tangent = np.array([-gvec[1], gvec[0]]) / np.linalg.norm(gvec)
                result["tangent"] = tuple(float(t) for t in tangent)
                result["dot"] = float(gvec @ tangent)
                result["branch_angle"] = _branch_angle(fn, branches, at, gvec)
    sample_rows: list[LevelSample] = []
    if samples:
        if n != 2:
            raise UsageError("--samples needs a function of two variables")
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


def _default_bounds(at: Point | None) -> tuple[tuple[float, float], ...]:
    if at is None:
        return ((-3.0, 3.0), (-3.0, 3.0))
    reach = max(3.0, 2 * max(abs(v) for v in at.values))
    return tuple((-reach, reach) for _ in at.values)


def _solve_branches(fn: Function, c: Any) -> list[tuple[Any, Any]]:
    """Explicit solutions of f = c for the last variable (then the first), within a time bound."""
    sp = _sympy()
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


def _branch_angle(
    fn: Function, branches: Sequence[tuple[Any, Any]], at: Point, gvec: np.ndarray[Any, Any]
) -> float | None:
    """Angle between ∇f and the tangent of the solved branch through P — found without using ∇f,
    so 90° here is evidence of perpendicularity, not a restatement of how the tangent was built."""
    sp = _sympy()
    if not branches or len(fn.variables) != 2:
        return None
    subs = dict(zip(fn.variables, at.values))
    for var, expr in branches:
        other = next(v for v in fn.variables if v != var)
        try:
            on_branch = complex(expr.evalf(17, subs={other: subs[other]}))
        except (TypeError, ValueError):
            continue
        if abs(on_branch.imag) > 1e-9 or abs(on_branch.real - subs[var]) > 1e-9 * (
            1 + abs(subs[var])
        ):
            continue
        slope = complex(sp.diff(expr, other).evalf(17, subs={other: subs[other]}))
        if not math.isfinite(slope.real) or abs(slope.imag) > 1e-9:
            return None
        i_other = fn.variables.index(other)
        direction = np.zeros(2)
        direction[i_other] = 1.0
        direction[1 - i_other] = slope.real
        return _angle(gvec, direction)
    return None


def _angle(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    cos = abs(float(a @ b)) / (float(np.linalg.norm(a)) * float(np.linalg.norm(b)))
    return math.degrees(math.acos(min(1.0, cos)))


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
            gg = np.sum(g * g, axis=1)
            x = x - (r / np.where(gg > 0, gg, np.nan))[:, None] * g
        r = compiled.value(x) - c
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    ok = np.all(np.isfinite(x), axis=1) & (np.abs(r) <= 1e-9 * (1 + abs(c)))
    ok &= np.all((x >= lo) & (x <= hi), axis=1)
    pool = x[ok]
    if not len(pool):
        return []
    chosen = [np.array(at.values)] if at is not None else [pool[0]]
    distance = np.linalg.norm(pool - chosen[0], axis=1)
    while len(chosen) < count:
        k = int(np.argmax(distance))
        if distance[k] < 1e-6 * (1 + float(np.max(hi - lo))):
            break
        chosen.append(pool[k])
        distance = np.minimum(distance, np.linalg.norm(pool - pool[k], axis=1))
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
    chord = found[1] - found[0]
    return chord / np.linalg.norm(chord)
