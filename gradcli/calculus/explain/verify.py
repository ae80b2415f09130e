"""Checking the rules' derivative against sympy's: the same tree, equal values, or simplify.

The explainer always ends at sympy's derivative; :func:`agree` decides whether the form its rules
assembled was shown equal to it (exact mpmath values at random real points, then a small
``simplify``), so the explanation can say honestly when it could not confirm its own algebra.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import mpmath
import sympy

_SAMPLE_RANGES = ((0.1, 0.95), (1.05, 3.0), (-0.95, -0.1), (-3.0, -1.05))


def agree(a: Any, b: Any, symbols: Sequence[Any], domain: Any = None) -> bool | None:
    """Whether two derivatives of ``domain`` are equal: structurally, else numerically.

    Real points are drawn from a few ranges (inside and outside [−1, 1], either sign) so domains like
    those of asin, acosh and log all get samples. A point counts only where every subexpression of
    ``domain`` is real and finite — the rules use real-variable facts such as |u|′ = sign(u)·u′,
    which say nothing where u is complex — and where both sides are defined. None means no usable
    point was found and a small ``simplify`` could not decide.
    """
    if a == b:
        return True
    diff = a - b
    if diff == 0:
        return True
    parts = [] if domain is None else _subexpressions(domain)
    syms = sorted(
        set(symbols) | a.free_symbols | b.free_symbols | (domain.free_symbols if parts else set()),
        key=lambda s: s.name,
    )
    agreed = 0
    try:
        fa, fb = _compile(syms, a), _compile(syms, b)
        fd = _compile(syms, parts) if parts else None
    except Exception:  # a form lambdify cannot print: fall through to simplify
        fa = fb = fd = None
    if fa is not None and fb is not None:
        rng = random.Random(20240517)
        points = [
            [mpmath.mpf(rng.uniform(*rng.choice(_SAMPLE_RANGES))) for _ in syms] for _ in range(64)
        ]
        real_somewhere = False
        with mpmath.workdps(30):
            for point in points:
                if fd is not None and not _all_real(fd, point):
                    continue
                real_somewhere = True
                va, vb = _value(fa, point), _value(fb, point)
                if va is None or vb is None:
                    continue
                if abs(va - vb) > 1e-12 * max(1.0, abs(va), abs(vb)):
                    return False
                agreed += 1
                if agreed >= 8:
                    return True
            if agreed >= 2:
                return True
            if not real_somewhere:
                # Real nowhere we looked (e.g. ln of something never positive): compare the two
                # forms as the complex formulas they are. A mismatch there proves nothing (the
                # real-variable rules need not hold off the real domain), so it is no verdict.
                for point in points:
                    ca, cb = _value(fa, point, real=False), _value(fb, point, real=False)
                    if ca is not None and cb is not None:
                        if abs(ca - cb) > 1e-12 * max(1.0, abs(ca), abs(cb)):
                            break
                        agreed += 1
                else:
                    if agreed >= 2:
                        return True
    if sympy.count_ops(diff) > 80:
        return None  # simplify could take minutes on a large expression
    try:
        return True if sympy.simplify(diff) == 0 else None
    except Exception:  # a symbolic failure is not a verdict
        return None


def _subexpressions(expr: Any) -> list[Any]:
    """Every distinct compound subexpression (x and numbers are real by construction)."""
    return list(dict.fromkeys(e for e in sympy.preorder_traversal(expr) if not e.is_Atom))


def _all_real(f: Any, point: Sequence[Any]) -> bool:
    try:
        values = f(*point)
    except Exception:  # e.g. max() of complex numbers: not a real point
        return False
    for v in values:
        c = complex(v)
        if not (math.isfinite(c.real) and math.isfinite(c.imag)):
            return False
        if abs(c.imag) > 1e-15 * max(1.0, abs(c.real)):
            return False
    return True


def _compile(symbols: Sequence[Any], expr: Any) -> Any:
    from gradcli.symbolic import lambdify

    return lambdify(symbols, expr, "mpmath")


def _value(f: Any, point: Sequence[Any], *, real: bool = True) -> complex | None:
    try:
        v = complex(f(*point))
    except Exception:  # undefined, not real, or an unevaluable form: not a usable point
        return None
    if not (math.isfinite(v.real) and math.isfinite(v.imag)):
        return None
    if real and abs(v.imag) > 1e-15 * max(1.0, abs(v.real)):
        return None
    return v
