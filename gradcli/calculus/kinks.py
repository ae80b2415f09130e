"""Kinks: where a function built from abs, relu, max, min, sign or heaviside is not differentiable.

gradcli differentiates these functions everywhere, with PyTorch autograd's values at their kinks:
|u|′ = 0 and relu′ = 0 at u = 0, sign′ = H′ = 0, a tie of max or min gives each tied argument half
the derivative, and the derivative of a step (a Dirac delta) is 0. So a gradient at a kink is a
number, the same one torch computes — but not a derivative, and this module says so: it finds the
kinks at a point (:func:`kinks_at`), confirms that a derivative really jumps there (|x|³ has a
syntactic kink but is twice differentiable) and classifies a stationary point without a Hessian.

Facts only (``Nonsmooth``, ``Kink``); the views word them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from gradcli.calculus.results import Kink, Nonsmooth
from gradcli.function import Function
from gradcli.limits import bounded
from gradcli.points import Point
from gradcli.symbolic import kink_sites

KINK_SECONDS = 1.0  # deciding whether one argument is 0 at the point
TOLERANCE = 1e-12  # |u| below this × max(1, |point|) counts as u = 0 at an inexact point


def _vanishes(u: Any, fn: Function, at: Point) -> bool:
    import sympy as sp

    def decide() -> bool:
        if at.is_exact:
            exact = u.xreplace(at.subs(fn.variables))
            if exact.is_zero is not None:
                return bool(exact.is_zero)
            value = complex(sp.N(exact, 30))
        else:
            value = complex(u.xreplace(dict(zip(fn.variables, map(sp.Float, at.values)))).evalf())
        scale = max([1.0, *(abs(v) for v in at.values)])
        return abs(value) <= TOLERANCE * scale

    try:
        return bool(bounded(KINK_SECONDS, decide, False))
    except (TypeError, ValueError, ArithmeticError):  # not a number there: no kink to report
        return False


def kinks_at(expr: Any, fn: Function, at: Point) -> tuple[Kink, ...]:
    """The abs, relu, sign, heaviside and δ in ``expr`` whose argument is 0 at ``at``, and its
    max and min with tied arguments there. Candidates: a kink of a sub-expression may cancel."""
    kinks: list[Kink] = []
    for kind, sub, u in kink_sites(expr):
        if any(k.expr == sub for k in kinks):
            continue  # a max with several ties is one kink
        if _vanishes(u, fn, at):
            kinks.append(Kink(kind, sub))
    return tuple(kinks)


def _jumps(fn: Function, exprs: Sequence[Any], at: Point) -> bool:
    from gradcli.numeric import jumps  # numpy only where a kink is possible

    return jumps(fn.variables, list(exprs), at.values)


def nonsmooth_chain(fn: Function, chain: Sequence[Any], at: Point) -> Nonsmooth | None:
    """Where the chain f = D₀, D₁, …, Dₖ (each the derivative of the one before) first breaks at
    ``at``: order j + 1 when Dⱼ has a kink there that makes D_{j+1} jump, else None."""
    for j in range(len(chain) - 1):
        kinks = kinks_at(chain[j], fn, at)
        if kinks and _jumps(fn, [chain[j + 1]], at):
            return Nonsmooth(j + 1, kinks)
    return None


def nonsmooth_at(
    fn: Function, at: Point, gradient: Sequence[Any], hessian: Sequence[Sequence[Any]] | None
) -> Nonsmooth | None:
    """Whether f is not differentiable (order 1) or, when ``hessian`` is given, not twice
    differentiable (order 2) at ``at``; None when the derivatives shown are derivatives."""
    kinks = kinks_at(fn.expr, fn, at)
    if kinks and _jumps(fn, gradient, at):
        return Nonsmooth(1, kinks)
    if hessian is None:
        return None
    kinks = tuple(k for g in gradient for k in kinks_at(g, fn, at))
    if kinks and _jumps(fn, [h for row in hessian for h in row], at):
        unique = tuple(dict.fromkeys(kinks))
        return Nonsmooth(2, unique)
    return None


def neighbourhood_kind(fn: Function, at: Point) -> str:
    """minimum / maximum / saddle / unclassified for a point where the Hessian test cannot be used,
    from f around it (see :func:`gradcli.numeric.neighbourhood_kind`)."""
    from gradcli.numeric import neighbourhood_kind as around

    return around(fn.variables, fn.expr, at.values)


def classify_stationary(fn: Function, values: Sequence[float], eigenvalues: Sequence[float]) -> str:
    """The Hessian's verdict on a stationary point, or — where f is not twice differentiable
    there — the verdict of comparing f around it (``unclassified`` when that shows nothing)."""
    import numpy as np

    from gradcli.numeric import classify_points

    point = np.asarray(values, dtype=float).reshape(1, -1)
    return classify_points(
        _compiled(fn), point, np.asarray(eigenvalues, dtype=float).reshape(1, -1)
    )[0]


@lru_cache(maxsize=8)
def _compiled(fn: Function) -> Any:
    from gradcli.numeric import compile_function

    return compile_function(fn)
