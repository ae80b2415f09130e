"""Evaluating symbolic results at points — exactly where the inputs are exact — and the numeric
checks beside them (classification from eigenvalues, finite differences).

numpy is imported only where a float guard or a difference check needs it, so ``grad`` at a point
does not pay for it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from gradcli.calculus.results import DifferenceStep, FiniteDifference, Value
from gradcli.errors import MathError, UsageError
from gradcli.function import Function
from gradcli.limits import TimeUp, bounded, time_limit, work_clock
from gradcli.points import Point
from gradcli.symbolic import conventional, simplest

EVALUATE_SECONDS = 2.0
SOLVE_SECONDS = 3.0
EPS = 2.0**-52  # float64 machine epsilon


def _sympy() -> Any:
    import sympy

    return sympy


def require_variables(fn: Function) -> None:
    if not fn.variables:
        raise UsageError(
            f"f = {fn.understood} has no variables: there is nothing to differentiate",
            hint="use {vars} x to treat it as a function of x",
            parameters=("vars",),
        )


def evaluate(expr: Any, fn: Function, at: Point, what: str = "f") -> Value:
    """``expr`` at ``at``: exact when the point is exact, and always a finite real float.

    Raises :class:`MathError` (exit 1) when the value is undefined, infinite or not real there.
    """
    return _evaluate(expr, fn, at, what, shared=False)


TIDY_ALL_SECONDS = 2.0  # shortening the exact values of one evaluate_each, all together


def evaluate_each(
    exprs: Sequence[Any], fn: Function, at: Point, whats: Sequence[str]
) -> tuple[Value, ...]:
    """:func:`evaluate` of each of ``exprs`` at ``at``, under one time bound for all of them.

    A time bound costs a fraction of a millisecond to set up; a gradient of 1,000 components paid
    for 2,000 of them. Where the shared bound runs out, the values not yet found are evaluated one
    by one under bounds of their own, as :func:`evaluate` does, so a slow component still falls
    back to its float alone. Shortening exact values (:func:`tidy`) gets TIDY_ALL_SECONDS in all:
    50 components of half a second each kept grad busy for 25 s.
    """
    exprs = [conventional(e) for e in exprs]
    guesses = _float_values(exprs, fn, at)
    tidy_until = work_clock() + TIDY_ALL_SECONDS
    values: list[Value] = []
    limit = time_limit(EVALUATE_SECONDS, "evaluating at a point")
    try:
        with limit:
            for e, w, guess in zip(exprs, whats, guesses):
                values.append(
                    _evaluate(e, fn, at, w, shared=True, guess=guess, tidy_until=tidy_until)
                )
    except TimeUp:
        if not limit.expired:
            raise
    rest = list(zip(exprs, whats, guesses))[len(values) :]
    for e, w, guess in rest:
        values.append(_evaluate(e, fn, at, w, shared=False, guess=guess, tidy_until=tidy_until))
    return tuple(values)


_UNKNOWN: Any = object()  # no float value computed yet


def _evaluate(
    expr: Any,
    fn: Function,
    at: Point,
    what: str,
    *,
    shared: bool,
    guess: Any = _UNKNOWN,
    tidy_until: float | None = None,
) -> Value:
    """:func:`evaluate`; ``shared``: inside :func:`evaluate_each`'s bound, which a TimeUp leaves;
    ``guess``: the float value, when :func:`_float_values` computed it already; ``tidy_until``:
    the time after which an exact value is no longer shortened."""
    sp = _sympy()
    expr = conventional(expr)  # δ(0) has no number: the evaluators' convention is 0
    own = _own_variables(expr, fn)
    exact: Any = None
    if at.is_exact:
        # Substitution alone is cheap and says 'undefined' exactly (1/0 -> zoo, 0*log(0) -> nan).
        where = (
            at.subs(fn.variables) if own is None else {fn.variables[i]: at.exact[i] for i in own}
        )
        try:
            if shared:
                exact = expr.xreplace(where)
            else:
                exact = bounded(EVALUATE_SECONDS, lambda: expr.xreplace(where), None)
        except (ValueError, TypeError, ArithmeticError):
            # sympy refuses to build some undefined values at all: min(1/y, x) at y = 0 is
            # Min(zoo, x), 'zoo is not comparable'. Undefined there, like 1/0.
            raise MathError(
                f"{what} is undefined at {at.label()}", hint=_why_undefined(expr, fn)
            ) from None
        if exact is not None and exact.has(sp.zoo, sp.nan):
            raise MathError(f"{what} is undefined at {at.label()}", hint=_why_undefined(expr, fn))
    # A float before any numeric evaluation in sympy: evalf of exp(exp(100)) would have mpmath
    # grind through numbers with 10^43 digits inside C code that no time limit can interrupt.
    if guess is _UNKNOWN:
        guess = _float_value(expr, fn, at, own)
    if guess is not None and (math.isinf(guess.real) or math.isinf(guess.imag)):
        raise MathError(f"{what} is infinite or too large for a float at {at.label()}")
    number: complex | None = None
    if exact is not None:
        try:
            with contextlib.nullcontext() if shared else time_limit(EVALUATE_SECONDS):
                left = TIDY_SECONDS if tidy_until is None else tidy_until - work_clock()
                if not exact.is_Number and left > 0:
                    exact = tidy(exact, min(TIDY_SECONDS, left))
                number = complex(sp.N(exact, 17))
        except TimeUp:
            if shared:
                raise
            exact = None
        except (TypeError, ValueError, ArithmeticError):
            # sympy left something it cannot turn into a number: use the float evaluator's value
            # (or say undefined below) rather than let a sympy error out of the core.
            exact = None
    if number is None:
        number = guess if guess is not None else complex(float("nan"))
    if math.isnan(number.real) or math.isnan(number.imag):
        raise MathError(f"{what} is undefined at {at.label()}", hint=_why_undefined(expr, fn))
    if not math.isfinite(number.real) or not math.isfinite(number.imag):
        raise MathError(f"{what} is infinite at {at.label()}")
    if abs(number.imag) > 1e-12 * max(1.0, abs(number.real)):
        raise MathError(
            f"{what} is not real at {at.label()} (its value would be {_complex(number)})"
        )
    return Value(exact=exact, value=number.real)


def _own_variables(expr: Any, fn: Function) -> tuple[int, ...] | None:
    """The positions in ``fn.variables`` of the variables ``expr`` holds, in order; None when it
    holds a symbol that is not one of them (then nothing numeric can be made of it)."""
    index = fn.index
    try:
        return tuple(sorted(index[s] for s in expr.free_symbols))
    except KeyError:
        return None


@lru_cache(maxsize=4096)  # ∇f of 1,000 variables has 1,001 functions to check at every point
def _float_function(expr: Any, variables: tuple[Any, ...]) -> Any:
    """``expr`` (or a tuple of expressions: a function returning a list) compiled over
    ``variables`` for the math module."""
    from gradcli.symbolic import lambdify

    # The math module, not numpy: the guard must not cost grad a numpy import.
    return lambdify(variables, list(expr) if isinstance(expr, tuple) else expr, "math")


def _float_value(expr: Any, fn: Function, at: Point, own: tuple[int, ...] | None) -> complex | None:
    """expr at the point in float64 (fast, and safe from huge exact numbers); None if unknown.

    Compiled over the variables ``expr`` holds, not all of f's: ∂f/∂x₇ = 2x₇ of a sum of 1,000
    squares is a function of one variable, and code over all 1,000 for each of 1,001 expressions
    was quadratic."""
    if own is None:
        return None  # a symbol that is not a variable has no value
    variables = fn.variables
    try:
        compiled = _float_function(expr, tuple(variables[i] for i in own))
        return complex(compiled(*(at.values[i] for i in own)))
    except OverflowError:
        return complex(math.inf)
    except (TypeError, ValueError, ZeroDivisionError, NameError, AttributeError):
        return None


def _float_values(exprs: Sequence[Any], fn: Function, at: Point) -> list[Any]:
    """The float value of each of ``exprs`` (:func:`_float_value`) from one compiled function of
    them all: compiling 1,001 small functions costs more than evaluating them. Where one of them
    fails in float64 (1/x at 0), each gets its own evaluation instead (``_UNKNOWN``)."""
    if len(exprs) < 2 or any(_own_variables(e, fn) is None for e in exprs):
        return [_UNKNOWN] * len(exprs)
    try:
        values = _float_function(tuple(exprs), fn.variables)(*at.values)
        return [complex(v) for v in values]
    except (OverflowError, TypeError, ValueError, ZeroDivisionError, NameError, AttributeError):
        return [_UNKNOWN] * len(exprs)


TIDY_SECONDS = 0.5


def tidy(exact: Any, seconds: float = TIDY_SECONDS) -> Any:
    """A shorter exact value when simplify finds one quickly (sympy already writes √40 as 2√10).

    A value with sin, exp, log … of numbers in it is factored over one denominator (``factor``)
    instead, and only when it is small enough that factor is sure to finish (:func:`_factors_fast`).
    simplify's heuristics take half a second and more on some such values (x³·sin x + … at 33/25:
    0.52 s, for a 9-operation value), and factor does on larger ones (exp(131/50) is exp(1/50)¹³¹:
    0.7 s), so whether a bounded call finished decided the printed form, and with it the bytes of
    the answer, by how fast the machine was. Decided by size, the form is the same everywhere (and
    the result cache, which predicts it without sympy, uses the same limits)."""
    sp = _sympy()
    if exact.free_symbols or not exact.atoms(sp.Function):
        return simplest(exact, seconds)
    if not _factors_fast(exact):
        return exact
    candidate = bounded(seconds, lambda: sp.factor(exact), exact)
    return candidate if sp.count_ops(candidate) <= sp.count_ops(exact) else exact


def _factors_fast(exact: Any) -> bool:
    """Whether ``factor`` is sure to finish on ``exact`` well inside its bound: its numerator over
    one denominator, and each factor (a power's base) that factor factors on its own, as a
    polynomial in sympy's generators (exp(p/q) is exp(1/q)^p), has at most
    FAST_GENERATORS generators, FAST_TERMS terms, degree FAST_DEGREE in each, and primitive
    integer coefficients below FAST_INTEGER (measured: at most ~25 ms there; outside, 0.3–3.9 s
    on values as small as exp(24/5) or 40-digit coefficients)."""
    from gradcli.cache.forms import FAST_DEGREE, FAST_GENERATORS, FAST_INTEGER, FAST_TERMS

    sp = _sympy()
    try:
        together = sp.together(exact)
        # exp(p/q) is the generator exp(1/q) to the power p: past FAST_DEGREE already, known
        # without building the dense polynomial (at y = 1.5374, exp(1/5000)^7687: 7 ms a Poly)
        for e in together.atoms(sp.exp):
            if e.args[0].is_Rational and abs(e.args[0].p) > FAST_DEGREE:
                return False
        # factor factors each factor of the fraction on its own, and a power's base: √(a² + b²)
        # is the factor_list of a² + b², however small the √ looks as one generator
        bases = [a.base if a.is_Pow else a for a in sp.Mul.make_args(together)]
        polys = [sp.Poly(sp.fraction(together)[0])]
        polys += [sp.Poly(b) for b in bases if not b.is_Number]
    except (sp.PolynomialError, sp.GeneratorsNeeded, ValueError, TypeError):
        return False
    for poly in polys:
        if len(poly.gens) > FAST_GENERATORS or len(poly.terms()) > FAST_TERMS:
            return False
        if any(d > FAST_DEGREE for d in poly.degree_list()):
            return False
        _, primitive = poly.primitive()
        if not all(abs(c) < FAST_INTEGER for c in primitive.coeffs()):
            return False
    return True


def _why_undefined(expr: Any, fn: Function) -> str | None:
    sp = _sympy()
    if expr.has(sp.log):
        return "log is undefined at 0 and not real below 0"
    if any(p.exp.is_negative for p in expr.atoms(sp.Pow)):
        return "it divides by zero there"
    return None


def _complex(z: complex) -> str:
    return f"{z.real:.6g}{'+' if z.imag >= 0 else '-'}{abs(z.imag):.6g}i"


def finite_difference(
    fn: Function, expr: Any, var_index: int, at: Point, exact: float, h: float | None = None
) -> FiniteDifference:
    """Forward (f(x+h) − f(x))/h and central (f(x+h) − f(x−h))/2h estimates of ∂expr/∂x_i.

    Default steps balance truncation against rounding error in float64: √ε·max(1, |x|) for the
    forward difference (error O(h)), ∛ε·max(1, |x|) for the central one (error O(h²)). Each
    quotient divides by the step the floats really took, (x + h) − x, not by h: x + h is rounded,
    and dividing by the rounded step removes that error from the slope (Numerical Recipes §5.7).
    """
    import numpy as np

    g = _difference_function(expr, fn.variables)
    base = np.array(at.values, dtype=float)
    x = float(base[var_index])
    scale = max(1.0, abs(x))
    h_forward = h if h is not None else math.sqrt(EPS) * scale
    h_central = h if h is not None else EPS ** (1 / 3) * scale

    def f_at(coordinate: float) -> float:
        point = base.copy()
        point[var_index] = coordinate
        with np.errstate(all="ignore"):
            return float(np.real(g(*point)[0]))

    v = fn.names[var_index]
    for step in (h_forward, h_central):
        if x + step == x or x - step == x:
            raise UsageError(
                f"{{h}} {step:g} is too small at {v} = {x:g}: {v} ± h rounds back to {v} in "
                f"float64 (a step there must be at least {math.ulp(x):.2g})",
                parameters=("h",),
            )
    f0 = f_at(x)
    forward = DifferenceStep(x, x + h_forward, f0, f_at(x + h_forward))
    central = DifferenceStep(x - h_central, x + h_central, f_at(x - h_central), f_at(x + h_central))
    return FiniteDifference(
        exact,
        h_forward,
        _slope(forward),
        h_central,
        _slope(central),
        variable=fn.names[var_index],
        forward_step=forward,
        central_step=central,
    )


@lru_cache(maxsize=8)
def _difference_function(expr: Any, variables: tuple[Any, ...]) -> Any:
    """``expr`` compiled for the difference quotients, once: ``grad --check`` differences f along
    each of its n variables, and compiling f anew for each was quadratic (1,000 variables: over
    two minutes)."""
    from gradcli.symbolic import lambdify

    return lambdify(variables, [expr])


def _slope(step: DifferenceStep) -> float:
    """Δy/Δx; nan where the step vanished in rounding (h far below x's last digit)."""
    with_step = step.dx != 0 and math.isfinite(step.dx)
    return step.slope if with_step else math.nan


# --- partial ------------------------------------------------------------------------------------
