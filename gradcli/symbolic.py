"""Bounded symbolic work every layer above relies on: differentiation (bounded in time and size),
the simplest form of a result, and the one ``lambdify`` with gradcli's extra functions.

No numpy at import: ``grad`` at a point must not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


MODULES = ("numpy", "math", "mpmath")


def extra_functions(module: str) -> dict[str, Callable[..., Any]]:
    """gradcli's functions that ``lambdify`` cannot spell in ``module`` — the one namespace every
    compiled evaluator uses, so the real cube root is the same function everywhere."""
    if module == "numpy":
        import numpy as np

        return {"cbrt": np.cbrt}
    if module == "math":
        import math

        return {"cbrt": lambda v: math.copysign(abs(v) ** (1 / 3), v)}
    if module == "mpmath":
        import mpmath

        # Comparisons here refuse complex values, which is what the verifier wants: such a
        # point is off the real domain and is skipped.
        return {
            "cbrt": lambda v: mpmath.sign(v) * abs(v) ** (mpmath.mpf(1) / 3),
            "Heaviside": lambda v, at_zero=0.5: (
                mpmath.mpf(1) if v > 0 else mpmath.mpf(0) if v < 0 else mpmath.mpf(at_zero)
            ),
            "DiracDelta": lambda v, k=0: mpmath.mpf(0) if v != 0 else mpmath.inf,
        }
    raise ValueError(f"module must be one of {', '.join(MODULES)}, not {module!r}")


def lambdify(
    variables: Sequence[sympy.Symbol],
    exprs: Any,
    module: str = "numpy",
    *,
    cse: bool | None = None,
) -> Callable[..., Any]:
    """``sympy.lambdify`` with gradcli's extra functions: the one wrapper for every evaluator.

    ``exprs`` may be one expression or a list (then each call returns a list). Common
    subexpressions are shared (``cse``) by default for the numpy module, where evaluators run
    inside loops over arrays.
    """
    import sympy

    shared = module == "numpy" if cse is None else cse
    return sympy.lambdify(
        list(variables), exprs, modules=[extra_functions(module), module], cse=shared
    )
