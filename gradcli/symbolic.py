"""Bounded symbolic work every layer above relies on: differentiation (bounded in time and size),
the simplest form of a result, and the one ``lambdify`` with gradcli's extra functions.

No numpy at import: ``grad`` at a point must not pay for it.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
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
        with _no_physical_units():
            candidate = bounded(seconds, lambda: sp.simplify(expr), expr)
    return candidate if sp.count_ops(candidate) <= sp.count_ops(expr) else expr


_UNITS = "sympy.physics.units"


class _NoQuantity:
    """Stands in for sympy.physics.units.Quantity: nothing gradcli builds is one."""


@contextlib.contextmanager
def _no_physical_units() -> Iterator[None]:
    """sympy.simplify imports sympy.physics.units (a tenth of a second, the whole unit system)
    only to ask ``expr.has(Quantity)``, which is never true of gradcli's expressions. While it
    runs, a stand-in module answers; the real one is used where it is loaded already, and the
    stand-in is gone afterwards, so code that imports the real module later gets it."""
    if _UNITS in sys.modules:
        yield
        return
    stand_in = types.ModuleType(_UNITS)
    stand_in.Quantity = _NoQuantity  # type: ignore[attr-defined]
    sys.modules[_UNITS] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(_UNITS) is stand_in:
            del sys.modules[_UNITS]


DIFF_SECONDS = 8.0
# The Hessian has n² entries to differentiate and evaluate (a million for 1,000 variables): beyond
# this many variables it is neither shown nor used to classify a stationary point.
MAX_HESSIAN_VARIABLES = 100
MAX_DERIVATIVE_OPS = 20_000  # operations in one derivative: beyond this nobody can read it


def differentiate(
    expr: Any,
    symbol: Any,
    what: str = "the derivative",
    seconds: float = DIFF_SECONDS,
    *,
    expand: bool = True,
) -> Any:
    """d expr / d symbol, bounded in time and size: the 12th derivative of a product of powers
    grows without limit, and sympy would grind for minutes producing megabytes of formula.
    ``expand=False``: see :func:`differentiate_each`."""
    return differentiate_each(expr, (symbol,), (what,), seconds, expand=expand)[0]


def differentiate_each(
    expr: Any,
    symbols: Sequence[Any],
    whats: Sequence[str],
    seconds: float = DIFF_SECONDS,
    *,
    expand: bool = True,
) -> tuple[Any, ...]:
    """d expr / d s for each of ``symbols`` (``whats`` name them in errors), bounded together:
    one time bound for all (setting one up costs a fraction of a millisecond, and ∇f of 1,000
    variables paid for 1,000), each result bounded in size as :func:`differentiate` does.

    ``expand=False`` is for numeric code, never for display: sympy multiplies a number into a sum
    as it builds a product (d/dx of (x + y² − 7)² becomes 2x + 2y² − 14), which hides the sum
    f is made of from ``cse``; left as 2·(x + y² − 7), f and ∇f share it, and ∇f costs fewer
    operations (and is computed as autograd computes it)."""
    import sympy as sp
    from sympy.core.parameters import distribute

    from gradcli.errors import TimeLimitError

    results: list[Any] = []
    current = 0  # the one being worked on, to name it if time runs out
    small = len(symbols) == 1 and _small(_parts(expr, symbols[0]))
    try:
        # A time bound costs a fraction of a millisecond to set up: ∂/∂x₇ of a 1,000-term sum
        # (one term, x₇²) is cheaper than that, and a descent asks for a million of them.
        with (
            contextlib.nullcontext() if small else time_limit(max(seconds, 0.05)),
            contextlib.nullcontext() if expand else distribute(False),
        ):
            for symbol, what in zip(symbols, whats):
                current = len(results)
                results.append(_derivative(sp, expr, symbol))
                size = sp.count_ops(results[-1])
                if size > MAX_DERIVATIVE_OPS:
                    raise TimeLimitError(
                        f"{what} has {size:,} operations (the limit is {MAX_DERIVATIVE_OPS:,})",
                        hint="the formula grows too large; try a lower order",
                    )
    except TimeUp:
        raise TimeLimitError(
            f"{whats[current]} took longer than {DIFF_SECONDS:g} s to compute",
            hint="the formula grows too large; try a lower order",
        ) from None
    return tuple(
        _settle_derivatives(r, what) if r.has(sp.Derivative) else r
        for r, what in zip(results, whats)
    )


def _derivative(sp: Any, expr: Any, symbol: Any) -> Any:
    if expr.is_Add:  # only the terms that hold the symbol: n-D sums stay O(n) per variable
        return sp.Add(*[sp.diff(t, symbol) for t in _terms_holding(expr, symbol)])
    return sp.diff(expr, symbol)


def _parts(expr: Any, symbol: Any) -> Sequence[Any]:
    """What differentiating ``expr`` by ``symbol`` works on: the terms that hold it, or all."""
    return _terms_holding(expr, symbol) if expr.is_Add else (expr,)


SMALL_NODES = 64  # an expression this small is differentiated in well under a millisecond


def _small(parts: Sequence[Any]) -> bool:
    """Whether ``parts`` have at most SMALL_NODES nodes in all (counting stops there)."""
    import sympy as sp

    count = 0
    for part in parts:
        for _ in sp.preorder_traversal(part):
            count += 1
            if count > SMALL_NODES:
                return False
    return True


INDEXED_TERMS = 16  # a sum with more terms is indexed by variable once (see _terms_holding)


def _terms_holding(expr: Any, symbol: Any) -> Sequence[Any]:
    """The terms of the sum ``expr`` that hold ``symbol``. A long sum is indexed once: searching
    all n terms for each of n variables made ∇f of a 1,000-variable sum quadratic."""
    if len(expr.args) <= INDEXED_TERMS:
        return [t for t in expr.args if t.has(symbol)]
    return _term_index(expr).get(symbol, ())


@lru_cache(maxsize=4)
def _term_index(expr: Any) -> dict[Any, tuple[Any, ...]]:
    index: dict[Any, list[Any]] = {}
    for term in expr.args:
        for symbol in term.free_symbols:
            index.setdefault(symbol, []).append(term)
    return {symbol: tuple(terms) for symbol, terms in index.items()}


def _settle_derivatives(result: Any, what: str) -> Any:
    """sympy leaves d/dx unevaluated where it cannot tell an argument is real (sign(√x), |√t|).
    sign′ is 0 wherever it exists (PyTorch's convention too); any other unevaluated derivative has
    no numeric form, so it is refused in one line rather than crashing an evaluator later."""
    import sympy as sp

    from gradcli.errors import MathError

    def is_sign(d: Any) -> bool:
        return isinstance(d, sp.Derivative) and d.expr.func == sp.sign

    result = result.replace(is_sign, lambda d: sp.S.Zero)
    left = result.atoms(sp.Derivative)
    if left:
        inner = sp.sstr(next(iter(left)).expr)
        raise MathError(
            f"{what} has no closed form: sympy cannot differentiate {inner[:80]} here",
            hint="the argument may not be real everywhere; rewrite f so it is (e.g. abs(u) for √(u²))",
        )
    return result


MODULES = ("numpy", "math", "mpmath")


def extra_functions(module: str) -> dict[str, Callable[..., Any]]:
    """gradcli's functions that ``lambdify`` cannot spell in ``module`` — the one namespace every
    compiled evaluator uses, so the real cube root is the same function everywhere.

    ``DiracDelta`` (the derivative of a step: the second derivative of abs and relu, the first of
    sign) is 0 everywhere, also at 0: that is what PyTorch autograd computes, and the value at the
    kink is a convention the output names (see :mod:`gradcli.calculus.kinks`). NaN stays NaN.
    """
    if module == "numpy":
        import numpy as np

        def delta(v: Any, k: Any = 0) -> Any:
            return np.where(np.isnan(v), np.nan, 0.0)

        return {"cbrt": np.cbrt, "DiracDelta": delta}
    if module == "math":
        import math

        return {
            "cbrt": lambda v: math.copysign(abs(v) ** (1 / 3), v),
            "DiracDelta": lambda v, k=0: math.nan if math.isnan(v) else 0.0,
        }
    if module == "mpmath":
        import mpmath

        # Comparisons here refuse complex values, which is what the verifier wants: such a
        # point is off the real domain and is skipped.
        return {
            "cbrt": lambda v: mpmath.sign(v) * abs(v) ** (mpmath.mpf(1) / 3),
            "Heaviside": lambda v, at_zero=0.5: (
                mpmath.mpf(1) if v > 0 else mpmath.mpf(0) if v < 0 else mpmath.mpf(at_zero)
            ),
            "DiracDelta": lambda v, k=0: mpmath.mpf(0) if v >= 0 or v < 0 else mpmath.nan,
        }
    raise ValueError(f"module must be one of {', '.join(MODULES)}, not {module!r}")


def conventional(expr: Any) -> Any:
    """``expr`` with every Dirac delta replaced by 0, the value the evaluators give it (PyTorch's
    second derivative of abs and relu): exact evaluation must agree with the compiled one, and
    ``DiracDelta(0)`` has no number sympy could print."""
    import sympy as sp

    if not expr.has(sp.DiracDelta):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)


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
    if module == "numpy":
        exprs = (
            [_wide_as_float(e) for e in exprs]
            if isinstance(exprs, list | tuple)
            else (_wide_as_float(exprs))
        )
    return sympy.lambdify(
        list(variables), exprs, modules=[extra_functions(module), _namespace(module)], cse=shared
    )


INT64_MAX = 2**63 - 1


def _wide_as_float(expr: Any) -> Any:
    """``expr`` with every integer wider than int64 written as the float it is to numpy: numpy 2
    converts such a Python int to float64 (1e149 is parsed exactly, as 10**149), numpy 1 makes
    an object array of it, on which ufuncs fail. Printed with 17 digits, the float is exact."""
    import sympy

    if not isinstance(expr, sympy.Basic):
        return expr
    wide = {}
    for n in expr.atoms(sympy.Integer):
        if abs(int(n)) > INT64_MAX:
            try:
                wide[n] = sympy.Float(float(int(n)), 17)  # 17 digits: the double exactly
            except OverflowError:  # past the largest float: left for numpy to refuse as before
                continue
    return expr.xreplace(wide) if wide else expr


def _namespace(module: str) -> Any:
    """What ``lambdify`` looks names up in for ``module``.

    numpy as the module object: given the string, sympy runs ``from numpy import *``, which
    imports numpy.f2py, numpy.testing, numpy.ma, numpy.random and more (a fifth of a second) for
    names no generated function uses. The object gives the same printer (sympy recognises it by
    name) and the same functions; the one name sympy's string would add, Heaviside for
    numpy.heaviside, is what the numpy printer writes anyway.
    """
    if module == "numpy":
        import numpy

        return numpy
    return module


# Functions whose graph has a corner or a jump where their argument is 0 (Max and Min: where two of
# their arguments tie), by sympy class name -> the name gradcli's users know them by.
KINK_FUNCTIONS = {
    "Abs": "abs",
    "relu": "relu",
    "Max": "max",
    "Min": "min",
    "sign": "sign",
    "Heaviside": "heaviside",
    "DiracDelta": "delta",
}
MAX_KINK_SITES = 256  # max/min of 64 arguments has 2016 ties; beyond this, check the first ones


def kink_sites(expr: Any) -> list[tuple[str, Any, Any]]:
    """``(kind, sub-expression, u)`` for every place ``expr`` may fail to be smooth: where u = 0.

    Syntactic only (|x|³ is listed although it is twice differentiable): callers confirm a kink by
    looking at the derivative on either side. Sorted, so that facts come out in a fixed order.
    """
    import itertools

    import sympy as sp

    sites: list[tuple[str, Any, Any]] = []
    found = [e for e in expr.atoms(sp.Function) if type(e).__name__ in KINK_FUNCTIONS]
    found += [e for e in expr.atoms(sp.Max, sp.Min)]
    for e in sorted(set(found), key=sp.default_sort_key):
        kind = KINK_FUNCTIONS[type(e).__name__]
        if kind in ("max", "min"):
            sites += [(kind, e, a - b) for a, b in itertools.combinations(e.args, 2)]
        else:
            sites.append((kind, e, e.args[0]))
        if len(sites) >= MAX_KINK_SITES:
            break
    return sites[:MAX_KINK_SITES]


def sigmoid_arguments(expr: Any) -> list[Any]:
    """The arguments u of every sigmoid 1/(1 + e^(−u)) in ``expr`` (sympy keeps sigmoid so)."""
    import sympy as sp

    found = []
    for p in expr.atoms(sp.Pow):
        base = p.base
        if p.exp == -1 and isinstance(base, sp.Add) and len(base.args) == 2 and 1 in base.args:
            other = base.args[0] if base.args[1] == 1 else base.args[1]
            if isinstance(other, sp.exp):
                found.append(-other.args[0])
    return sorted(found, key=sp.default_sort_key)
