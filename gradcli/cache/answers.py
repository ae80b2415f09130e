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

from gradcli.cache.exact import (
    Refused,
    evaluate,
    is_rational,
    plain_decimal,
    square_root,
    sympy_float,
)


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
    reports and the fewest characters its exact form can have (None: not known). Its exact form
    itself is not known here: only what prints no exact form can be answered with it."""

    value: float
    shortest: int | None

    is_integer = False


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
    return Inexact(value, None if form is None else elementary.shortest(form))


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
    else:
        norm = Inexact(length, None)  # √ of a sum of squares of sines: its form is not known
    return GradAnswer(at, value, g, norm, ascent)


def partial_at(f: Any, derivative: Any, at: Coordinates) -> PartialAnswer:
    """f and the derivative at ``at``, as ``PartialAt`` computes them."""
    return PartialAnswer(at, number(f, at), number(derivative, at))
