"""Fast numeric evaluation of a :class:`Function`, its gradient and Hessian, through ``lambdify``;
Hessian eigenvalues and the one stationary-point classification built on them.

Every evaluator is vectorised: it takes an array of points of shape ``(..., n)`` and returns values of
shape ``(...)``, gradients ``(..., n)`` and Hessians ``(..., n, n)``. Each is lambdified once and
cached, so a descent or a plot never re-derives or re-compiles anything inside its loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from gradcli.function import Function
from gradcli.symbolic import lambdify

if TYPE_CHECKING:
    import sympy

Array = np.ndarray[Any, Any]


class Compiled:
    """Numeric twins of a function: ``value``, ``gradient`` and ``hessian`` over arrays of points."""

    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.n = len(fn.variables)

    # Derivatives go through the bounded differentiate, like every symbolic command: a
    # descent or a plot must not grind for minutes on a formula that cannot be differentiated.
    @cached_property
    def gradient_exprs(self) -> list[sympy.Expr]:
        from gradcli.symbolic import differentiate

        return [differentiate(self.fn.expr, v, f"∂f/∂{v.name}") for v in self.fn.variables]

    @cached_property
    def hessian_exprs(self) -> list[list[sympy.Expr]]:
        from gradcli.symbolic import differentiate

        g = self.gradient_exprs
        return [[differentiate(gi, v, "the Hessian") for v in self.fn.variables] for gi in g]

    @cached_property
    def _value(self) -> Callable[..., Any]:
        return lambdify(self.fn.variables, [self.fn.expr])

    @cached_property
    def _gradient(self) -> Callable[..., Any]:
        return lambdify(self.fn.variables, self.gradient_exprs)

    @cached_property
    def _hessian(self) -> Callable[..., Any]:
        flat = [h for row in self.hessian_exprs for h in row]
        return lambdify(self.fn.variables, flat)

    def _call(self, func: Callable[..., Any], points: Array, count: int) -> Array:
        pts = np.asarray(points, dtype=float)
        shape = pts.shape[:-1]
        with np.errstate(all="ignore"):  # overflow and 0/0 become inf/nan; callers judge them
            parts = func(*np.moveaxis(pts, -1, 0))
        # A constant component (d/dx of 2x is 2) comes back as a scalar: broadcast it.
        out = np.empty((*shape, count), dtype=float)
        for i, part in enumerate(parts):
            out[..., i] = np.real_if_close(part) if np.iscomplexobj(part) else part
        return out

    def value(self, points: Array) -> Array:
        """f at each point: ``(..., n) -> (...)``."""
        return self._call(self._value, points, 1)[..., 0]

    def gradient(self, points: Array) -> Array:
        """∇f at each point: ``(..., n) -> (..., n)``."""
        return self._call(self._gradient, points, self.n)

    def hessian(self, points: Array) -> Array:
        """The Hessian at each point: ``(..., n) -> (..., n, n)``."""
        flat = self._call(self._hessian, points, self.n * self.n)
        return flat.reshape((*flat.shape[:-1], self.n, self.n))


def compile_function(fn: Function) -> Compiled:
    """Numeric evaluators for ``fn``; derivatives are taken and lambdified on first use only."""
    return Compiled(fn)


def eigenvalues(matrix: Sequence[Sequence[float]]) -> tuple[float, ...]:
    """The eigenvalues of a symmetric matrix (a Hessian), ascending."""
    return tuple(float(e) for e in np.linalg.eigvalsh(np.array(matrix, dtype=float)))


def classify(eigenvalues: Sequence[float] | Array, scale: float = 1.0) -> str:
    """minimum / maximum / saddle / degenerate from the Hessian's eigenvalues.

    An eigenvalue counts as zero below 1e-9 × max(1, ``scale``, the largest |eigenvalue|), so the
    verdict does not flip on round-off; a non-finite eigenvalue makes the point degenerate.
    """
    return classify_many(np.asarray(eigenvalues, dtype=float).reshape(1, -1), scale)[0]


def classify_many(eigenvalues: Array, scale: float = 1.0) -> list[str]:
    """:func:`classify` for each row of a ``(k, n)`` array of eigenvalues, at once."""
    ev = np.asarray(eigenvalues, dtype=float)
    with np.errstate(invalid="ignore"):
        zero = 1e-9 * np.maximum(max(1.0, scale), np.max(np.abs(ev), axis=1, keepdims=True))
        positive, negative = ev > zero, ev < -zero
    kinds = np.select(
        [
            ~np.all(np.isfinite(ev), axis=1),
            positive.all(axis=1),
            negative.all(axis=1),
            positive.any(axis=1) & negative.any(axis=1),
        ],
        ["degenerate", "minimum", "maximum", "saddle"],
        "degenerate",
    )
    return cast("list[str]", kinds.tolist())
