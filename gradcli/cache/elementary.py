"""Elementary functions at a rational point without sympy: the float the full path reports, and
the content of its exact value.

The full path substitutes the point into f (sympy's ``xreplace``), tidies the result (a value with
sin, exp … of numbers is factored within a time bound) and reports ``complex(sympy.N(exact,
17))``. Neither step is repeated here:

* **The float** is the true value, computed twice with mpmath (:data:`WORK` bits) and kept only
  when both agree far beyond float64. sympy's ``N`` is accurate to about 60 bits, so where the
  true value lies clearly inside one float64 rounding interval (not within :data:`BAND` of its
  edge) sympy's answer rounds to the same float; nearer the edge, or where the value could be 0,
  the answer is :class:`~gradcli.cache.exact.Refused` (the full path computes it).
* **The exact value's content**: where f's value is a rational combination of sin(r), cos(r) and
  exp(s) (:func:`linear`; 1, sin, cos and exp at distinct rational arguments are linearly
  independent by Lindemann–Weierstrass, so the coefficients are fixed whatever the form), the
  coefficients and atoms, from which :mod:`gradcli.cache.forms` writes the forms the full path
  prints, and :func:`term_values` the floats sympy orders the printed terms by.

mpmath is imported here, and only here in the fast path: it costs a tenth of sympy's import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from gradcli.cache.exact import MAX_BITS, MAX_DEPTH, MAX_EXPONENT, Refused, check

WORK = (128, 192)  # bits of the two evaluations; they must agree to AGREE bits
AGREE = 110
# sympy's N(·, 17) works at 64 bits and keeps 60: its float is within 2^-60 of the true value
# (measured, tests/test_cache_transcendental.py). A true value nearer than 2^-BAND (relative) to
# the midpoint between two floats could round either way in sympy: refused.
BAND = 58
LARGEST_ARGUMENT = 600  # exp(600) ~ 1e260: beyond, float64 could overflow
LARGEST_TRIG = 2**60
MAGNITUDE = 900  # |value| within 2^±900, as exact.py's rationals

Atom = tuple[str, Fraction]  # ("sin", r > 0), ("cos", r > 0), ("exp", s ≠ 0)


@dataclass(frozen=True)
class Linear:
    """const + Σ coefficient · atom, as sympy's substitution leaves it (zero terms dropped)."""

    const: Fraction
    terms: tuple[tuple[Atom, Fraction], ...] = ()


def _mp() -> Any:
    import mpmath

    return mpmath.mp


# --- the structure of the exact value -------------------------------------------------------------
def linear(node: Any, point: Sequence[Fraction], depth: int = 0) -> Linear | None:
    """The tree's value at ``point`` as a :class:`Linear`, or None when it is anything else (a
    product of two atoms, log(2), √2, π …: the value is then known only as a number).
    :class:`Refused` where sympy finds it undefined (a rational divided by zero, log of a
    rational ≤ 0, a root of a negative rational)."""
    if not isinstance(node, list) or not node or depth > MAX_DEPTH:
        raise Refused
    op, args = node[0], node[1:]
    if op in ("n", "v"):
        return Linear(_leaf(op, args, point))
    value = _linear(op, args, point, depth)
    if value is not None:
        for c in (value.const, *(c for _, c in value.terms)):
            check(c)  # sizes as exact.py's rationals: sympy's answer is then the same
    return value


def _linear(op: str, args: list[Any], point: Sequence[Fraction], depth: int) -> Linear | None:
    if op == "c" and args in (["pi"], ["E"]):
        e = (("exp", Fraction(1)), Fraction(1))
        return Linear(Fraction(0), (e,)) if args[0] == "E" else None  # π: not an atom here
    if op in ("+", "*"):
        parts = [linear(a, point, depth + 1) for a in args]
        if any(p is None for p in parts):
            return None
        return _sum(parts) if op == "+" else _product(parts)  # type: ignore[arg-type]
    if op in ("^", "^q", "^e"):
        base = linear(args[0], point, depth + 1)
        if op == "^":
            k = args[1]
            if base is None or base.terms:
                return base if k == 1 else None
            if base.const == 0 and k < 0:
                raise Refused  # 1/0
            c = base.const
            bits = max(c.numerator.bit_length(), c.denominator.bit_length())
            if type(k) is not int or abs(k) > MAX_EXPONENT or bits * abs(k) > MAX_BITS:
                raise Refused
            return Linear(c**k)
        if op == "^q":
            p, q = _ratio(args)
            if base is None or base.terms:
                return None
            return _root(base.const, Fraction(p, q))
        return None
    if op == "f":
        arg = linear(args[1], point, depth + 1)
        if arg is None or arg.terms:
            return None
        return _function(args[0], arg.const)
    raise Refused


def _leaf(op: str, args: list[Any], point: Sequence[Fraction]) -> Fraction:
    """A rational ``["n", p, q]`` or a variable ``["v", i]``, checked as gradcli writes them."""
    if op == "n" and len(args) == 2 and type(args[0]) is int and type(args[1]) is int:
        return Fraction(args[0], _positive(args[1]))
    if op == "v" and len(args) == 1 and type(args[0]) is int and 0 <= args[0] < len(point):
        return point[args[0]]
    raise Refused


def _positive(q: int) -> int:
    if q <= 0:
        raise Refused
    return q


def _ratio(args: list[Any]) -> tuple[int, int]:
    """The exponent p/q of ``["^q", base, p, q]``, checked."""
    if len(args) == 3 and type(args[1]) is int and type(args[2]) is int and args[2] > 0:
        return args[1], args[2]
    raise Refused


def _sum(parts: list[Linear]) -> Linear:
    const = Fraction(0)
    terms: dict[Atom, Fraction] = {}
    for p in parts:
        const += p.const
        for atom, c in p.terms:
            terms[atom] = terms.get(atom, Fraction(0)) + c
    return Linear(const, tuple((a, c) for a, c in terms.items() if c != 0))


def _product(parts: list[Linear]) -> Linear | None:
    scale = Fraction(1)
    variable: Linear | None = None
    for p in parts:
        if not p.terms:
            scale *= p.const
        elif variable is None:
            variable = p
        else:
            return None  # sin(r)·exp(s): not linear in the atoms
    if variable is None or scale == 0:
        return Linear(scale if variable is None else Fraction(0))
    return Linear(variable.const * scale, tuple((a, c * scale) for a, c in variable.terms))


def _root(base: Fraction, exponent: Fraction) -> Linear | None:
    """base**exponent when it is rational (4**(1/2) = 2), else None (sympy keeps √2)."""
    if base < 0:
        raise Refused  # not real: the full path says so
    if base == 0:
        if exponent < 0:
            raise Refused
        return Linear(Fraction(0))
    q = exponent.denominator
    num, den = _exact_root(base.numerator, q), _exact_root(base.denominator, q)
    if num is None or den is None:
        return None
    return Linear(Fraction(num, den) ** exponent.numerator)


def _exact_root(n: int, q: int) -> int | None:
    """The integer q-th root of n, or None when there is none (or n is too large to check
    quickly: then the value is only called unknown)."""
    if q == 2:
        r = math.isqrt(n)
        return r if r * r == n else None
    if n.bit_length() > 150:
        return None
    r = round(n ** (1 / q))  # below 2**50 for q >= 3: the float is within 1 of the root
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**q == n:
            return c
    return None


def _function(name: str, r: Fraction) -> Linear | None:
    """sympy's value of name(r) for rational r: the special values it evaluates, the atoms sin,
    cos, exp (odd and even as sympy writes them), None for the rest."""
    if r == 0:
        if name in ("cos", "exp", "cosh"):
            return Linear(Fraction(1))
        if name in ("sin", "tan", "sinh", "tanh", "asin", "atan"):
            return Linear(Fraction(0))
    if name == "log" and r <= 0:
        raise Refused  # log 0 is undefined, below it not real
    if (name == "log" or name == "acos") and r == 1:
        return Linear(Fraction(0))
    if name == "sin":
        return Linear(Fraction(0), ((("sin", abs(r)), Fraction(1 if r > 0 else -1)),))
    if name == "cos":
        return Linear(Fraction(0), ((("cos", abs(r)), Fraction(1)),))
    if name == "exp":
        return Linear(Fraction(0), ((("exp", r), Fraction(1)),))
    return None


# --- the terms' floats ----------------------------------------------------------------------------
def term_values(terms: Sequence[tuple[Fraction, Atom | None]]) -> list[float] | None:
    """Each coefficient · atom (None: the constant) as a float, the key by which sympy orders a
    sum's terms when it prints it; None where one is past float64's comfortable range (sympy's
    own float of it could overflow)."""
    mp = _mp()
    functions = {"sin": mp.sin, "cos": mp.cos, "exp": mp.exp}
    out: list[float] = []
    with mp.workprec(96):
        for c, atom in terms:
            v = mp.mpf(c.numerator) / c.denominator
            if atom is not None:
                name, r = atom
                if abs(r) > LARGEST_ARGUMENT:
                    return None
                v *= functions[name](mp.mpf(r.numerator) / r.denominator)
            if not v or not -MAGNITUDE < int(mp.floor(mp.log(abs(v), 2))) < MAGNITUDE:
                return None
            out.append(float(v))
    return out


# --- the float ----------------------------------------------------------------------------------
def number(node: Any, point: Sequence[Fraction]) -> Any:
    """The tree's true value at ``point`` (an mpmath number at WORK[-1] bits), checked at two
    precisions; :class:`Refused` where it is undefined, not real, too large or too small, or
    could be 0 (cancellation)."""
    mp = _mp()
    values = []
    for bits in WORK:
        with mp.workprec(bits):
            try:
                values.append(_value(mp, node, point, 0))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                raise Refused from None
    low, high = values
    if not high or not mp.isfinite(high) or abs(low - high) > abs(high) * mp.ldexp(1, -AGREE):
        raise Refused
    if not -MAGNITUDE < int(mp.floor(mp.log(abs(high), 2))) < MAGNITUDE:
        raise Refused
    return high


def sympy_double(value: Any) -> float:
    """The float64 sympy's N(·, 17) rounds to, for a true value far enough from a rounding edge
    (else :class:`Refused`)."""
    negative, man, exp, _ = value._mpf_  # mpmath's raw (sign, mantissa, exponent, bits)
    sign = -1.0 if negative else 1.0
    drop = man.bit_length() - 53
    if drop <= 0:
        return sign * math.ldexp(man, exp)  # exactly a float
    kept, rest = divmod(man, 1 << drop)
    half = 1 << (drop - 1)
    if abs(rest - half) << BAND <= man:
        raise Refused
    if rest > half:
        kept += 1
    return sign * math.ldexp(kept, exp + drop)


_FUNCTIONS = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "atan": "atan",
}


def _value(mp: Any, node: Any, point: Sequence[Fraction], depth: int) -> Any:
    if not isinstance(node, list) or not node or depth > MAX_DEPTH:
        raise Refused
    op, args = node[0], node[1:]
    if op in ("n", "v"):
        x = _leaf(op, args, point)
        return mp.mpf(x.numerator) / x.denominator
    if op == "c" and args in (["pi"], ["E"]):
        return +mp.pi if args[0] == "pi" else +mp.e
    if op == "+":
        return mp.fsum(_value(mp, a, point, depth + 1) for a in args)
    if op == "*":
        return mp.fprod(_value(mp, a, point, depth + 1) for a in args)
    if op not in ("^", "^q", "^e", "f"):
        raise Refused
    if op == "f":
        return _function_value(mp, args[0], _value(mp, args[1], point, depth + 1))
    base = _value(mp, args[0], point, depth + 1)
    if op == "^":
        k = args[1] if len(args) == 2 else None
        if type(k) is not int or (not base and k < 0):
            raise Refused
        return base**k
    if op == "^q":
        p, q = _ratio(args)
        if base < 0 or (not base and p < 0):
            raise Refused  # not real, or 1/0
        return mp.root(base, q) ** p
    exponent = _value(mp, args[1], point, depth + 1)
    if base <= 0 or abs(exponent * mp.log(base)) > LARGEST_ARGUMENT:
        raise Refused
    return mp.power(base, exponent)


def _function_value(mp: Any, name: Any, x: Any) -> Any:
    if name in ("exp", "sinh", "cosh") and abs(x) > LARGEST_ARGUMENT:
        raise Refused
    if name in ("sin", "cos", "tan") and abs(x) > LARGEST_TRIG:
        raise Refused  # reducing a huge argument needs as many digits of π
    if name == "log":
        if x <= 0:
            raise Refused
        return mp.log(x)
    if name in ("asin", "acos"):
        if not -1 < x < 1:
            raise Refused  # ±1 exactly is fine for sympy, but rarely typed: full path
        return mp.asin(x) if name == "asin" else mp.acos(x)
    if name in _FUNCTIONS:
        return getattr(mp, _FUNCTIONS[name])(x)
    raise Refused
