"""Fast numeric evaluation of a :class:`Function`, its gradient and Hessian, through ``lambdify``.

Every evaluator is vectorised: it takes an array of points of shape ``(..., n)`` and returns values of
shape ``(...)``, gradients ``(..., n)`` and Hessians ``(..., n, n)``. Each is lambdified once and
cached, so a descent or a plot never re-derives or re-compiles anything inside its loop.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.function import Function

if TYPE_CHECKING:
    import sympy

Array = np.ndarray[Any, Any]


def _numpy_namespace() -> dict[str, Any]:
    # gradcli's own functions (see expr.py) need numpy spellings lambdify does not know.
    return {"cbrt": np.cbrt}


def lambdify(variables: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr]) -> Callable[..., Any]:
    """``sympy.lambdify`` over numpy with gradcli's extra functions; returns a list per call."""
    import sympy

    return sympy.lambdify(variables, exprs, modules=[_numpy_namespace(), "numpy"], cse=True)


class Compiled:
    """Numeric twins of a function: ``value``, ``gradient`` and ``hessian`` over arrays of points."""

    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.n = len(fn.variables)

    # Derivatives go through calculus' bounded differentiate, like every symbolic command: a
    # descent or a plot must not grind for minutes on a formula that cannot be differentiated.
    @cached_property
    def gradient_exprs(self) -> list[sympy.Expr]:
        from gradcli.calculus.evaluate import differentiate

        return [differentiate(self.fn.expr, v, f"∂f/∂{v.name}") for v in self.fn.variables]

    @cached_property
    def hessian_exprs(self) -> list[list[sympy.Expr]]:
        from gradcli.calculus.evaluate import differentiate

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
