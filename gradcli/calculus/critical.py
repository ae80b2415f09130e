"""Stationary points: sympy's solution of ∇f = 0 within a time bound, completed or replaced by a
vectorised multi-start Newton search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gradcli.calculus.derivatives import gradient_exprs, hessian_at, hessian_exprs
from gradcli.calculus.evaluate import SOLVE_SECONDS, evaluate, require_variables
from gradcli.calculus.kinks import classify_stationary
from gradcli.calculus.results import CriticalPoint, CriticalResult, Value
from gradcli.function import Function
from gradcli.limits import TimeUp, time_limit
from gradcli.numeric import eigenvalues
from gradcli.points import Point


def _is_polynomial(fn: Function) -> bool:
    return bool(fn.expr.is_polynomial(*fn.variables))


def _symbolic_critical(fn: Function, grad: Sequence[Any]) -> tuple[list[dict[Any, Any]], bool]:
    """Solutions of ∇f = 0 from sympy within the time bound; (solutions, finished in time)."""
    import sympy as sp

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
    import sympy as sp

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
        eig = eigenvalues(hessian_at(fn, hess, at))
    else:
        compiled = compile_function(fn)
        arr = np.array(values)
        value = Value(None, float(compiled.value(arr)))
        eig = eigenvalues(compiled.hessian(arr).tolist())
        exact = None
    return CriticalPoint(exact, values, value, eig, classify_stationary(fn, values, eig), found_by)
