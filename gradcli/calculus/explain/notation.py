"""How the explainer writes maths: its Unicode and LaTeX printers and the right-hand sides of rules.

The Unicode printer is the project's one :class:`~gradcli.calculus.notation.UnicodePrinter`, in
the explainer's voice (ln, H(u), δ(u), 1/x² for negative powers, ∂/∂x (…)); derivative names
(∂²f/∂y∂x) come from :func:`~gradcli.calculus.notation.derivative_name`. A rule's right-hand side is
a tiny tree (:class:`D`, :class:`Sum`, :class:`Prod`, :class:`Frac`) that :class:`Notation` prints
both ways, so the sentence and the LaTeX line of a step always say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence

from gradcli.calculus.notation import UnicodePrinter, derivative_name

_ADD = PRECEDENCE["Add"]
_MUL = PRECEDENCE["Mul"]
_ATOM = PRECEDENCE["Atom"]


# --- the right-hand sides of rules: a tiny tree so text and LaTeX say the same thing -------------


@dataclass(frozen=True)
class D:
    """An unevaluated ``∂/∂x (expr)`` inside a rule's right-hand side."""

    expr: Any


@dataclass(frozen=True)
class Sum:
    terms: tuple[tuple[int, Any], ...]  # (sign, node)


@dataclass(frozen=True)
class Prod:
    factors: tuple[Any, ...]


@dataclass(frozen=True)
class Frac:
    num: Any
    den: Any


Node = Any  # a D, Sum, Prod or Frac, or a sympy expression as a leaf


class sigma(sympy.Function):
    """σ(u), the logistic function, as the sigmoid and softplus rules show it (never evaluated)."""

    def _sympystr(self, printer: Any) -> str:
        return f"σ({printer._print(self.args[0])})"

    def _latex(self, printer: Any, exp: Any = None) -> str:
        return r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"


class others(sympy.Function):
    """ "the other N terms" of a long sum, as its sum rule writes them (never evaluated)."""

    def _sympystr(self, printer: Any) -> str:
        return f"the other {int(self.args[0]):,} terms"

    def _latex(self, printer: Any, exp: Any = None) -> str:
        return rf"\text{{the other {int(self.args[0]):,} terms}}"


# --- printers --------------------------------------------------------------------------------------


class SentencePrinter(UnicodePrinter):
    """The teacher's one-line Unicode: x², √x, |x|, π, e, ln, H(x), δ(x), ∂/∂x, 2x·cos(x), 1/x²."""

    _JUXTAPOSE: ClassVar[re.Pattern[str]] = re.compile(r"(?<![\w.])(\d+)·(?=[A-Za-zπδ√(|σ])")

    def _finish(self, text: str) -> str:
        # A real minus sign; products already print with · (see _print_Mul).
        return self._JUXTAPOSE.sub(r"\1", text.replace("-", "−"))

    def _superscripted(self, n: int) -> bool:
        return True  # x⁰ … x¹⁰⁰ alike; negative powers never get here (see _print_Pow)

    def _square_root(self, exp: Any) -> bool:
        return bool(exp == sympy.S.Half)

    def _bare_root(self, base: Any) -> bool:
        return bool(base.is_Atom or base.is_Function)  # √x, √sin(x)

    def _print_other_power(self, expr: Any, rational: bool) -> str:
        base, exp = expr.args
        base_text = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        exp_text = self._print(exp)
        if not (exp.is_Symbol or (exp.is_Integer and exp.is_nonnegative)):
            exp_text = f"({exp_text})"
        return f"{base_text}^{exp_text}"

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exp = expr.args
        if exp.is_Rational and exp.is_negative:
            positive = base if exp == -1 else sympy.Pow(base, -exp, evaluate=False)
            return "1/" + self.parenthesize(positive, _MUL + 1)
        return super()._print_Pow(expr, rational)

    def _print_Mul(self, expr: Any) -> str:
        return str(super()._print_Mul(expr)).replace("*", "·")

    def _print_log(self, expr: Any) -> str:
        return f"ln({self._print(expr.args[0])})"

    def _print_Derivative(self, expr: Any) -> str:
        inner = self._print(expr.expr)
        names = "".join(f"∂{self._print(v)}" for v in expr.variables)
        return f"∂/{names} ({inner})"


class SlidePrinter(LatexPrinter):
    """sympy's LaTeX with ln, bracketed powers of a real cube root, and ∂/∂x (…) as an operator."""

    def _print_Pow(self, expr: Any) -> str:
        # gradcli's real cube root prints itself as \sqrt[3]{u}; a power of it needs brackets.
        if type(expr.base).__name__ == "cbrt" and not expr.exp.is_negative:
            root = self._print(expr.base)
            return rf"\left({root}\right)^{{{self._print(expr.exp)}}}"
        return str(super()._print_Pow(expr))

    def _print_Derivative(self, expr: Any) -> str:
        names = " ".join(rf"\partial {self._print(v)}" for v in expr.variables)
        return rf"\frac{{\partial}}{{{names}}}\left({self._print(expr.expr)}\right)"


_TEXT = SentencePrinter()
_LATEX = SlidePrinter({"ln_notation": True})


# A formula longer than this is cut in a step (the JSON records carry every step's forms whole):
# a step is a sentence, and a board of megabytes teaches nothing (issue 10: bounded output).
MAX_FORMULA_CHARS = 1500
MAX_TEX_CHARS = 4000


# formula and tex are pure, and an explanation prints the same f many times: ∇f's first ten
# partials of a 1,000-term sum printed it (sorting its terms each time) 40 times, ten seconds.
# Room for a point of 1,000 coordinates (names and values) between two prints of f.
@lru_cache(maxsize=8192)
def formula(expr: Any) -> str:
    """``2*x*cos(x**2)`` -> ``2x·cos(x²)``: one-line Unicode for the teacher's sentences."""
    text = _TEXT.text(expr)
    if len(text) > MAX_FORMULA_CHARS:
        return text[:MAX_FORMULA_CHARS] + f" … ({len(text):,} characters)"
    return text


@lru_cache(maxsize=8192)
def tex(expr: Any) -> str:
    """``expr`` in LaTeX for the derivation's ``aligned`` block (a placeholder when too long: cut
    LaTeX would not compile)."""
    text = str(_LATEX.doprint(expr))
    if len(text) > MAX_TEX_CHARS:
        return rf"\text{{(a formula of {len(text):,} characters)}}"
    return text


def order_name(wrts: Sequence[Any], partial: bool) -> str:
    """∂²f/∂y∂x for differentiating by ``wrts`` in order (d²f/dx² when f has one variable)."""
    return derivative_name([formula(w) for w in wrts], partial=partial)


def order_latex(wrts: Sequence[Any], partial: bool) -> str:
    """:func:`order_name` as LaTeX: ``\\frac{\\partial^{2} f}{\\partial y \\partial x}``."""
    return derivative_name([tex(w) for w in wrts], partial=partial, latex=True)


def value_text(value: Any) -> str:
    """The value of a derivative at a point, for the substitution sentence: '2/3 ≈ 0.666667'.

    This sentence is part of the explainer's result (``Step.text``, pinned by its tests), so its
    number is written here rather than by ``gradcli.views.text``, which calculus may not import.
    """
    if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return f"{formula(value)} (undefined here)"
    exact = formula(value)
    if value.free_symbols or value.is_Integer:
        return exact
    try:
        number = complex(value.evalf(20))
    except (TypeError, ValueError):
        return exact
    if abs(number.imag) > 1e-12 * max(1.0, abs(number.real)):
        return f"{exact} (not real here)"
    approx = f"{number.real:.6g}".replace("-", "−")
    return approx if value.is_Float or exact == approx else f"{exact} ≈ {approx}"


def and_list(names: Sequence[str]) -> str:
    """['x'] -> 'x'; ['x', 'y', 'z'] -> 'x, y and z'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def latex_note(text: str, math_part: str = "") -> str:
    """A margin label for the ``aligned`` block: \\text{…} with TeX's specials escaped."""
    safe = re.sub(r"([#$%&_{}])", r"\\\1", text)
    return rf"\text{{{safe}}}" + (f" {math_part}" if math_part else "")


# --- writing rules -----------------------------------------------------------------------------------


def _leaf_precedence(expr: Any) -> int:
    if expr.is_Pow and expr.exp.is_Rational and expr.exp.is_negative:
        return _MUL  # printed as 1/x²
    if expr.is_Rational and not expr.is_Integer:
        return _MUL  # printed as 1/2
    return int(precedence(expr))


def _negative_number(node: Any) -> bool:
    return isinstance(node, sympy.Basic) and bool(node.is_Number) and bool(node.is_negative)


def _pull_sign(factors: Sequence[Any]) -> tuple[list[Any], bool]:
    """(−sin(u))·∂u/∂x reads better as −sin(u)·∂u/∂x: move a leading minus out of a product."""
    out = list(factors)
    if out and isinstance(out[0], sympy.Basic) and out[0].could_extract_minus_sign():
        out[0] = -out[0]
        if out[0] == 1 and len(out) > 1:
            out.pop(0)
        return out, True
    return out, False


class Notation:
    """How derivatives by one variable are written: ∂/∂x with several variables, d/dx with one."""

    def __init__(self, wrt: Any, partial: bool) -> None:
        self.x = wrt
        self.partial = partial
        self.d = "∂" if partial else "d"
        self.ld = r"\partial " if partial else "d"

    # text --------------------------------------------------------------------------------------
    def d_text(self, expr: Any, *, standalone: bool = False) -> str:
        """∂u/∂x for a name, else the operator: ∂/∂x (x² + 1), or ∂/∂x sin(x) when ``standalone``."""
        x = formula(self.x)
        if expr.is_Symbol:
            return derivative_name([x], partial=self.partial, f=formula(expr))
        op = f"{self.d}/{self.d}{x}"
        if standalone and (expr.is_Function or isinstance(expr, sigma)):
            return f"{op} {formula(expr)}"
        return f"{op} ({formula(expr)})"

    def text(self, node: Node, prec: int = 0) -> str:
        text, own = self._text(node)
        return f"({text})" if own < prec else text

    def _text(self, node: Node) -> tuple[str, int]:
        if isinstance(node, D):
            return self.d_text(node.expr), _ATOM
        if isinstance(node, Sum):
            parts: list[str] = []
            for sign, term in node.terms:
                negative = sign < 0
                if sign > 0 and isinstance(term, sympy.Basic) and term.could_extract_minus_sign():
                    term, negative = -term, True
                if isinstance(term, Prod) and term.factors and _negative_number(term.factors[0]):
                    negative = not negative
                    term = Prod((-term.factors[0], *term.factors[1:]))
                body = self.text(term, _ADD + 1 if negative else _ADD)
                parts.append(("−" if negative else "+") + " " + body)
            joined = " ".join(parts)
            if joined.startswith("+ "):
                joined = joined[2:]
            elif joined.startswith("− "):
                joined = "−" + joined[2:]
            return joined, _ADD
        if isinstance(node, Prod):
            factors, negative = _pull_sign(node.factors)
            body = "·".join(self.text(f, _MUL) for f in factors)
            return ("−" + body, _ADD) if negative else (body, _MUL)
        if isinstance(node, Frac):
            return f"{self.text(node.num, _MUL)}/{self.text(node.den, _MUL + 1)}", _MUL
        return formula(node), _leaf_precedence(node)

    # LaTeX -------------------------------------------------------------------------------------
    def d_latex(self, expr: Any, *, standalone: bool = False) -> str:
        """:meth:`d_text` in LaTeX."""
        x = tex(self.x)
        if expr.is_Symbol:
            # \frac{du}{dx}: tighter than derivative_name's "d f", as these lines always were.
            return rf"\frac{{{self.ld}{tex(expr)}}}{{{self.ld}{x}}}"
        op = rf"\frac{{{self.ld}}}{{{self.ld}{x}}}"
        if standalone and (expr.is_Function or isinstance(expr, sigma)):
            return f"{op} {tex(expr)}"
        return rf"{op}\left({tex(expr)}\right)"

    def latex(self, node: Node, prec: int = 0) -> str:
        text, own = self._latex(node)
        return rf"\left({text}\right)" if own < prec else text

    def _latex(self, node: Node) -> tuple[str, int]:
        if isinstance(node, D):
            return self.d_latex(node.expr), _ATOM
        if isinstance(node, Sum):
            out = ""
            for i, (sign, term) in enumerate(node.terms):
                negative = sign < 0
                if sign > 0 and isinstance(term, sympy.Basic) and term.could_extract_minus_sign():
                    term, negative = -term, True
                body = self.latex(term, _ADD + 1 if negative else _ADD)
                out += ("-" if negative else ("+" if i else "")) + (" " if i else "") + body + " "
            return out.strip(), _ADD
        if isinstance(node, Prod):
            factors, negative = _pull_sign(node.factors)
            body = r" \cdot ".join(self.latex(f, _MUL) for f in factors)
            return ("-" + body, _ADD) if negative else (body, _MUL)
        if isinstance(node, Frac):
            return rf"\frac{{{self.latex(node.num)}}}{{{self.latex(node.den)}}}", _ATOM
        return tex(node), _leaf_precedence(node)
