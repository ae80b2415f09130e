"""Evaluating symbolic results at points — exactly where the inputs are exact — and the numeric
checks beside them (classification from eigenvalues, finite differences).

numpy is imported only where a float guard or a difference check needs it, so ``grad`` at a point
does not pay for it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from gradcli.calculus.results import DifferenceStep, FiniteDifference, Value
from gradcli.errors import MathError, UsageError
from gradcli.function import Function
from gradcli.limits import TimeUp, bounded, time_limit
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
    sp = _sympy()
    expr = conventional(expr)  # δ(0) has no number: the evaluators' convention is 0
    exact: Any = None
    if at.is_exact:
        # Substitution alone is cheap and says 'undefined' exactly (1/0 -> zoo, 0*log(0) -> nan).
        try:
            exact = bounded(EVALUATE_SECONDS, lambda: expr.xreplace(at.subs(fn.variables)), None)
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
    guess = _float_value(expr, fn, at)
    if guess is not None and (math.isinf(guess.real) or math.isinf(guess.imag)):
        raise MathError(f"{what} is infinite or too large for a float at {at.label()}")
    number: complex | None = None
    if exact is not None:
        try:
            with time_limit(EVALUATE_SECONDS):
                if not exact.is_Number:
                    exact = tidy(exact)
                number = complex(sp.N(exact, 17))
        except TimeUp:
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


@lru_cache(maxsize=512)
def _float_function(expr: Any, variables: tuple[Any, ...]) -> Any:
    from gradcli.symbolic import lambdify

    # The math module, not numpy: the guard must not cost grad a numpy import.
    return lambdify(variables, expr, "math")


def _float_value(expr: Any, fn: Function, at: Point) -> complex | None:
    """expr at the point in float64 (fast, and safe from huge exact numbers); None if unknown."""
    try:
        return complex(_float_function(expr, fn.variables)(*at.values))
    except OverflowError:
        return complex(math.inf)
    except (TypeError, ValueError, ZeroDivisionError, NameError, AttributeError):
        return None


def tidy(exact: Any) -> Any:
    """A shorter exact value when simplify finds one quickly (sympy already writes √40 as 2√10)."""
    return simplest(exact, 0.5)


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

    from gradcli.symbolic import lambdify

    g = lambdify(fn.variables, [expr])
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


def _slope(step: DifferenceStep) -> float:
    """Δy/Δx; nan where the step vanished in rounding (h far below x's last digit)."""
    with_step = step.dx != 0 and math.isfinite(step.dx)
    return step.slope if with_step else math.nan


# --- partial ------------------------------------------------------------------------------------
