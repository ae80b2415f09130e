"""Partial derivatives, gradients and Hessians: symbolic, simplified within a time bound, and
evaluated at points with the steepest directions and the stationary-point classification."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

from gradcli.calculus.evaluate import (
    evaluate,
    evaluate_each,
    finite_difference,
    require_variables,
    tidy,
)
from gradcli.calculus.kinks import neighbourhood_kind, nonsmooth_at, nonsmooth_chain
from gradcli.calculus.results import (
    Directional,
    GradientPoint,
    GradientResult,
    PartialPoint,
    PartialResult,
    Value,
)
from gradcli.errors import UsageError, few_names
from gradcli.function import Function
from gradcli.limits import bounded, work_clock
from gradcli.points import Point
from gradcli.symbolic import (
    DIFF_SECONDS,
    MAX_HESSIAN_VARIABLES,
    SIMPLIFY_SECONDS,
    differentiate,
    differentiate_each,
    simplest,
)


def partial(
    fn: Function,
    wrt: Sequence[str],
    points: Sequence[Point] = (),
    *,
    check: bool = False,
    h: float | None = None,
) -> PartialResult:
    """∂ⁿf/∂wrt… symbolically (simplified) and at each point, optionally with a difference check."""
    derivative = PartialAt(fn, wrt, check=check, h=h)
    return derivative.result([derivative(at) for at in points])


class PartialAt:
    """∂ⁿf/∂wrt… derived once, then evaluated at one point after another.

    :func:`partial` for points that arrive one by one (a stream on stdin): each answer can be
    written as soon as its point is read.
    """

    def __init__(
        self, fn: Function, wrt: Sequence[str], *, check: bool = False, h: float | None = None
    ) -> None:
        require_variables(fn)
        if not wrt:
            if len(fn.variables) != 1:
                which = (
                    " or {wrt} ".join(fn.names)
                    if len(fn.names) <= 4
                    else f"{fn.names[0]} (f's are {few_names(fn.names)})"
                )
                raise UsageError(f"say which variable: {{wrt}} {which}", parameters=("wrt",))
            wrt = [fn.names[0]]
        symbols = []
        for name in wrt:
            if name not in fn.names:
                raise UsageError(
                    f"{{wrt}} {name}: not a variable of f",
                    hint=f"the variables are {few_names(fn.names)}",
                    parameters=("wrt",),
                )
            symbols.append(fn.variables[fn.names.index(name)])
        if check and h is not None and not (math.isfinite(h) and h > 0):
            raise UsageError(f"{{h}} must be a positive finite step, got {h}", parameters=("h",))
        # One time budget for the whole chain: a 12th derivative may not take 12 budgets.
        deadline = work_clock() + DIFF_SECONDS
        chain = [fn.expr]  # f and each derivative on the way: a kink in any of them breaks the last
        for sym in symbols[:-1]:
            chain.append(differentiate(chain[-1], sym, seconds=deadline - work_clock()))
        lower = chain[-1]
        self.fn, self.symbols, self.lower, self.check, self.h = fn, tuple(symbols), lower, check, h
        self.derivative = simplest(
            differentiate(lower, symbols[-1], seconds=deadline - work_clock())
        )
        self.chain = [*chain, self.derivative]
        self.name = _partial_name(fn, symbols)
        self.sigmoid_form = _sigmoid_form(fn, symbols)

    def __call__(self, at: Point) -> PartialPoint:
        """The derivative at ``at``; MathError (exit 1) where f or it is undefined there."""
        fn = self.fn
        value = evaluate(fn.expr, fn, at)
        d = evaluate(self.derivative, fn, at, what=self.name)
        last = fn.names.index(self.symbols[-1].name)
        fd = finite_difference(fn, self.lower, last, at, d.value, self.h) if self.check else None
        nonsmooth = nonsmooth_chain(fn, self.chain, at)
        return PartialPoint(at=at, value=value, derivative=d, check=fd, nonsmooth=nonsmooth)

    def result(self, rows: Sequence[PartialPoint]) -> PartialResult:
        return PartialResult(
            fn=self.fn,
            wrt=self.symbols,
            derivative=self.derivative,
            points=list(rows),
            sigmoid_form=self.sigmoid_form,
            checked=self.check,
        )


def _partial_name(fn: Function, symbols: Sequence[Any]) -> str:
    return PartialResult(fn, tuple(symbols), None, []).notation


def _sigmoid_form(fn: Function, symbols: Sequence[Any]) -> Any:
    """The derivative written with σ when f is built from sigmoid (see calculus.logistic)."""
    import sympy

    if not fn.expr.has(sympy.exp):  # the common case pays nothing
        return None
    from gradcli.calculus.logistic import sigmoid_derivative

    return sigmoid_derivative(fn.expr, symbols)


# --- gradient -----------------------------------------------------------------------------------
# Simplifying is bounded per formula (symbolic.SIMPLIFY_SECONDS) and, for ∇f and the Hessian, in
# all: 50 components of 2 s each would keep grad busy for 100 s. Past the total, a formula is shown
# as differentiated.
SIMPLIFY_ALL_SECONDS = 4.0


def _simplest_each(exprs: Sequence[Any], seconds: float) -> list[Any]:
    deadline = work_clock() + SIMPLIFY_ALL_SECONDS
    out = []
    for expr in exprs:
        left = deadline - work_clock()
        out.append(simplest(expr, min(seconds, left)) if left > 0 else expr)
    return out


def gradient_exprs(fn: Function) -> tuple[Any, ...]:
    whats = [f"∂f/∂{v.name}" for v in fn.variables]
    grad = differentiate_each(fn.expr, fn.variables, whats)
    return tuple(_simplest_each(grad, SIMPLIFY_SECONDS))


def hessian_exprs(
    fn: Function, grad: Sequence[Any] | None = None, *, shown: bool = True
) -> tuple[tuple[Any, ...], ...]:
    """The Hessian's entries; simplified only when ``shown`` (for classifying a point only its
    exact values count, and simplifying δ-laden entries took seconds)."""
    grad = grad if grad is not None else gradient_exprs(fn)
    whats = ["the Hessian"] * len(fn.variables)
    flat = [h for g in grad for h in differentiate_each(g, fn.variables, whats)]
    if shown:
        flat = _simplest_each(flat, 1.0)
    n = len(fn.variables)
    return tuple(tuple(flat[i * n : (i + 1) * n]) for i in range(n))


def hessian_at(fn: Function, hess: Sequence[Sequence[Any]], at: Point) -> list[list[float]]:
    flat = [h for row in hess for h in row]
    values = [v.value for v in evaluate_each(flat, fn, at, ["the Hessian"] * len(flat))]
    n = len(hess)
    return [values[i * n : (i + 1) * n] for i in range(n)]


def hessian_affordable(fn: Function) -> bool:
    return len(fn.variables) <= MAX_HESSIAN_VARIABLES


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
    grad = GradientAt(fn, direction=direction, with_hessian=with_hessian, check=check, h=h)
    return grad.result([grad(at) for at in points])


class GradientAt:
    """∇f (and the Hessian when asked) derived once, then evaluated at one point after another.

    :func:`gradient` for points that arrive one by one (a stream on stdin): each answer can be
    written as soon as its point is read.
    """

    def __init__(
        self,
        fn: Function,
        *,
        direction: Point | None = None,
        with_hessian: bool = False,
        check: bool = False,
        h: float | None = None,
    ) -> None:
        require_variables(fn)
        if with_hessian and not hessian_affordable(fn):
            raise UsageError(
                f"{{hessian}} handles at most {MAX_HESSIAN_VARIABLES} variables; f has "
                f"{len(fn.variables):,} (the Hessian would have {len(fn.variables) ** 2:,} entries)",
                parameters=("hessian",),
            )
        self.fn, self.with_hessian, self.check, self.h = fn, with_hessian, check, h
        self.grad = gradient_exprs(fn)
        self.sigmoid_form = _sigmoid_gradient(fn, self.grad)
        # The Hessian is derived only when asked for or when a point turns out to be stationary.
        self.hess = hessian_exprs(fn, self.grad) if with_hessian else None
        self.direction = direction
        self.unit = None
        if direction is not None:
            self.unit = unit_vector(direction.values)
            if self.unit is None:
                raise UsageError(
                    "{direction} must not be the zero vector", parameters=("direction",)
                )

    def __call__(self, at: Point) -> GradientPoint:
        """f, ∇f and the rest at ``at``; MathError (exit 1) where any of them is undefined."""
        fn, grad = self.fn, self.grad
        value = evaluate(fn.expr, fn, at)
        names = [f"∂f/∂{n}" if len(fn.variables) > 1 else f"f′({n})" for n in fn.names]
        g = evaluate_each(grad, fn, at, names)
        norm = _norm(g)
        if all(gi.exact is not None for gi in g):  # exact: zero means zero, 1e-73 does not
            stationary = all(gi.exact == 0 for gi in g)
        else:
            stationary = norm.value <= 1e-12 * max(1.0, abs(value.value))
        ascent = descent = None
        if not stationary:
            ascent = unit_vector([gi.value for gi in g])
            descent = tuple(-c for c in ascent) if ascent is not None else None
        eig = matrix = None
        classification = classified_by = None
        nonsmooth = nonsmooth_at(fn, at, grad, None)
        if stationary and not self.with_hessian and not hessian_affordable(fn):
            # a million second derivatives are not affordable: a stationary point, unclassified
            classified_by = "skipped"
        elif stationary or self.with_hessian:
            from gradcli.numeric import classify, eigenvalues  # numpy only where a Hessian is asked

            if self.hess is None:  # not shown: only its values at stationary points are used
                self.hess = hessian_exprs(fn, grad, shown=False)
            matrix = hessian_at(fn, self.hess, at)
            eig = eigenvalues(matrix)
            nonsmooth = nonsmooth or nonsmooth_at(fn, at, grad, self.hess)
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
        if self.unit is not None and self.direction is not None:
            directional = _directional(g, self.direction, self.unit, exact=at.is_exact)
        fd = None
        if self.check:
            fd = tuple(
                finite_difference(fn, fn.expr, i, at, g[i].value, self.h) for i in range(len(g))
            )
        return GradientPoint(
            at=at,
            value=value,
            gradient=g,
            norm=norm,
            ascent=ascent,
            descent=descent,
            stationary=stationary,
            classification=classification,
            hessian=tuple(tuple(row) for row in matrix) if matrix and self.with_hessian else None,
            eigenvalues=eig,
            directional=directional,
            check=fd,
            nonsmooth=nonsmooth,
            classified_by=classified_by,
        )

    def result(self, rows: Sequence[GradientPoint]) -> GradientResult:
        return GradientResult(
            fn=self.fn,
            gradient=self.grad,
            points=list(rows),
            hessian=self.hess if self.with_hessian else None,
            sigmoid_form=self.sigmoid_form,
        )


def _sigmoid_gradient(fn: Function, grad: Sequence[Any]) -> tuple[Any, ...] | None:
    """∇f with σ in it (a component without σ is the plain one), or None when f has no sigmoid."""
    import sympy

    if not fn.expr.has(sympy.exp):  # once, not once per variable: a long sum is searched n times
        return None
    forms = [_sigmoid_form(fn, (v,)) for v in fn.variables]
    if all(form is None for form in forms):
        return None
    return tuple(form if form is not None else g for form, g in zip(forms, grad))


def euclidean_norm(values: Sequence[float]) -> float:
    """‖v‖ without overflow or underflow in the squares: (1e200, 1e200) has norm 1.4e200, not inf,
    and (1e-200, 1e-200) has 1.4e-200, not 0 (math.hypot scales as it sums)."""
    return math.hypot(*values)


def unit_vector(values: Sequence[float]) -> tuple[float, ...] | None:
    """v/‖v‖, or None for the zero vector; neither a huge nor a tiny v loses its direction.

    Where ‖v‖ itself overflows (components near 1e308) or is subnormal (below 2.2e-308, with few
    digits left), v is first divided by its largest component; otherwise v/‖v‖ is taken as is,
    which is the correctly rounded answer more often.
    """
    length = euclidean_norm(values)
    if math.isfinite(length) and length >= sys.float_info.min:
        return tuple(v / length for v in values)
    largest = max((abs(v) for v in values), default=0.0)
    if largest == 0 or not math.isfinite(largest):
        return None
    scaled = [v / largest for v in values]
    length = math.hypot(*scaled)
    return tuple(v / length for v in scaled)


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

    value = euclidean_norm([gi.value for gi in g])
    if all(gi.exact is not None for gi in g):
        exact = bounded(1.0, lambda: tidy(sp.sqrt(sum(gi.exact**2 for gi in g))), None)
        return Value(exact, value)
    return Value(None, value)


# --- critical points ----------------------------------------------------------------------------
