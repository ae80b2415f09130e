"""How big is every constant? Approximate values that keep constant subexpressions computable.

sympy keeps ``exp(exp(exp(5)))`` or ``sin(10**400)`` exact and unevaluated, and then grinds for
minutes the first time anything (printing, a comparison, a value at a point) needs digits of it:
evaluating ``f(a)`` for a periodic or exponential ``f`` needs about as many digits of precision as
``a`` has before its decimal point. So the builder carries, for every constant subexpression, an
approximate value at :data:`PREC` bits (an mpmath number: its exponent is unbounded, so 10^3000 is
as cheap as 3), and before each function or operator is applied it predicts the size of the
result from its arguments' approximations:

- every constant stays within 10^±:data:`MAX_CONSTANT_DIGITS` (the exp family and powers are
  checked *before* computing, from the argument: ``exp(a)`` is about 10^(a/ln 10));
- a periodic function (sin, cos, tan, sec, csc, cot, and exp/sinh/cosh/tanh of an imaginary part)
  is refused beyond :data:`MAX_PERIODIC_ARGUMENT`: there a float cannot tell one period from the
  next, so the value means nothing, and computing it exactly costs a digit per decade;
- erf of a complex argument grows like exp(z²), and is bounded accordingly.

Anything that cannot be approximated (an mpmath failure, an infinity, division by a constant that
rounds to zero) is refused rather than trusted. Each refusal is a :class:`Refusal` whose message the
builder completes with the subexpression and a caret.

The approximations only guard computation; the expression itself stays exact (``pi/4``,
``sqrt(2)``, ``2**100`` are kept as they are).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from gradcli.expr.grammar import MAX_CONSTANT_DIGITS, MAX_PERIODIC_ARGUMENT

PREC = 64  # bits: magnitudes need a few digits, cancellation a few more
Approx = Any  # an mpmath mpf or mpc of the private context


class Refusal(Exception):
    """A constant subexpression that cannot be computed; the message says why, without where."""


@functools.cache
def context() -> Any:
    """A private mpmath context: the global ``mpmath.mp`` precision is sympy's and the user's."""
    from mpmath.ctx_mp import MPContext

    ctx = MPContext()
    ctx.prec = PREC
    return ctx


def _limit_text() -> str:
    return f"constants must stay within 10^±{MAX_CONSTANT_DIGITS}"


def _power_text(log10: Any) -> str:
    """10^L for a possibly astronomically large L: '10^434', '10^-4343', '10^(5.4e+63)'."""
    ctx = context()
    if abs(log10) < 1e4:  # one decimal: 10^4000.2 is beyond a limit of 10^4000
        return f"10^{float(log10):.1f}"
    if abs(log10) < 1e6:
        return f"10^{int(ctx.nint(log10))}"
    return f"10^({ctx.nstr(log10, 2)})"


def _number_text(value: Any) -> str:
    return str(context().nstr(value, 3))


def exact(value: Any) -> Approx:
    """The approximation of a sympy number or constant expression (one that passed the guard)."""
    result = value._to_mpmath(PREC)
    return _checked(result)


def magnitude(value: Approx) -> Any:
    """log10 |value| (an mpf), or None for zero."""
    ctx = context()
    size = ctx.fabs(value)
    return None if size == 0 else ctx.log10(size)


def _checked(value: Approx) -> Approx:
    """``value`` if it is a usable constant: finite and within 10^±MAX_CONSTANT_DIGITS."""
    ctx = context()
    if not ctx.isfinite(value):
        raise Refusal("is undefined or too close to a singularity to evaluate")
    size = magnitude(value)
    if size is not None and abs(size) > MAX_CONSTANT_DIGITS:
        word = "large" if size > 0 else "small"
        raise Refusal(f"is too {word} to compute with: about {_power_text(size)} ({_limit_text()})")
    return value


def _exp_of(argument: Approx, what: str = "the value") -> None:
    """Refuse exp(argument) before computing it when it would leave the limits."""
    ctx = context()
    log10 = ctx.re(argument) / ctx.ln(10)
    if abs(log10) > MAX_CONSTANT_DIGITS:
        word = "large" if log10 > 0 else "small"
        raise Refusal(
            f"is too {word} to compute with: {what} is about {_power_text(log10)} ({_limit_text()})"
        )
    _periodic(ctx.im(argument), "the imaginary part of the argument")


def _periodic(argument: Approx, what: str = "the argument") -> None:
    """Refuse a periodic function of an argument too large for its period to be resolved."""
    ctx = context()
    if ctx.fabs(argument) > MAX_PERIODIC_ARGUMENT:
        raise Refusal(
            f"has no meaningful value: {what} is about {_number_text(argument)}, beyond "
            f"{MAX_PERIODIC_ARGUMENT:.0e}, where a float cannot tell one period from the next"
        )


def _trig(name: str) -> Callable[[Approx], Approx]:
    def apply(a: Approx) -> Approx:
        ctx = context()
        _periodic(ctx.re(a))
        _exp_of(ctx.fabs(ctx.im(a)), "the value")  # sin(i y) = i sinh(y)
        return getattr(ctx, name)(a)

    return apply


def _exponential(name: str) -> Callable[[Approx], Approx]:
    def apply(a: Approx) -> Approx:
        ctx = context()
        sign = 1 if name == "exp" else ctx.sign(ctx.re(a)) or 1  # cosh/sinh grow both ways
        _exp_of(sign * a)
        return getattr(ctx, name)(a)

    return apply


def _tanh(a: Approx) -> Approx:
    ctx = context()
    _periodic(ctx.im(a), "the imaginary part of the argument")
    return ctx.tanh(a)


def _erf(a: Approx) -> Approx:
    ctx = context()
    if ctx.im(a) != 0:  # off the real line erf(z) grows like exp(-z**2)
        _exp_of(-(a**2), "the value")
    return ctx.erf(a)


def _sigmoid(a: Approx) -> Approx:
    ctx = context()
    _exp_of(-a, "exp(-argument) inside it")  # sympy keeps sigmoid as 1/(1 + exp(-x))
    return 1 / (1 + ctx.exp(-a))


def _softplus(a: Approx) -> Approx:
    ctx = context()
    _exp_of(a, "exp(argument) inside it")  # sympy keeps softplus as log(1 + exp(x))
    return ctx.log(1 + ctx.exp(a))


def _real(a: Approx) -> Any:
    return context().re(a)


def _log(a: Approx, base: Approx | None = None) -> Approx:
    ctx = context()
    return ctx.log(a) if base is None else ctx.log(a) / ctx.log(base)


def _cbrt(a: Approx) -> Approx:
    ctx = context()
    if ctx.im(a) == 0:  # the real cube root, as gradcli's cbrt
        return ctx.sign(ctx.re(a)) * ctx.cbrt(ctx.fabs(a))
    return ctx.cbrt(a)


@functools.cache
def _functions() -> dict[str, Callable[..., Approx]]:
    ctx = context()
    table: dict[str, Callable[..., Approx]] = {
        name: _trig(name) for name in ("sin", "cos", "tan", "sec", "csc", "cot")
    }
    table.update({name: _exponential(name) for name in ("exp", "sinh", "cosh")})
    table.update(
        {
            name: getattr(ctx, name)
            for name in ("asin", "acos", "atan", "asinh", "acosh", "atanh", "sqrt")
        }
    )
    table.update(
        {
            "tanh": _tanh,
            "erf": _erf,
            "sigmoid": _sigmoid,
            "softplus": _softplus,
            "log": _log,
            "ln": _log,
            "log2": lambda a: ctx.log(a, 2),
            "log10": ctx.log10,
            "cbrt": _cbrt,
            "abs": ctx.fabs,
            "sign": ctx.sign,
            "atan2": lambda y, x: ctx.atan2(_real(y), _real(x)),
            "min": lambda *a: min(a, key=_real),
            "max": lambda *a: max(a, key=_real),
            "relu": lambda a: max(ctx.zero, _real(a)),
            # the step: 0, 1/2 or 1 (its size is all the guard needs)
            "heaviside": lambda a: (ctx.one + ctx.sign(_real(a))) / 2,
        }
    )
    return table


def call(name: str, args: Sequence[Approx]) -> Approx:
    """The approximate value of ``name(*args)``, or a :class:`Refusal` (checked before computing)."""
    return _evaluate(lambda: _functions()[name](*args))


def power(base: Approx, exponent: Approx, integer_exponent: bool) -> Approx:
    """base**exponent, refused before computing when it would leave the limits."""
    ctx = context()
    if base == 0:
        return _evaluate(lambda: ctx.power(base, exponent))
    w = exponent * ctx.log(base)
    _exp_of(ctx.re(w))
    if not integer_exponent:  # (-1)**(10**20) is exactly 1; (-1)**(10**20 + 1/3) means nothing
        _periodic(ctx.im(w), "the angle of the power")
    return _evaluate(lambda: ctx.power(base, exponent))


def arithmetic(op: str, a: Approx, b: Approx) -> Approx:
    """a + b, a - b, a * b or a / b: both are within the limits, so computing is cheap."""
    if op == "/" and b == 0:
        raise Refusal("divides by a constant that is zero or too close to zero to tell")
    results: dict[str, Callable[[], Approx]] = {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a / b,
    }
    return _evaluate(results[op])


def _evaluate(compute: Callable[[], Approx]) -> Approx:
    try:
        value = compute()
    except Refusal:
        raise
    except (ZeroDivisionError, ValueError, ArithmeticError):
        raise Refusal("is undefined or too close to a singularity to evaluate") from None
    return _checked(value)
