"""Derivatives written with σ, the way lessons write them: (σ(u))′ = σ(u)(1 − σ(u))·u′.

The parser builds ``sigmoid(u)`` as ``1/(1 + exp(−u))`` so that every evaluator, simplifier and
printer already knows it; simplified, its derivative comes out as ``1/(4cosh(x/2)²)``, which is true
but is not what a neural-network lesson writes. Here each ``1/(1 + exp(−u))ⁿ`` in f becomes
``σ(u)ⁿ`` — a sympy function whose derivative is σ(1 − σ) — and f is differentiated again, so the
result keeps σ wherever f had it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sympy
from sympy.printing.precedence import PRECEDENCE

from gradcli.calculus.notation import UnicodePrinter
from gradcli.limits import bounded
from gradcli.symbolic import DIFF_SECONDS

__all__ = ["Sigmoid", "SigmoidPrinter", "machine_text", "sigmoid_derivative", "with_sigmoid"]


class Sigmoid(sympy.Function):
    """σ(u) = 1/(1 + e^(−u)), kept whole: its derivative is σ(u)(1 − σ(u)). Printed ``σ(u)``."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> Any:
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, u: Any, **kwargs: Any) -> Any:
        return 1 / (1 + sympy.exp(-u))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real

    def _eval_evalf(self, prec: int) -> Any:
        # σ(1) must be a number to sympy: Max(x, σ(1)) compares it, and refused it without this
        return (1 / (1 + sympy.exp(-self.args[0]))).evalf(prec)

    def _sympystr(self, printer: Any) -> str:
        return f"σ({printer._print(self.args[0])})"

    def _latex(self, printer: Any, exp: Any = None) -> str:
        text = r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


def _logistic_argument(base: Any) -> Any:
    """u when ``base`` is 1 + exp(−u), else None."""
    if not (base.is_Add and len(base.args) == 2):
        return None
    one, other = sorted(base.args, key=lambda a: 0 if a == 1 else 1)
    if one == 1 and isinstance(other, sympy.exp):
        return -other.args[0]
    return None


def with_sigmoid(expr: Any) -> Any:
    """``expr`` with every (1 + exp(−u))⁻ⁿ written σ(u)ⁿ (n a positive integer)."""

    def is_logistic(e: Any) -> bool:
        return bool(
            e.is_Pow and e.exp.is_Integer and e.exp < 0 and _logistic_argument(e.base) is not None
        )

    def as_sigma(e: Any) -> Any:
        return Sigmoid(_logistic_argument(e.base)) ** (-e.exp)

    return expr.replace(is_logistic, as_sigma)


def sigmoid_derivative(expr: Any, symbols: Sequence[Any]) -> Any | None:
    """∂ⁿexpr/∂symbols… written with σ, or None when f has no sigmoid (or the derivative has none
    left: d/dy of σ(x) + y is 1), or when it takes longer than the derivative's time budget."""
    if not expr.has(sympy.exp):
        return None
    try:
        written = with_sigmoid(expr)
    except (ValueError, TypeError):  # a rewrite sympy refuses to rebuild: keep the plain form
        return None
    if not written.has(Sigmoid):
        return None

    def derive() -> Any:
        result = written
        for symbol in symbols:
            result = sympy.diff(result, symbol)
        return sympy.factor_terms(result)

    derivative = bounded(DIFF_SECONDS, derive, None)
    if derivative is None or not derivative.has(Sigmoid):
        return None
    return derivative


def machine_text(expr: Any) -> str:
    """The σ form in gradcli's own syntax, ``sigmoid(x)*(1 - sigmoid(x))``: gradcli reads it back
    (``sympy.sympify`` would see an unknown function ``sigmoid``)."""
    return sympy.sstr(expr.replace(Sigmoid, sympy.Function("sigmoid")))


class SigmoidPrinter(UnicodePrinter):
    """The tables' printer, with products in the lessons' order: σ(x)·(1 - σ(x)), x·σ(u)·(1 - σ(u))
    — numbers, then other factors, then σ, then the factors built from σ (sympy's canonical order
    would print (1 - σ(x))·σ(x))."""

    def _print_Mul(self, expr: Any) -> str:
        coefficient, factors = expr.as_coeff_mul()
        if any(f.is_Pow and f.exp.is_negative for f in factors) or not expr.has(Sigmoid):
            return str(super()._print_Mul(expr))

        def rank(f: Any) -> tuple[int, Any]:
            base = f.base if f.is_Pow else f
            kind = 2 if isinstance(base, Sigmoid) else 3 if f.has(Sigmoid) else 1
            return kind, sympy.default_sort_key(f)

        text = "*".join(
            self.parenthesize(f, PRECEDENCE["Mul"], strict=False) for f in sorted(factors, key=rank)
        )
        if coefficient.is_negative:
            return "-" + self._print_Mul(sympy.Mul(-coefficient, *factors))
        if coefficient == 1:
            return text
        shown = self._print(coefficient)
        return (shown if coefficient.is_Integer else f"({shown})") + "*" + text

    def _finish(self, text: str) -> str:
        return re.sub(r"(?<![\w./])(\d+)·(?=σ)", r"\1", super()._finish(text))  # 2·σ(x) -> 2σ(x)
