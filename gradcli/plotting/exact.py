"""Numbers on a figure as calculus has them: π/2 where the user typed pi/2, 0 where the float says
6.123e−17. One rule (``label``) for every number a figure prints about a point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gradcli.views.text import decimal, pretty

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.points import Point

SHORT = 10  # an exact form longer than this ('3*sqrt(2)/4 + pi') reads worse than its decimal


@dataclass(frozen=True)
class Exact:
    """A point's coordinates, f and ∇f there: each as (exact sympy form or None, float)."""

    where: tuple[tuple[Any, float], ...]
    value: tuple[Any, float] | None
    gradient: tuple[tuple[Any, float], ...] | None


def label(exact: Any, value: float) -> str:
    """The number as a figure prints it: the exact form when it is short and free of floats
    (π/2, √2, 1/3, 0), else four significant digits; a real minus sign either way."""
    if exact is not None and getattr(exact, "is_number", False):
        import sympy

        if not exact.atoms(sympy.Float):
            if exact.is_Integer and abs(int(exact)) < 10**6:
                return decimal(float(int(exact)), 7, typographic=True)
            if exact.is_Rational and _terminates(exact):
                return decimal(value, 8, typographic=True)  # 0.5 typed stays 0.5, not 1/2
            text = pretty(exact)
            if len(text) <= SHORT:
                return text.replace("-", "−")
    return decimal(value, 4, typographic=True)


def _terminates(q: Any) -> bool:
    """Whether the rational ``q`` is a short decimal (1.25, 1.8125), not a repeating one (1/3)."""
    d = int(q.q)
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1 and int(q.q) <= 10**6


def point_label(values: Sequence[tuple[Any, float]]) -> str:
    return "(" + ", ".join(label(e, v) for e, v in values) + ")"


def at_point(fn: Function, point: Point | None, floats: Sequence[float]) -> Exact:
    """``point``'s exact f and ∇f (calculus), or the floats alone when there is no exact point or
    calculus cannot say (undefined, too slow): the figure then shows decimals, as before."""
    if point is None or not point.is_exact or len(point.exact) != len(floats):
        return Exact(tuple((None, float(v)) for v in floats), None, None)
    where = tuple(zip(point.exact, (float(v) for v in floats)))
    # By module: ``gradcli.calculus.evaluate`` is also the name of the submodule it lives in.
    from gradcli.calculus.derivatives import gradient_exprs
    from gradcli.calculus.evaluate import evaluate
    from gradcli.errors import MathError, UsageError

    try:
        f = evaluate(fn.expr, fn, point)
        grads = [evaluate(g, fn, point, "∇f") for g in gradient_exprs(fn)]
    except (MathError, UsageError, ArithmeticError):
        return Exact(where, None, None)  # no exact labels: the figure shows the floats
    return Exact(where, (f.exact, f.value), tuple((g.exact, g.value) for g in grads))
