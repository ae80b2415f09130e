"""Bounded symbolic work every layer above relies on: differentiation (bounded in time and size),
the simplest form of a result, and the one ``lambdify`` with gradcli's extra functions.

No numpy at import: ``grad`` at a point must not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gradcli.limits import TimeUp, bounded, time_limit

if TYPE_CHECKING:
    import sympy

SIMPLIFY_SECONDS = 2.0


def simplest(expr: Any, seconds: float = SIMPLIFY_SECONDS) -> Any:
    """The simpler of ``expr`` and ``simplify(expr)`` by operation count, within a time bound."""
    import sympy as sp

    if sp.count_ops(expr) <= 6:  # 2*x: nothing to gain, and simplify's fixed cost is ~50 ms
        return expr
    if expr.is_polynomial(*expr.free_symbols):
        # For polynomials, what simplify can offer is a factorisation; factor is 10x cheaper.
        candidate = bounded(seconds, lambda: sp.factor(expr), expr)
    else:
        candidate = bounded(seconds, lambda: sp.simplify(expr), expr)
    return candidate if sp.count_ops(candidate) <= sp.count_ops(expr) else expr


DIFF_SECONDS = 8.0
MAX_DERIVATIVE_OPS = 20_000  # operations in one derivative: beyond this nobody can read it


def differentiate(
    expr: Any, symbol: Any, what: str = "the derivative", seconds: float = DIFF_SECONDS
) -> Any:
    """d expr / d symbol, bounded in time and size: the 12th derivative of a product of powers
    grows without limit, and sympy would grind for minutes producing megabytes of formula."""
    import sympy as sp

    from gradcli.errors import TimeLimitError

    try:
        with time_limit(max(seconds, 0.05)):
            if expr.is_Add:  # only the terms that hold the symbol: n-D sums stay O(n) per variable
                result = sp.Add(*[sp.diff(t, symbol) for t in expr.args if t.has(symbol)])
            else:
                result = sp.diff(expr, symbol)
            size = sp.count_ops(result)
    except TimeUp:
        raise TimeLimitError(
            f"{what} took longer than {DIFF_SECONDS:g} s to compute",
            hint="the formula grows too large; try a lower order",
        ) from None
    if size > MAX_DERIVATIVE_OPS:
        raise TimeLimitError(
            f"{what} has {size:,} operations (the limit is {MAX_DERIVATIVE_OPS:,})",
            hint="the formula grows too large; try a lower order",
        )
    return result


def _numpy_namespace() -> dict[str, Any]:
    import numpy as np

    # gradcli's own functions (see gradcli.expr) need numpy spellings lambdify does not know.
    return {"cbrt": np.cbrt}


def lambdify(variables: tuple[sympy.Symbol, ...], exprs: list[sympy.Expr]) -> Callable[..., Any]:
    """``sympy.lambdify`` over numpy with gradcli's extra functions; returns a list per call."""
    import sympy

    return sympy.lambdify(variables, exprs, modules=[_numpy_namespace(), "numpy"], cse=True)
