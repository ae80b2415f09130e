"""The exact form the full path prints for a value with sin, cos and exp at a rational point —
reproduced character for character where it is provably one form, and the possible forms where
it is not.

The full path (``calculus.evaluate.tidy``) substitutes the point (sympy's ``xreplace``: the sum
``O`` of :class:`~gradcli.cache.elementary.Linear`'s terms), then, for a value holding a function
of a number, tries ``sympy.factor`` under a 0.5 s CPU bound and keeps its result ``F`` when
``count_ops(F) <= count_ops(O)``, else ``O``. This module writes both as sympy's ``sstr`` and
gradcli's Unicode printer would, counts their operations as ``count_ops`` does, and says which
the full path prints:

* **F is known without sympy** when a sine or cosine is among the terms. ``factor`` takes the
  value over one denominator, ``C·P``, and factors the numerator P as a polynomial in its
  generators (sin r, cos r, exp(1/q) for exp(p/q), e for exp(k)). A sine or cosine is a generator
  of degree 1 in one term alone, so P (primitive: the integer content is in C) has no factor:
  any factor would have to divide that term's integer coefficient and every other coefficient.
  ``factor`` then returns ``C·P`` with P's leading coefficient positive (in sympy's generator
  order), which is what :func:`candidates` writes. Without a sine or cosine (exp(x) + x at a
  point: a binomial in exp(1/q), which can factor) F is not claimed.
* **Which of O and F is printed** is decided by size, then by ``count_ops``. ``factor``'s time
  is not a function of the size of the value: it grows with the exponents of exp(1/q)
  (exp(131/50) is exp(1/50)¹³¹: 0.7 s; exp(66/25): 40–200 ms), erratically (degree 24: 0.3 s,
  degree 38: 0.5 s, where 23 and 25 take 10 ms), and with the size of the coefficients and the
  number of generators (three generators and 40-digit coefficients: up to 2 s). So ``tidy`` runs
  ``factor`` only inside a small, measured box (:data:`FAST_DEGREE` …: at most ~25 ms, a twentieth
  of the bound) and prints O outside it: the form does not depend on the machine's speed.

:func:`candidates` returns the printed form (sstr, Unicode) the full path writes, or none (not
known here). tests/test_cache_transcendental.py checks all of it against sympy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from gradcli.cache.elementary import Atom, Linear, term_values

# Where factor is promised to finish inside its bound: every exponent at most FAST_DEGREE, at most
# FAST_GENERATORS generators and FAST_TERMS terms, every integer of the numerator below FAST_INTEGER.
# Measured (benchmarks' notes in README): at most ~25 ms there, a twentieth of the 0.5 s bound;
# outside it factor took 0.3–3.9 s on values as small as exp(24/5) or 40-digit coefficients.
FAST_DEGREE = 16
FAST_GENERATORS = 3
FAST_TERMS = 4
FAST_INTEGER = 10**20
MAX_BITS = 900  # any integer printed (sympy orders terms by their floats: no overflow there)
SEPARATION = 2**-30  # terms whose floats are closer than this (relative) may sort either way


@dataclass(frozen=True)
class Printed:
    """An exact value as JSON holds it (sympy's ``sstr``) and as a table shows it."""

    machine: str
    pretty: str


Term = tuple[Fraction, Atom | None]  # coefficient · atom; None: the constant term


def candidates(value: Linear) -> tuple[Printed, ...]:
    """The forms the full path may print for ``value`` (a sum with at least one term holding a
    function): one, or none when it is not known here (a negative exp argument, no function of a number at all, sizes past
    the measured ones)."""
    atoms = [a for a, _ in value.terms]
    if any(name == "exp" and r < 0 for name, r in atoms):
        return ()  # sympy takes exp(-2) for 1/e²: other forms, not modelled
    if not any(name != "exp" or r != 1 for name, r in atoms):
        return ()  # only e: not a function, so tidy simplifies (not reproduced here)
    terms: list[Term] = [(c, a) for a, c in value.terms]
    if value.const:
        terms.append((value.const, None))
    if any(_too_big(c) for c, _ in terms):
        return ()
    values = term_values(terms)
    if values is None:
        return ()
    original = _sum(terms, values)
    if original is None:
        return ()
    if len(terms) == 1:
        return (original.printed,)  # factor of one term gives it back
    if not any(a is not None and a[0] in ("sin", "cos") for _, a in terms):
        return ()  # the numerator may factor (see the module doc)
    factored = _factored(terms, values, original)
    if factored is None:
        return ()
    if factored.printed == original.printed or factored.ops > original.ops:
        return (original.printed,)
    # calculus.evaluate.tidy factors only inside the FAST_* limits (the same numbers): outside
    # them the full path prints the plain sum, whatever the machine's speed
    return (factored.printed,) if factored.fast else (original.printed,)


@dataclass(frozen=True)
class _Form:
    printed: Printed
    ops: int  # sympy's count_ops
    fast: bool = False  # factor is promised to finish making it (see FAST_DEGREE)


# --- the plain sum and its factored form ------------------------------------------------------
def _sum(terms: Sequence[Term], values: Sequence[float]) -> _Form | None:
    """O: the terms as sympy's Add holds and prints them."""
    order = _order(terms, values)
    if order is None:
        return None
    return _Form(_printed([terms[i] for i in order]), _count_sum(terms))


def _factored(terms: Sequence[Term], values: Sequence[float], original: _Form) -> _Form | None:
    """F = C·P: over the least common denominator, the integer content and the sign of the
    leading term drawn out into C (``factor``'s ``_keep_coeff(C, P)``); None where its order
    cannot be promised."""
    d = math.lcm(*(c.denominator for c, _ in terms))
    numerators = [int(c * d) for c, _ in terms]
    g = math.gcd(*numerators)
    lead = _leading(terms)
    sign = -1 if numerators[lead] < 0 else 1
    scale = Fraction(sign * g, d)
    inner: list[Term] = [(c / scale, a) for c, a in terms]
    if abs(scale) == 1:
        return original  # C = ±1: ±P is the sum itself (sympy multiplies -P out)
    if any(_too_big(c) for c, _ in inner) or _too_big(scale):
        return None
    order = _order(inner, [v / float(scale) for v in values])
    if order is None:
        return None
    p = _printed([inner[i] for i in order])
    n, q = abs(scale.numerator), scale.denominator
    lead_text = "-" if scale < 0 else ""
    machine = f"{lead_text}{'' if n == 1 else f'{n}*'}({p.machine}){'' if q == 1 else f'/{q}'}"
    pretty = f"{lead_text}{'' if n == 1 else str(n)}({p.pretty}){'' if q == 1 else f'/{q}'}"
    # count_ops: a negative C is one NEG; then the fraction line (DIV) and the numerator n·P
    # multiplied out, or without a denominator the product n·P (MUL) and P
    multiplied = [(c * n, a) for c, a in inner] if q != 1 else inner
    ops = (scale < 0) + 1 + _count_sum(multiplied)
    fast = (
        _degree(terms) <= FAST_DEGREE
        and len(_generators(terms)) <= FAST_GENERATORS
        and len(terms) <= FAST_TERMS
        and all(abs(c) < FAST_INTEGER for c, _ in inner)
    )
    return _Form(Printed(machine, pretty), ops, fast)


def _too_big(c: Fraction) -> bool:
    return max(c.numerator.bit_length(), c.denominator.bit_length()) > MAX_BITS


def _generator(atom: Atom) -> tuple[str, int]:
    """The polynomial generator sympy makes of an atom, as it prints, and the atom's exponent:
    sin(r) and cos(r) are their own; exp(p/q) is exp(1/q)**p, exp(k) is E**k."""
    name, r = atom
    if name != "exp":
        return f"{name}({_rational(r)})", 1
    return ("E" if r.denominator == 1 else f"exp(1/{r.denominator})"), r.numerator


def _generators(terms: Sequence[Term]) -> set[str]:
    return {_generator(a)[0] for _, a in terms if a is not None}


def _degree(terms: Sequence[Term]) -> int:
    return max(_generator(a)[1] for _, a in terms if a is not None)


def _leading(terms: Sequence[Term]) -> int:
    """The index of the leading term in sympy's lex order: generators sorted by their text
    (sympy's ``_sort_gens`` for names that are not single letters), the highest power of the
    first generator leading."""

    def key(i: int) -> tuple[str, int]:
        atom = terms[i][1]
        assert atom is not None
        gen, k = _generator(atom)
        return gen, -k

    return min((i for i, (_, a) in enumerate(terms) if a is not None), key=key)


# --- printing --------------------------------------------------------------------------------------
def _rational(c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"


def _atom(atom: Atom, pretty: bool) -> str:
    name, r = atom
    if name == "exp" and r == 1:
        return "e" if pretty else "E"
    return f"{name}({_rational(r)})"


def _term(c: Fraction, atom: Atom | None, pretty: bool) -> str:
    """sympy's ``sstr`` of c·atom (a Rational, an atom, or their Mul): -3*sin(1)/4, E/2."""
    if atom is None:
        return _rational(c)
    sign = "-" if c < 0 else ""
    p, q = abs(c.numerator), c.denominator
    times = "" if p == 1 else (str(p) if pretty else f"{p}*")  # 3·sin → 3sin in a table
    return f"{sign}{times}{_atom(atom, pretty)}{'' if q == 1 else f'/{q}'}"


def _join(texts: list[str]) -> str:
    """StrPrinter's Add: ' + ' and ' - ' between the terms, a leading '-' kept."""
    out = texts[0]
    for t in texts[1:]:
        out += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return out


def _printed(terms: Sequence[Term]) -> Printed:
    return Printed(
        _join([_term(c, a, False) for c, a in terms]),
        _join([_term(c, a, True) for c, a in terms]),
    )


def _order(terms: Sequence[Term], values: Sequence[float]) -> list[int] | None:
    """The order sympy prints a sum's terms in (``Expr.as_ordered_terms``): a positive number
    before a negative multiple of one atom (3 - 2*sin(1)), else by each term's float,
    ascending. None where two floats are too close to promise their order."""
    if len(terms) == 2:
        lone = [i for i, (c, a) in enumerate(terms) if a is None or (a == ("exp", 1) and c == 1)]
        if len(lone) == 1:
            i = lone[0]
            j = 1 - i
            if terms[i][0] > 0 and terms[j][1] is not None and terms[j][0] < 0:
                return [i, j]
    order = sorted(range(len(terms)), key=lambda k: values[k])
    for a, b in itertools.pairwise(order):
        if values[b] - values[a] <= SEPARATION * max(abs(values[a]), abs(values[b])):
            return None
    return order


# --- count_ops -----------------------------------------------------------------------------------
def _count_atom(atom: Atom) -> int:
    """sin(r), cos(r), exp(s): the function, and a DIV for a fractional argument; E: one EXP."""
    name, r = atom
    if name == "exp" and r == 1:
        return 1
    return 1 + (r.denominator != 1) + (r < 0)


def _count_term(c: Fraction, atom: Atom | None) -> int:
    """count_ops of |c|·atom: DIV for a denominator, MUL for a numerator other than 1."""
    c = abs(c)
    if atom is None:
        return int(c.denominator != 1)
    return (c.denominator != 1) + (c.numerator != 1) + _count_atom(atom)


def _count_sum(terms: Sequence[Term]) -> int:
    """count_ops of the Add: ADD or SUB between terms, NEG when all are negative."""
    if len(terms) == 1:
        c, a = terms[0]
        return (c < 0) + _count_term(c, a)
    negative = all(c < 0 for c, _ in terms)
    return len(terms) - 1 + negative + sum(_count_term(c, a) for c, a in terms)
