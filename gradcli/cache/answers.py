"""``grad`` and ``partial`` at a point from a cached function: the numbers, exactly as the full
path computes them (:mod:`gradcli.calculus.derivatives`), for the cases :mod:`gradcli.cache.exact`
(rational functions) and :mod:`gradcli.cache.elementary` (sin, exp, log …) can promise.

A point that is stationary (∇f = 0: the Hessian and numpy classify it) or where anything is
undefined is :class:`~gradcli.cache.exact.Refused`: the full path answers it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gradcli.cache.elementary import Linear
from gradcli.cache.exact import (
    Refused,
    evaluate,
    is_rational,
    plain_decimal,
    square_root,
    sympy_float,
)
from gradcli.cache.forms import Printed


@dataclass(frozen=True)
class Exact:
    """c·√z (z = 1: the rational c) and the float the full path reports for it."""

    c: Fraction
    z: int
    value: float

    @property
    def is_integer(self) -> bool:
        return self.z == 1 and self.c.denominator == 1


@dataclass(frozen=True)
class Inexact:
    """A value sympy writes with functions (``sin(13/10)/2 + exp(13/5)``): the float the full path
    reports, and the exact forms it may print (:func:`gradcli.cache.forms.candidates`): one when
    it is certain, two when it depends on the machine's speed, none when it is not known here.
    ``linear``: its content, where it is a rational combination of sin, cos and exp."""

    value: float
    forms: tuple[Printed, ...] = ()
    linear: Linear | None = None

    is_integer = False

    @property
    def form(self) -> Printed | None:
        """The one exact form the full path prints, if that is certain."""
        return self.forms[0] if len(self.forms) == 1 else None


Number = Exact | Inexact


@dataclass(frozen=True)
class Coordinates:
    """A point typed as plain decimals: each coordinate exact and as the float typed."""

    exact: tuple[Fraction, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class GradAnswer:
    at: Coordinates
    value: Number
    gradient: tuple[Number, ...]
    norm: Number
    ascent: tuple[float, ...]

    @property
    def numbers(self) -> tuple[Number, ...]:
        return (self.value, *self.gradient, self.norm)


@dataclass(frozen=True)
class PartialAnswer:
    at: Coordinates
    value: Number
    derivative: Number

    @property
    def numbers(self) -> tuple[Number, ...]:
        return (self.value, self.derivative)


def coordinates(text: str, count: int) -> Coordinates | None:
    """'3,1', '3.125,-1', '1e-3' (plain decimals, in variable order), or None for every other
    form (names, brackets, spaces, constants): gradcli's point parser reads those."""
    parts = text.split(",")
    if len(parts) != count:
        return None
    exact: list[Fraction] = []
    values: list[float] = []
    for part in parts:
        value = plain_decimal(part)
        if value is None:
            return None
        exact.append(value)
        values.append(float(part.strip().replace("−", "-")))
    return Coordinates(tuple(exact), tuple(values))


def rational(value: Fraction) -> Exact:
    return Exact(value, 1, sympy_float(value))


def number(node: Any, at: Coordinates) -> Number:
    """The tree's value at ``at``: exact where it is rational (also sin(0) + 1), else the float
    and what is known of its exact form."""
    if is_rational(node):
        return rational(evaluate(node, at.exact))
    from gradcli.cache import elementary

    form = elementary.linear(node, at.exact)
    if form is not None and not form.terms:
        return rational(form.const)
    value = elementary.sympy_double(elementary.number(node, at.exact))
    return inexact(value, form)


def inexact(value: float, form: Linear | None) -> Inexact:
    from gradcli.cache.forms import candidates

    return Inexact(value, () if form is None else candidates(form), form)


def grad_at(f: Any, gradient: Sequence[Any], at: Coordinates) -> GradAnswer:
    """f, ∇f, ‖∇f‖ and the steepest ascent at ``at``, as ``GradientAt`` computes them."""
    value = number(f, at)
    g = tuple(number(gi, at) for gi in gradient)
    if all(isinstance(gi, Exact) and gi.c == 0 for gi in g):
        raise Refused  # stationary: classified from the Hessian by the full path
    # euclidean_norm and unit_vector: math.hypot of the floats, then each divided by it (the
    # values are far from float64's limits, so unit_vector's rescaling branch never applies)
    length = math.hypot(*(gi.value for gi in g))
    if not (math.isfinite(length) and length > 0):
        raise Refused
    ascent = tuple(gi.value / length for gi in g)
    norm: Number
    if all(isinstance(gi, Exact) for gi in g):
        c, z = square_root(sum((gi.c**2 for gi in g if isinstance(gi, Exact)), Fraction(0)))
        norm = Exact(c, z, length)
    elif len(g) == 1 and isinstance(g[0], Inexact) and g[0].linear is not None:
        # √(g²) is |g|, which sympy writes as the sum g or -g multiplied out, then tidies
        norm = inexact(length, _absolute(g[0].linear, g[0].value))
    else:
        norm = Inexact(length)  # √ of a sum of squares of sines: its form is not known
    return GradAnswer(at, value, g, norm, ascent)


def _absolute(form: Linear, value: float) -> Linear:
    if value > 0:
        return form
    return Linear(-form.const, tuple((a, -c) for a, c in form.terms))


def partial_at(f: Any, derivative: Any, at: Coordinates) -> PartialAnswer:
    """f and the derivative at ``at``, as ``PartialAt`` computes them."""
    return PartialAnswer(at, number(f, at), number(derivative, at))
