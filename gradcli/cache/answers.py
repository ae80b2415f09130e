"""``grad`` and ``partial`` at a point from a cached function: the numbers, exactly as the full
path computes them (:mod:`gradcli.calculus.derivatives`), for the cases :mod:`gradcli.cache.exact`
can promise.

A point that is stationary (∇f = 0: the Hessian and numpy classify it) or where anything is
undefined is :class:`~gradcli.cache.exact.Refused`: the full path answers it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gradcli.cache.exact import Refused, evaluate, plain_decimal, square_root, sympy_float


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
class Coordinates:
    """A point typed as plain decimals: each coordinate exact and as the float typed."""

    exact: tuple[Fraction, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class GradAnswer:
    at: Coordinates
    value: Exact
    gradient: tuple[Exact, ...]
    norm: Exact
    ascent: tuple[float, ...]


@dataclass(frozen=True)
class PartialAnswer:
    at: Coordinates
    value: Exact
    derivative: Exact


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


def grad_at(f: Any, gradient: Sequence[Any], at: Coordinates) -> GradAnswer:
    """f, ∇f, ‖∇f‖ and the steepest ascent at ``at``, as ``GradientAt`` computes them."""
    value = rational(evaluate(f, at.exact))
    g = tuple(rational(evaluate(gi, at.exact)) for gi in gradient)
    if all(gi.c == 0 for gi in g):
        raise Refused  # stationary: classified from the Hessian by the full path
    c, z = square_root(sum((gi.c**2 for gi in g), Fraction(0)))
    # euclidean_norm and unit_vector: math.hypot of the floats, then each divided by it (the
    # values are far from float64's limits, so unit_vector's rescaling branch never applies)
    length = math.hypot(*(gi.value for gi in g))
    if not (math.isfinite(length) and length > 0):
        raise Refused
    ascent = tuple(gi.value / length for gi in g)
    return GradAnswer(at, value, g, Exact(c, z, length), ascent)


def partial_at(f: Any, derivative: Any, at: Coordinates) -> PartialAnswer:
    """f and the derivative at ``at``, as ``PartialAt`` computes them."""
    return PartialAnswer(
        at, rational(evaluate(f, at.exact)), rational(evaluate(derivative, at.exact))
    )
