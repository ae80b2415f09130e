"""Rational functions kept as data, evaluated exactly with Python's fractions — sympy's answers
without sympy, for the cases where they are provably the same.

A function whose expression is built from rational numbers, its variables, ``+``, ``*`` and
integer powers is stored as a tree of JSON lists (:func:`tree`): ``["n", p, q]`` a rational,
``["v", i]`` the i-th variable, ``["+", …]``, ``["*", …]``, ``["^", base, k]``. At a rational
point its value is a rational (sympy's ``xreplace`` gives the same number: rational arithmetic is
exact, and sympy evaluates it fully), and the gradient's norm is ``c·√z`` with c rational and z a
square-free integer, the canonical form sympy gives ``sqrt`` of a rational.

Everything that could make sympy's answer differ is refused (``None``: the caller runs the full
path): a division by zero, a number or exponent past fixed sizes (sympy's time bounds and its
partial factoring of large integers), magnitudes near float64's limits (the float guard beside
the exact value could overflow). The tree is data, interpreted here: nothing is ever executed.

The tree also holds the elementary functions (:data:`ELEMENTARY`: ``["f", name, arg]``), π and
e (``["c", "pi"]``, ``["c", "E"]``), rational exponents (``["^q", base, p, q]``: √ is
``p/q = 1/2``) and powers with an expression as exponent (``["^e", base, exponent]``).
:func:`evaluate` refuses those (a tree is rational only if :func:`is_rational`);
:mod:`gradcli.cache.elementary` answers them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

MAX_NODES = 2000  # a larger function is not worth the cache's bytes
MAX_DEPTH = 60
MAX_EXPONENT = 64
MAX_BITS = 2048  # numerator or denominator of any value met on the way
MAX_MAGNITUDE = (
    Fraction(2) ** 900
)  # values stay well inside float64 (the float guard cannot overflow)
MIN_MAGNITUDE = Fraction(1, 2**900)
SURD_LIMIT = 2**30  # sympy factors numbers below this completely (trial division to 2**15)
TRIAL_LIMIT = 2**15


# sympy's function classes the tree may hold (by class name, from sympy's own modules), as named
# in gradcli's function table after parsing (ln is log, sec/csc/cot stay out: rarely typed, and
# each would need its own poles checked)
ELEMENTARY = (
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "sinh",
    "cosh",
    "tanh",
    "asin",
    "acos",
    "atan",
)
CONSTANTS = {"Pi": "pi", "Exp1": "E"}


class Refused(Exception):
    """The exact path cannot promise sympy's answer here; the caller takes the full path."""


# --- sympy -> tree ---------------------------------------------------------------------------------
def tree(expr: Any, variables: Sequence[Any]) -> list[Any] | None:
    """``expr`` (a sympy expression) as a tree over ``variables``, or None when it holds anything
    but rationals, the variables, + × and powers, :data:`ELEMENTARY` functions, π and e (or is too
    large to be worth keeping)."""
    index = {v: i for i, v in enumerate(variables)}
    count = [0]

    def walk(e: Any, depth: int) -> list[Any]:
        count[0] += 1
        if count[0] > MAX_NODES or depth > MAX_DEPTH:
            raise Refused
        if getattr(e, "is_Rational", False):
            return ["n", int(e.p), int(e.q)]
        if getattr(e, "is_Symbol", False):
            if e not in index:
                raise Refused
            return ["v", index[e]]
        if getattr(e, "is_Add", False):
            return ["+", *(walk(a, depth + 1) for a in e.args)]
        if getattr(e, "is_Mul", False):
            return ["*", *(walk(a, depth + 1) for a in e.args)]
        if getattr(e, "is_Pow", False):
            exp = e.exp
            if getattr(exp, "is_Integer", False) and abs(int(exp)) <= MAX_EXPONENT:
                return ["^", walk(e.base, depth + 1), int(exp)]
            small = getattr(exp, "is_Rational", False) and max(abs(exp.p), exp.q) <= MAX_EXPONENT
            if small:
                return ["^q", walk(e.base, depth + 1), int(exp.p), int(exp.q)]
            return ["^e", walk(e.base, depth + 1), walk(exp, depth + 1)]
        kind = type(e)
        if kind.__name__ in CONSTANTS and kind.__module__.startswith("sympy."):
            return ["c", CONSTANTS[kind.__name__]]
        if (
            kind.__name__ in ELEMENTARY
            and kind.__module__.startswith("sympy.functions.")
            and len(e.args) == 1
        ):
            return ["f", kind.__name__, walk(e.args[0], depth + 1)]
        raise Refused

    try:
        return walk(expr, 0)
    except (Refused, RecursionError):
        return None


def is_rational(node: Any, depth: int = 0) -> bool:
    """Whether the tree holds only rationals, variables, + × and integer powers (what
    :func:`evaluate` answers); False also for anything not as gradcli writes it."""
    if not isinstance(node, list) or not node or depth > MAX_DEPTH:
        return False
    op = node[0]
    if op in ("n", "v"):
        return True
    if op in ("+", "*"):
        return all(is_rational(a, depth + 1) for a in node[1:])
    if op == "^" and len(node) == 3:
        return is_rational(node[1], depth + 1)
    return False


# --- evaluation ------------------------------------------------------------------------------------
def evaluate(node: Any, point: Sequence[Fraction]) -> Fraction:
    """The tree's exact value at ``point``; :class:`Refused` where sympy's answer could differ
    (or the tree is not one gradcli wrote)."""
    value = _evaluate(node, point, 0)
    check(value)
    return value


def _evaluate(node: Any, point: Sequence[Fraction], depth: int) -> Fraction:
    if not isinstance(node, list) or not node or depth > MAX_DEPTH:
        raise Refused
    op = node[0]
    if op == "n" and len(node) == 3:
        p, q = node[1], node[2]
        if type(p) is not int or type(q) is not int or q <= 0:
            raise Refused
        value = Fraction(p, q)
    elif op == "v" and len(node) == 2:
        i = node[1]
        if type(i) is not int or not 0 <= i < len(point):
            raise Refused
        value = point[i]
    elif op == "+" and len(node) > 2:
        value = Fraction(0)
        for arg in node[1:]:
            value += _evaluate(arg, point, depth + 1)
    elif op == "*" and len(node) > 2:
        value = Fraction(1)
        for arg in node[1:]:
            value *= _evaluate(arg, point, depth + 1)
            check(value)
    elif op == "^" and len(node) == 3:
        base = _evaluate(node[1], point, depth + 1)
        k = node[2]
        if type(k) is not int or abs(k) > MAX_EXPONENT:
            raise Refused
        if base == 0 and k < 0:
            raise Refused  # 1/0: sympy says undefined, the full path explains it
        bits = max(base.numerator.bit_length(), base.denominator.bit_length())
        if bits * abs(k) > MAX_BITS:
            raise Refused
        value = base**k
    else:
        raise Refused
    check(value)
    return value


def check(value: Fraction) -> None:
    """Refused for a rational past the sizes where sympy's answer is promised."""
    if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
        raise Refused
    if value and not MIN_MAGNITUDE <= abs(value) <= MAX_MAGNITUDE:
        raise Refused


# --- the float sympy reports -----------------------------------------------------------------------
def sympy_float(value: Fraction) -> float:
    """``complex(sympy.N(value, 17)).real``, computed as sympy does it, without sympy.

    Not simply ``float(value)``: sympy evaluates a rational to 64 bits rounding toward zero (its
    working precision for 17 digits plus 4 guard bits), rounds that to nearest at 60 bits (the
    Float it returns), and complex() rounds to nearest again at 53 bits. The double rounding
    differs from the correctly rounded float in about 1 case in 200.
    """
    if value == 0:
        return 0.0
    sign = -1.0 if value < 0 else 1.0
    p, q = abs(value.numerator), value.denominator
    # floor(p/q · 2^s) with exactly 64 bits: rounding toward zero at 64 bits
    shift = 64 - (p.bit_length() - q.bit_length())
    mantissa = (p << shift) // q if shift >= 0 else p // (q << -shift)
    if mantissa.bit_length() > 64:
        shift -= 1
        mantissa = (p << shift) // q if shift >= 0 else p // (q << -shift)
    elif mantissa.bit_length() < 64:
        shift += 1
        mantissa = (p << shift) // q if shift >= 0 else p // (q << -shift)
    exponent = -shift
    mantissa, exponent = _nearest(mantissa, exponent, 60)
    mantissa, exponent = _nearest(mantissa, exponent, 53)
    return sign * math.ldexp(mantissa, exponent)


def _nearest(mantissa: int, exponent: int, bits: int) -> tuple[int, int]:
    """mantissa·2^exponent rounded to ``bits`` significant bits, ties to even."""
    drop = mantissa.bit_length() - bits
    if drop <= 0:
        return mantissa, exponent
    kept, rest = divmod(mantissa, 1 << drop)
    half = 1 << (drop - 1)
    if rest > half or (rest == half and kept & 1):
        kept += 1
    return kept, exponent + drop


# --- square roots ----------------------------------------------------------------------------------
def square_root(value: Fraction) -> tuple[Fraction, int]:
    """√value as (c, z) with √value = c·√z, z a square-free integer (1 when √value is rational):
    the canonical form sympy gives ``sqrt`` of a rational. :class:`Refused` for numbers sympy
    might not factor completely, where its form could keep a square under the root."""
    if value < 0:
        raise Refused
    if value == 0:
        return Fraction(0), 1
    sa, ta, big_a = _split_square(value.numerator)
    sb, tb, big_b = _split_square(value.denominator)
    if big_a is not None and big_a == big_b:
        raise Refused  # the one case where sympy multiplies two unfactored primes back together
    # √(a/b) = sa·√ta / (sb·√tb) = sa·√(ta·tb) / (sb·tb); ta, tb square-free, so only their
    # common factor g is squared in ta·tb.
    g = math.gcd(ta, tb)
    c = Fraction(sa * g, sb * tb)
    return c, (ta // g) * (tb // g)


def _split_square(n: int) -> tuple[int, int, int | None]:
    """n = s²·t with t square-free, as sympy finds it, and t's prime factor above the trial
    limit, if any. sympy takes an exact root first (any size); otherwise it divides out primes up
    to 2**15, which factors n completely only below 2**30 (at most one larger prime is left)."""
    root = math.isqrt(n)
    if root * root == n:
        return root, 1, None
    if n >= SURD_LIMIT:
        raise Refused
    s, t = 1, 1
    p = 2
    while p * p <= n and p <= TRIAL_LIMIT:
        if n % p == 0:
            e = 0
            while n % p == 0:
                n //= p
                e += 1
            s *= p ** (e // 2)
            if e % 2:
                t *= p
        p += 1 if p == 2 else 2
    big = None
    if n > 1:
        t *= n  # a prime (n < 2**30 has at most one prime factor above 2**15)
        big = n if n > TRIAL_LIMIT else None
    return s, t, big


def plain_decimal(text: str) -> Fraction | None:
    """A coordinate typed as a plain decimal ('3', '-1.25', '1e-3', '−2') as the exact rational
    gradcli's point parser makes of it, or None for anything else (the full parser reads it)."""
    text = text.strip().replace("−", "-")
    m = _PLAIN.fullmatch(text)
    if m is None:
        return None
    number = float(text)
    if not math.isfinite(number) or (number != 0 and not 1e-300 < abs(number) < 1e300):
        return None
    mantissa, exp = m.group(2), m.group(3)
    whole, _, frac = mantissa.partition(".")
    numerator = int((whole or "0") + frac)
    power = (int(exp[1:]) if exp else 0) - len(frac)
    value = Fraction(numerator * 10**power) if power >= 0 else Fraction(numerator, 10**-power)
    return -value if m.group(1) == "-" else value


def _plain_pattern() -> Any:
    import re

    # gradcli.points' _PLAIN, with the sign and the mantissa captured
    return re.compile(r"([+-]?)([0-9]{1,30}\.?[0-9]{0,30}|\.[0-9]{1,30})([eE][+-]?[0-9]{1,3})?")


_PLAIN = _plain_pattern()
