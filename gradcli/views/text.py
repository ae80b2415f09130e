"""Human-readable forms of sympy results: one-line Unicode formulas and 'exact ≈ decimal' numbers.

Machine formats use ``sympy.sstr`` (re-parseable); people read ``x² + y²``, ``2√10 ≈ 6.32456``.
"""

from __future__ import annotations

import math
from typing import Any

EXACT_MAX_LENGTH = 48  # longer exact forms are not worth a reader's time next to the decimal


def _printer() -> Any:
    # The project's one Unicode printer; imported on first use so that loading this module (the
    # help path, plotting) does not load sympy.
    from gradcli.calculus.notation import UnicodePrinter

    return UnicodePrinter()


_PRINTER: Any = None


MAX_SHOWN = 2000  # characters of one formula in a table; machine formats carry it whole


def pretty(expr: Any) -> str:
    """``2*x*sqrt(10)`` -> ``2x√10``-style one-line Unicode (for tables, not for re-parsing).

    A formula longer than MAX_SHOWN is cut, saying so: a screenful of symbols teaches nothing.
    """
    text = _pretty(expr)
    if len(text) > MAX_SHOWN:
        return text[:MAX_SHOWN] + f" … ({len(text):,} characters; --format json has all of it)"
    return text


def _pretty(expr: Any) -> str:
    global _PRINTER
    if _PRINTER is None:
        _PRINTER = _printer()
    return str(_PRINTER.text(expr))


def decimal(value: float, precision: int = 6, *, typographic: bool = False) -> str:
    """A float to ``precision`` significant digits, without noise like '6.000000' or '-0'.

    ``typographic`` is for figures and prose tables: a real minus sign (−2) and 'undefined' for NaN.
    """
    if not math.isfinite(value):
        if math.isnan(value):
            return "undefined" if typographic else "nan"
        text = "∞" if value > 0 else "-∞"
    elif value == 0:
        return "0"
    else:
        text = f"{value:.{precision}g}"
        if "e" in text:
            mantissa, exp = text.split("e")
            text = f"{mantissa}e{int(exp)}"
    return text.replace("-", "−") if typographic else text


def number(exact: Any, value: float, precision: int = 6) -> str:
    """'2/3 ≈ 0.666667', '6', '2√10 ≈ 6.32456', or just the decimal when the exact form is long."""
    dec = decimal(value, precision)
    if exact is None:
        return dec
    if getattr(exact, "is_Integer", False):
        return str(int(exact)) if abs(int(exact)) < 10**15 else dec
    if getattr(exact, "is_Float", False) or getattr(exact, "atoms", None) is None:
        return dec
    import sympy

    if exact.atoms(sympy.Float):
        return dec
    text = pretty(exact)
    if len(text) > EXACT_MAX_LENGTH or text == dec:
        return dec
    return f"{text} ≈ {dec}"


def vector(
    values: Any, precision: int = 6, *, typographic: bool = False, bare_scalar: bool = False
) -> str:
    """(6, 2) — each component by :func:`decimal`; ``bare_scalar`` writes a 1-vector as a number."""
    parts = [decimal(float(v), precision, typographic=typographic) for v in values]
    if bare_scalar and len(parts) == 1:
        return parts[0]
    return "(" + ", ".join(parts) + ")"
