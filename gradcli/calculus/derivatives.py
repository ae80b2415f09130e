"""Partial derivatives, gradients and Hessians: symbolic, simplified within a time bound, and
evaluated at points with the steepest directions and the stationary-point classification."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from gradcli.calculus.evaluate import evaluate, finite_difference, require_variables, tidy
from gradcli.calculus.kinks import neighbourhood_kind, nonsmooth_at, nonsmooth_chain
from gradcli.calculus.results import (
    Directional,
    GradientPoint,
    GradientResult,
    PartialPoint,
    PartialResult,
    Value,
)
from gradcli.errors import UsageError
from gradcli.function import Function
from gradcli.limits import bounded
from gradcli.points import Point
from gradcli.symbolic import DIFF_SECONDS, differentiate, simplest


def partial(
    fn: Function,
    wrt: Sequence[str],
    points: Sequence[Point] = (),
    *,
    check: bool = False,
    h: float | None = None,
) -> PartialResult:
    """∂ⁿf/∂wrt… symbolically (simplified) and at each point, optionally with a difference check."""

    require_variables(fn)
    if not wrt:
        if len(fn.variables) != 1:
            raise UsageError(
                f"say which variable: {{wrt}} {' or {wrt} '.join(fn.names)}", parameters=("wrt",)
            )
        wrt = [fn.names[0]]
    symbols = []
    for name in wrt:
        if name not in fn.names:
            raise UsageError(
                f"{{wrt}} {name}: not a variable of f",
                hint=f"the variables are {', '.join(fn.names)}",
                parameters=("wrt",),
            )
        symbols.append(fn.variables[fn.names.index(name)])
    if check and h is not None and not (math.isfinite(h) and h > 0):
        raise UsageError(f"{{h}} must be a positive finite step, got {h}", parameters=("h",))
    # One time budget for the whole chain: a 12th derivative may not take 12 budgets.
    deadline = time.monotonic() + DIFF_SECONDS
    chain = [fn.expr]  # f and each derivative on the way: a kink in any of them breaks the last
    for sym in symbols[:-1]:
        chain.append(differentiate(chain[-1], sym, seconds=deadline - time.monotonic()))
    lower = chain[-1]
    derivative = simplest(differentiate(lower, symbols[-1], seconds=deadline - time.monotonic()))
    chain.append(derivative)
    last = fn.names.index(symbols[-1].name)
    rows = []
    for at in points:
        value = evaluate(fn.expr, fn, at)
        d = evaluate(derivative, fn, at, what=_partial_name(fn, symbols))
        fd = finite_difference(fn, lower, last, at, d.value, h) if check else None
        nonsmooth = nonsmooth_chain(fn, chain, at)
        rows.append(PartialPoint(at=at, value=value, derivative=d, check=fd, nonsmooth=nonsmooth))
    return PartialResult(fn=fn, wrt=tuple(symbols), derivative=derivative, points=rows)


def _partial_name(fn: Function, symbols: Sequence[Any]) -> str:
    return PartialResult(fn, tuple(symbols), None, []).notation


# --- gradient -----------------------------------------------------------------------------------
def gradient_exprs(fn: Function) -> tuple[Any, ...]:

    return tuple(simplest(differentiate(fn.expr, v, f"∂f/∂{v.name}")) for v in fn.variables)


def hessian_exprs(fn: Function, grad: Sequence[Any] | None = None) -> tuple[tuple[Any, ...], ...]:

    grad = grad if grad is not None else gradient_exprs(fn)
    return tuple(
        tuple(simplest(differentiate(g, v, "the Hessian"), 1.0) for v in fn.variables) for g in grad
    )


def hessian_at(fn: Function, hess: Sequence[Sequence[Any]], at: Point) -> list[list[float]]:
    return [[evaluate(h, fn, at, what="the Hessian").value for h in row] for row in hess]


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
    require_variables(fn)
    grad = gradient_exprs(fn)
    # The Hessian is derived only when asked for or when a point turns out to be stationary.
    hess = hessian_exprs(fn, grad) if with_hessian else None
    unit = None
    if direction is not None:
        length = math.sqrt(sum(v * v for v in direction.values))
        if length == 0:
            raise UsageError("{direction} must not be the zero vector", parameters=("direction",))
        unit = tuple(v / length for v in direction.values)
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
        ascent = descent = None
        if not stationary and norm.value > 0:
            ascent = tuple(gi.value / norm.value for gi in g)
            descent = tuple(-c for c in ascent)
        eig = matrix = None
        classification = classified_by = None
        nonsmooth = nonsmooth_at(fn, at, grad, None)
        if stationary or with_hessian:
            from gradcli.numeric import classify, eigenvalues  # numpy only where a Hessian is asked

            hess = hess if hess is not None else hessian_exprs(fn, grad)
            matrix = hessian_at(fn, hess, at)
            eig = eigenvalues(matrix)
            nonsmooth = nonsmooth or nonsmooth_at(fn, at, grad, hess)
            if stationary and nonsmooth is None:
                classification, classified_by = classify(eig), "hessian"
        if nonsmooth is not None:
            # No Hessian test at a kink: compare f with its values around the point. Away from
            # ∇f = 0 (by convention) only an extremum is worth naming: |x| + x/2 has its minimum
            # at 0, where the gradient shown is 1/2.
            kind = neighbourhood_kind(fn, at)
            if stationary or kind in ("minimum", "maximum"):
                classification, classified_by = kind, "neighbourhood"
        directional = None
        if unit is not None and direction is not None:
            directional = _directional(g, direction, unit, exact=at.is_exact)
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
                hessian=tuple(tuple(row) for row in matrix) if matrix and with_hessian else None,
                eigenvalues=eig,
                directional=directional,
                check=fd,
                nonsmooth=nonsmooth,
                classified_by=classified_by,
            )
        )
    return GradientResult(fn=fn, gradient=grad, points=rows, hessian=hess if with_hessian else None)


def _directional(
    g: Sequence[Value], direction: Point, unit: Sequence[float], *, exact: bool
) -> Directional:
    """D_u f = ∇f · u with u = v/‖v‖; exact when the point, v and ∇f are."""
    import sympy as sp

    exact_value = None
    if exact and direction.is_exact and all(gi.exact is not None for gi in g):
        length = sp.sqrt(sum(c**2 for c in direction.exact))
        exact_value = tidy(sum(gi.exact * c for gi, c in zip(g, direction.exact)) / length)
    value = sum(gi.value * u for gi, u in zip(g, unit))
    return Directional(direction=tuple(unit), value=Value(exact_value, value))


def _norm(g: Sequence[Value]) -> Value:
    import sympy as sp

    value = math.sqrt(sum(gi.value**2 for gi in g))
    if all(gi.exact is not None for gi in g):
        exact = bounded(1.0, lambda: tidy(sp.sqrt(sum(gi.exact**2 for gi in g))), None)
        return Value(exact, value)
    return Value(None, value)


# --- critical points ----------------------------------------------------------------------------
