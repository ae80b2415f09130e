"""Human-readable forms of sympy results: one-line Unicode formulas and 'exact ≈ decimal' numbers.

Machine formats use ``sympy.sstr`` (re-parseable); people read ``x² + y²``, ``2√10 ≈ 6.32456``.
"""

from __future__ import annotations

import math
import re
from typing import Any

_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
EXACT_MAX_LENGTH = 48  # longer exact forms are not worth a reader's time next to the decimal


def _printer() -> Any:
    from sympy.printing.precedence import PRECEDENCE
    from sympy.printing.str import StrPrinter

    class UnicodePrinter(StrPrinter):
        def _print_Pow(self, expr: Any, rational: bool = False) -> str:
            base, exp = expr.args
            if exp.is_Integer and 2 <= int(exp) <= 99:
                return self.parenthesize(base, PRECEDENCE["Pow"], strict=True) + str(
                    int(exp)
                ).translate(_SUPER)
            if exp == 1 / 2 or (exp.is_Rational and exp.p == 1 and exp.q == 2):
                inner = self._print(base)
                return "√" + (inner if base.is_Atom else f"({inner})")
            return str(super()._print_Pow(expr, rational))

        def _print_Abs(self, expr: Any) -> str:
            return f"|{self._print(expr.args[0])}|"

        def _print_Pi(self, expr: Any) -> str:
            return "π"

        def _print_Exp1(self, expr: Any) -> str:
            return "e"

    return UnicodePrinter({"order": None})


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
    text = str(_PRINTER.doprint(expr))
    text = text.replace("**", "^").replace("*", "·")
    # A number times a name or bracket reads best juxtaposed: 2·x -> 2x, 2·√10 -> 2√10.
    text = re.sub(r"(?<![\w.])(\d+)·(?=[A-Za-zπ√(|])", r"\1", text)
    return text


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
