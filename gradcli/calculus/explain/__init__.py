"""Derivatives explained step by step, the way a teacher writes them on the board.

A small rule engine walks the sympy tree of the expression and records one :class:`Step` per rule
it applies — sum, constant, constant multiple, power, product, quotient, chain (with an explicit inner
function ``u``), exp/log/trig/hyperbolic/abs/sigmoid/softplus/ReLU — in the order a teacher states
them (the rule first, then the pieces it needs, indented). The derivative the rules assemble is then
checked against ``sympy.diff``: the explanation always *ends* at sympy's result (a "simplify" step
shows the rewrite when the two forms differ), so the explainer can never print an answer that
disagrees with ``gradcli partial``. Higher-order and mixed partials are explained as a sequence of
first derivatives, and the substitution of points comes last.

Pure core: sympy only. :func:`to_lines`, :func:`to_records` and :func:`to_latex` give the terminal,
JSON and slide (``aligned``) views.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

__all__ = [
    "Explanation",
    "Step",
    "explain_derivative",
    "to_latex",
    "to_lines",
    "to_records",
    "to_rows",
]

_ADD = PRECEDENCE["Add"]
_MUL = PRECEDENCE["Mul"]
_ATOM = PRECEDENCE["Atom"]
_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# Names for the inner function of a chain rule, by nesting level; any the expression uses are skipped.
_INNER_NAMES = ("u", "v", "w", "s", "t", "p", "q", "r")


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One application of one rule.

    ``before`` is what is being differentiated (for ``simplify`` the form being rewritten, for
    ``substitute`` the derivative being evaluated) and ``result`` what that step (with the steps
    nested under it, at ``depth + 1``) produces. ``text`` is the teacher's sentence in Unicode
    maths; ``latex`` the same equation for an ``aligned`` block and ``note`` its margin label.
    """

    number: int
    rule: str
    before: Any
    result: Any
    text: str
    depth: int = 0
    latex: str = ""
    note: str = ""
    point: tuple[tuple[str, Any], ...] | None = None


@dataclass(frozen=True)
class Explanation:
    """The derivation of ``∂ⁿ expr / ∂wrt…`` and its result.

    ``result`` is the derivative in the target form (``sympy.diff`` unless the caller gave one);
    ``raw`` is what the rules assembled for the last derivative taken, before rewriting it into that
    form, and ``verified`` says the two were shown equal. ``values`` pairs each substituted point
    (variable name -> exact coordinate) with the exact value of the derivative there.
    """

    expr: Any
    wrt: tuple[Any, ...]
    variables: tuple[Any, ...]
    steps: list[Step]
    result: Any
    raw: Any
    verified: bool
    notation: str
    values: list[tuple[dict[str, Any], Any]] = field(default_factory=list)

    @property
    def rules(self) -> list[str]:
        """The rule names in step order (handy for tests and summaries)."""
        return [s.rule for s in self.steps]


# --- the right-hand sides of rules: a tiny tree so text and LaTeX say the same thing -------------


@dataclass(frozen=True)
class _D:
    """An unevaluated ``∂/∂x (expr)`` inside a rule's right-hand side."""

    expr: Any


@dataclass(frozen=True)
class _Sum:
    terms: tuple[tuple[int, Any], ...]  # (sign, node)


@dataclass(frozen=True)
class _Prod:
    factors: tuple[Any, ...]


@dataclass(frozen=True)
class _Frac:
    num: Any
    den: Any


_Node = Any  # a _D, _Sum, _Prod or _Frac, or a sympy expression as a leaf


class _sigma(sympy.Function):
    def _sympystr(self, printer: Any) -> str:
        return f"σ({printer._print(self.args[0])})"

    def _latex(self, printer: Any, exp: Any = None) -> str:
        return r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"


class _TextPrinter(StrPrinter):
    """One-line Unicode maths: x², √x, |x|, π, e, ln, H(x), δ(x), ∂/∂x, 2x·cos(x)."""

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exp = expr.args
        if exp.is_Rational and exp.is_negative:
            positive = base if exp == -1 else sympy.Pow(base, -exp, evaluate=False)
            return "1/" + self.parenthesize(positive, _MUL + 1)
        if exp == sympy.S.Half:
            inner = self._print(base)
            return "√" + (inner if base.is_Atom or base.is_Function else f"({inner})")
        base_text = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        if exp.is_Integer:
            return base_text + str(exp).translate(_SUPER)
        exp_text = self._print(exp)
        if not (exp.is_Symbol or (exp.is_Integer and exp.is_nonnegative)):
            exp_text = f"({exp_text})"
        return f"{base_text}^{exp_text}"

    def _print_Mul(self, expr: Any) -> str:
        return str(super()._print_Mul(expr)).replace("*", "·")

    def _print_Abs(self, expr: Any) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Pi(self, expr: Any) -> str:
        return "π"

    def _print_Exp1(self, expr: Any) -> str:
        return "e"

    def _print_log(self, expr: Any) -> str:
        return f"ln({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: Any) -> str:
        return f"H({self._print(expr.args[0])})"

    def _print_DiracDelta(self, expr: Any) -> str:
        return f"δ({self._print(expr.args[0])})"

    def _print_Max(self, expr: Any) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr: Any) -> str:
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Derivative(self, expr: Any) -> str:
        inner = self._print(expr.expr)
        names = "".join(f"∂{self._print(v)}" for v in expr.variables)
        return f"∂/{names} ({inner})"


class _LatexPrinter(LatexPrinter):
    def _print_Pow(self, expr: Any) -> str:
        # gradcli's real cube root prints itself as \sqrt[3]{u}; a power of it needs brackets.
        if type(expr.base).__name__ == "cbrt" and not expr.exp.is_negative:
            root = self._print(expr.base)
            return rf"\left({root}\right)^{{{self._print(expr.exp)}}}"
        return str(super()._print_Pow(expr))

    def _print_Derivative(self, expr: Any) -> str:
        names = " ".join(rf"\partial {self._print(v)}" for v in expr.variables)
        return rf"\frac{{\partial}}{{{names}}}\left({self._print(expr.expr)}\right)"


_TEXT = _TextPrinter({"order": None})
_LATEX = _LatexPrinter({"ln_notation": True})


def formula(expr: Any) -> str:
    """``2*x*cos(x**2)`` -> ``2x·cos(x²)``: one-line Unicode for the teacher's sentences."""
    text = str(_TEXT.doprint(expr)).replace("-", "−")
    # A number times a name or bracket reads best juxtaposed, as the tables print it: 2·x -> 2x.
    return re.sub(r"(?<![\w.])(\d+)·(?=[A-Za-zπ√(|σ])", r"\1", text)


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


class _Notation:
    """How derivatives are written: ∂/∂x with several variables, d/dx with one."""

    def __init__(self, wrt: Any, partial: bool) -> None:
        self.x = wrt
        self.partial = partial
        self.d = "∂" if partial else "d"
        self.ld = r"\partial " if partial else "d"

    # text --------------------------------------------------------------------------------------
    def d_text(self, expr: Any, *, standalone: bool = False) -> str:
        x = formula(self.x)
        if expr.is_Symbol:
            return f"{self.d}{formula(expr)}/{self.d}{x}"
        op = f"{self.d}/{self.d}{x}"
        if standalone and (expr.is_Function or isinstance(expr, _sigma)):
            return f"{op} {formula(expr)}"
        return f"{op} ({formula(expr)})"

    def text(self, node: _Node, prec: int = 0) -> str:
        text, own = self._text(node)
        return f"({text})" if own < prec else text

    def _text(self, node: _Node) -> tuple[str, int]:
        if isinstance(node, _D):
            return self.d_text(node.expr), _ATOM
        if isinstance(node, _Sum):
            parts: list[str] = []
            for sign, term in node.terms:
                negative = sign < 0
                if sign > 0 and isinstance(term, sympy.Basic) and term.could_extract_minus_sign():
                    term, negative = -term, True
                if isinstance(term, _Prod) and term.factors and _negative_number(term.factors[0]):
                    negative = not negative
                    term = _Prod((-term.factors[0], *term.factors[1:]))
                body = self.text(term, _ADD + 1 if negative else _ADD)
                parts.append(("−" if negative else "+") + " " + body)
            joined = " ".join(parts)
            if joined.startswith("+ "):
                joined = joined[2:]
            elif joined.startswith("− "):
                joined = "−" + joined[2:]
            return joined, _ADD
        if isinstance(node, _Prod):
            factors, negative = _pull_sign(node.factors)
            body = "·".join(self.text(f, _MUL) for f in factors)
            return ("−" + body, _ADD) if negative else (body, _MUL)
        if isinstance(node, _Frac):
            return f"{self.text(node.num, _MUL)}/{self.text(node.den, _MUL + 1)}", _MUL
        return formula(node), _leaf_precedence(node)

    # LaTeX -------------------------------------------------------------------------------------
    def d_latex(self, expr: Any, *, standalone: bool = False) -> str:
        x = _LATEX.doprint(self.x)
        if expr.is_Symbol:
            return rf"\frac{{{self.ld}{_LATEX.doprint(expr)}}}{{{self.ld}{x}}}"
        op = rf"\frac{{{self.ld}}}{{{self.ld}{x}}}"
        if standalone and (expr.is_Function or isinstance(expr, _sigma)):
            return f"{op} {_LATEX.doprint(expr)}"
        return rf"{op}\left({_LATEX.doprint(expr)}\right)"

    def latex(self, node: _Node, prec: int = 0) -> str:
        text, own = self._latex(node)
        return rf"\left({text}\right)" if own < prec else text

    def _latex(self, node: _Node) -> tuple[str, int]:
        if isinstance(node, _D):
            return self.d_latex(node.expr), _ATOM
        if isinstance(node, _Sum):
            out = ""
            for i, (sign, term) in enumerate(node.terms):
                negative = sign < 0
                if sign > 0 and isinstance(term, sympy.Basic) and term.could_extract_minus_sign():
                    term, negative = -term, True
                body = self.latex(term, _ADD + 1 if negative else _ADD)
                out += ("-" if negative else ("+" if i else "")) + (" " if i else "") + body + " "
            return out.strip(), _ADD
        if isinstance(node, _Prod):
            factors, negative = _pull_sign(node.factors)
            body = r" \cdot ".join(self.latex(f, _MUL) for f in factors)
            return ("-" + body, _ADD) if negative else (body, _MUL)
        if isinstance(node, _Frac):
            return rf"\frac{{{self.latex(node.num)}}}{{{self.latex(node.den)}}}", _ATOM
        return str(_LATEX.doprint(node)), _leaf_precedence(node)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _latex_note(text: str, math_part: str = "") -> str:
    safe = re.sub(r"([#$%&_{}])", r"\\\1", text)
    return rf"\text{{{safe}}}" + (f" {math_part}" if math_part else "")


# --- function rules --------------------------------------------------------------------------------

_FUNCTION_RULES: dict[str, tuple[str, str]] = {
    **{n: ("trig", "Trig rule") for n in ["sin", "cos", "tan", "sec", "csc", "cot"]},
    **{
        n: ("inverse_trig", "Inverse trig rule")
        for n in ["asin", "acos", "atan", "acot", "asec", "acsc", "atan2"]
    },
    **{
        n: ("hyperbolic", "Hyperbolic rule")
        for n in ["sinh", "cosh", "tanh", "coth", "sech", "csch"]
    },
    **{
        n: ("inverse_hyperbolic", "Inverse hyperbolic rule")
        for n in ["asinh", "acosh", "atanh", "acoth", "asech", "acsch"]
    },
    "exp": ("exp", "Exponential rule"),
    "log": ("log", "Log rule"),
    "Abs": ("abs", "Absolute value rule"),
    "sign": ("sign", "Sign rule (0 except at 0)"),
    "Max": ("max_min", "Max rule"),
    "Min": ("max_min", "Min rule"),
    "erf": ("erf", "Error function rule"),
    "cbrt": ("cbrt", "Cube-root rule"),
}


# Margin notes whose labels carry Unicode maths (σ′, H(u)) get a LaTeX spelling of their own.
_LATEX_NOTES = {
    "sigmoid": r"\text{sigmoid rule } \sigma' = \sigma\,(1 - \sigma)",
    "softplus": r"\text{softplus rule } \operatorname{softplus}' = \sigma",
    "relu": r"\text{ReLU rule } \operatorname{relu}'(u) = H(u)",
    "sign": r"\text{sign rule}",
}


@dataclass
class _Draft:
    rule: str
    before: Any
    depth: int
    text: str = ""
    latex: str = ""
    note: str = ""
    result: Any = None
    point: tuple[tuple[str, Any], ...] | None = None


class _Engine:
    """Differentiates with respect to one variable, recording a draft step per rule application."""

    def __init__(self, wrt: Any, notation: _Notation, taken: set[str], drafts: list[_Draft]):
        self.x = wrt
        self.n = notation
        self.taken = taken
        self.drafts = drafts

    # bookkeeping -------------------------------------------------------------------------------
    def _open(self, rule: str, before: Any, depth: int) -> _Draft:
        draft = _Draft(rule, before, depth)
        self.drafts.append(draft)
        return draft

    def _fill(
        self,
        draft: _Draft,
        label: str,
        rhs: _Node,
        result: Any,
        *,
        lhs: Any = None,
        note: str | None = None,
        note_math: str = "",
        prefix: str = "",
    ) -> Any:
        """Complete a step: 'Label: ∂/∂x (before) = rhs [= result]'."""
        lhs = draft.before if lhs is None else lhs
        had_children = self.drafts[-1] is not draft
        rhs_text = self.n.text(rhs)
        text = f"{label}: {prefix}{self.n.d_text(lhs, standalone=True)} = {rhs_text}"
        latex = f"{self.n.d_latex(lhs, standalone=True)} = {self.n.latex(rhs)}"
        final_text = formula(result)
        if not had_children and final_text != rhs_text:
            text += f" = {final_text}"
            latex += f" = {_LATEX.doprint(result)}"
        draft.text, draft.latex, draft.result = text, latex, result
        if note is None and draft.rule in _LATEX_NOTES:
            draft.note = _LATEX_NOTES[draft.rule]
        else:
            draft.note = _latex_note((note if note is not None else label).lower(), note_math)
        return result

    def _inner_name(self, level: int) -> Any:
        free = [n for n in _INNER_NAMES if n not in self.taken]
        name = free[level] if level < len(free) else f"u{level}"
        return sympy.Symbol(name, real=True)

    # the rules -----------------------------------------------------------------------------------
    def diff(self, e: Any, depth: int = 0, level: int = 0) -> Any:
        x = self.x
        if x not in e.free_symbols:
            return self._constant(e, depth)
        if e == x:
            draft = self._open("variable", e, depth)
            return self._fill(draft, "Variable rule", sympy.S.One, sympy.S.One)
        if e.is_Add:
            return self._sum(e, depth, level)
        if e.is_Mul:
            return self._mul(e, depth, level)
        if e.is_Pow:
            return self._pow(e, depth, level)
        if e.is_Function:
            return self._function(e, depth, level)
        draft = self._open("sympy", e, depth)
        result = sympy.diff(e, x)
        return self._fill(draft, "By sympy", result, result, note="sympy")

    def _child(self, e: Any, depth: int, level: int) -> Any:
        """A factor's derivative inside product/quotient/power rules: ∂x/∂x = 1 needs no step."""
        return sympy.S.One if e == self.x else self.diff(e, depth, level)

    def _d(self, e: Any) -> Any:
        return sympy.S.One if e == self.x else _D(e)

    def _constant(self, e: Any, depth: int) -> Any:
        draft = self._open("constant", e, depth)
        names = sorted((formula(s) for s in e.free_symbols), key=str)
        d = self.n.d_text(e)
        if names:
            held = f"{_and(names)} {'is' if len(names) == 1 else 'are'} treated as "
            held += "a constant" if len(names) == 1 else "constants"
            draft.text = f"{held}, so {d} = 0"
            draft.note = _latex_note(f"{', '.join(names)} held constant")
        else:
            draft.text = f"The derivative of a constant is 0: {d} = 0"
            draft.note = _latex_note("constant")
        draft.latex = f"{self.n.d_latex(e)} = 0"
        draft.result = sympy.S.Zero
        return sympy.S.Zero

    def _sum(self, e: Any, depth: int, level: int) -> Any:
        draft = self._open("sum", e, depth)
        terms = e.as_ordered_terms()
        parts = [self.diff(t, depth + 1, level) for t in terms]
        rhs = _Sum(tuple((1, _D(t)) for t in terms))
        return self._fill(draft, "Sum rule, term by term", rhs, sympy.Add(*parts))

    def _mul(self, e: Any, depth: int, level: int) -> Any:
        coeff, dep = e.as_independent(self.x, as_Add=False)
        if coeff != 1:
            return self._constant_multiple(e, coeff, dep, depth, level)
        factors = list(sympy.Mul.make_args(dep))
        num = [f for f in factors if not (f.is_Pow and f.exp.could_extract_minus_sign())]
        den = [1 / f for f in factors if f.is_Pow and f.exp.could_extract_minus_sign()]
        if den and not num:
            # 1/(x·(x+1)): a reciprocal, differentiated as u⁻¹ with the chain rule
            return self._power(e, sympy.Mul(*den), sympy.S.NegativeOne, depth, level)
        if den:
            return self._quotient(e, sympy.Mul(*num), sympy.Mul(*den), depth, level)
        return self._product(e, factors, depth, level)

    def _constant_multiple(self, e: Any, c: Any, dep: Any, depth: int, level: int) -> Any:
        draft = self._open("constant_multiple", e, depth)
        inner = self._child(dep, depth + 1, level)
        rhs = _Prod((c, _D(dep)))
        names = sorted((formula(s) for s in c.free_symbols), key=str)
        bases = [f.base.args[0] for f in sympy.Mul.make_args(c) if _is_inverse_log(f)]
        if isinstance(dep, sympy.log) and len(bases) == 1:
            b = formula(bases[0])
            label = f"Change of base, log_{b}(u) = ln(u)/ln({b})"
            draft.rule = "log_base"
            return self._fill(draft, label, rhs, c * inner, note=f"change of base {b}")
        if names:
            held = f"{_and(names)} {'is' if len(names) == 1 else 'are'} treated as constant"
            label = f"Constant multiple ({held})"
        else:
            label = "Constant multiple"
        return self._fill(draft, label, rhs, c * inner, note="constant multiple")

    def _product(self, e: Any, factors: list[Any], depth: int, level: int) -> Any:
        draft = self._open("product", e, depth)
        ds = [self._child(f, depth + 1, level) for f in factors]
        terms = []
        result_terms = []
        for i, _ in enumerate(factors):
            prod = [self._d(f) if j == i else f for j, f in enumerate(factors)]
            terms.append((1, _Prod(tuple(prod))))
            result_terms.append(sympy.Mul(*(ds[j] if j == i else f for j, f in enumerate(factors))))
        return self._fill(draft, "Product rule", _Sum(tuple(terms)), sympy.Add(*result_terms))

    def _quotient(self, e: Any, u: Any, v: Any, depth: int, level: int) -> Any:
        draft = self._open("quotient", e, depth)
        du = self._child(u, depth + 1, level)
        dv = self._child(v, depth + 1, level)
        rhs = _Frac(
            _Sum(((1, _Prod((self._d(u), v))), (-1, _Prod((u, self._d(v)))))),
            sympy.Pow(v, 2, evaluate=False),
        )
        result = (du * v - u * dv) / v**2
        return self._fill(draft, "Quotient rule", rhs, result, note="quotient rule")

    def _pow(self, e: Any, depth: int, level: int) -> Any:
        base, exp = e.args
        x = self.x
        if x not in exp.free_symbols:
            sigmoid_arg = _sigmoid_argument(e)
            if sigmoid_arg is not None:
                return self._sigmoid(e, sigmoid_arg, depth, level)
            return self._power(e, base, exp, depth, level)
        if x not in base.free_symbols:
            a = base
            return self._outer(
                e,
                exp,
                lambda u: a**u,
                ("exponential", "Exponential rule"),
                depth,
                level,
            )
        return self._general_power(e, base, exp, depth, level)

    def _power(self, e: Any, base: Any, n: Any, depth: int, level: int) -> Any:
        if n == sympy.S.Half:
            kind = ("sqrt", "Square-root rule")
        elif n == sympy.Rational(1, 3):
            kind = ("cbrt", "Cube-root rule")
        else:
            kind = ("power", "Power rule")
        return self._outer(e, base, lambda u: u**n, kind, depth, level)

    def _general_power(self, e: Any, f: Any, g: Any, depth: int, level: int) -> Any:
        draft = self._open("general_power", e, depth)
        df = self._child(f, depth + 1, level)
        dg = self._child(g, depth + 1, level)
        rhs = _Prod(
            (
                e,
                _Sum(
                    (
                        (1, _Prod((self._d(g), sympy.log(f)))),
                        (1, _Frac(_Prod((g, self._d(f))), f)),
                    )
                ),
            )
        )
        result = e * (dg * sympy.log(f) + g * df / f)
        label = "General power rule (f^g = exp(g·ln f))"
        return self._fill(draft, label, rhs, result, note="general power rule")

    def _sigmoid(self, e: Any, u: Any, depth: int, level: int) -> Any:
        def outer(v: Any) -> Any:
            s = 1 / (1 + sympy.exp(-v))
            return s * (1 - s)

        def shown(v: Any) -> Any:
            return _Prod((_sigma(v), _Sum(((1, sympy.S.One), (-1, _sigma(v))))))

        return self._outer(
            e,
            u,
            None,
            ("sigmoid", "Sigmoid rule σ′ = σ·(1 − σ)"),
            depth,
            level,
            outer_derivative=outer,
            display=(_sigma, shown),
        )

    def _function(self, e: Any, depth: int, level: int) -> Any:
        x = self.x
        moving = [i for i, a in enumerate(e.args) if x in a.free_symbols]
        name = type(e).__name__
        rule = _FUNCTION_RULES.get(name, ("function", f"Derivative of {name}"))
        if len(moving) > 1:
            return self._multi_argument(e, moving, rule, depth, level)
        i = moving[0]
        if isinstance(e, sympy.Max) and len(e.args) == 2 and e.args[1 - i] == 0:
            rule = ("relu", "ReLU rule, relu′(u) = H(u): 1 for u > 0, 0 for u < 0")
        if isinstance(e, sympy.log) and _softplus_argument(e) is not None:
            u = _softplus_argument(e)
            return self._outer(
                e,
                u,
                None,
                ("softplus", "Softplus rule, softplus′ = σ"),
                depth,
                level,
                outer_derivative=lambda v: 1 / (1 + sympy.exp(-v)),
                display=(lambda v: sympy.log(1 + sympy.exp(v)), _sigma),
            )
        args = list(e.args)

        def build(v: Any) -> Any:
            return e.func(*(v if j == i else a for j, a in enumerate(args)))

        return self._outer(e, args[i], build, rule, depth, level)

    def _outer(
        self,
        e: Any,
        inner: Any,
        build: Any,
        kind: tuple[str, str],
        depth: int,
        level: int,
        *,
        outer_derivative: Any = None,
        display: Any = None,
    ) -> Any:
        """A function of one moving argument: its own rule if the argument is x, else the chain rule.

        ``build(v)`` rebuilds the function around ``v``; its derivative is sympy's (with a real
        placeholder), so every named function, including ones the table does not know, is right.
        ``display`` optionally gives (how f(v) is shown, how f′(v) is shown) for σ-style rules.
        """
        rule, label = kind
        x = self.x
        if inner == x:
            draft = self._open(rule, e, depth)
            fprime = outer_derivative(x) if outer_derivative else sympy.diff(build(x), x)
            shown = display[1](x) if display else fprime
            lhs = display[0](x) if display else e
            return self._fill(draft, label, shown, fprime, lhs=lhs)
        u = self._inner_name(level)
        draft = self._open("chain", e, depth)
        du = self.diff(inner, depth + 1, level + 1)
        fprime_u = outer_derivative(u) if outer_derivative else sympy.diff(build(u), u)
        f_u = display[0](u) if display else build(u)
        shown_fprime = display[1](u) if display else fprime_u
        result = fprime_u.subs(u, inner) * du
        rhs = _Prod((shown_fprime, _D(u)))
        outer_name = label.split(",")[0].split(" (")[0]
        if not any(c.isupper() for c in outer_name.split()[0][1:]):  # keep "ReLU"
            outer_name = outer_name[0].lower() + outer_name[1:]
        prefix = f"let {formula(u)} = {formula(inner)}, then "
        return self._fill(
            draft,
            f"Chain rule with the {outer_name}",
            rhs,
            result,
            lhs=f_u,
            note="chain rule, ",
            note_math=f"{_LATEX.doprint(u)} = {_LATEX.doprint(inner)}",
            prefix=prefix,
        )

    def _multi_argument(
        self, e: Any, moving: list[int], kind: tuple[str, str], depth: int, level: int
    ) -> Any:
        draft = self._open("chain", e, depth)
        ds = [self._child(e.args[i], depth + 1, level) for i in moving]
        partials = [e.fdiff(i + 1) for i in moving]
        rhs = _Sum(tuple((1, _Prod((p, self._d(e.args[i])))) for p, i in zip(partials, moving)))
        result = sympy.Add(*(p * d for p, d in zip(partials, ds)))
        label = f"Chain rule through each argument ({kind[1].split(',')[0].lower()})"
        return self._fill(draft, label, rhs, result, note="chain rule, each argument")


def _is_inverse_log(f: Any) -> bool:
    return bool(f.is_Pow and f.exp == -1 and isinstance(f.base, sympy.log))


def _sigmoid_argument(e: Any) -> Any:
    """u if e is 1/(1 + exp(−u)) — how the parser builds sigmoid(u) — else None."""
    if not (e.is_Pow and e.exp == -1 and e.base.is_Add and len(e.base.args) == 2):
        return None
    one, other = sorted(e.base.args, key=lambda a: 0 if a == 1 else 1)
    if one == 1 and isinstance(other, sympy.exp):
        return -other.args[0]
    return None


def _softplus_argument(e: Any) -> Any:
    """u if e is ln(1 + exp(u)) — how the parser builds softplus(u) — else None."""
    arg = e.args[0]
    if not (arg.is_Add and len(arg.args) == 2):
        return None
    one, other = sorted(arg.args, key=lambda a: 0 if a == 1 else 1)
    if one == 1 and isinstance(other, sympy.exp):
        return other.args[0]
    return None


# --- checking the rules' result against sympy's --------------------------------------------------

_SAMPLE_RANGES = ((0.1, 0.95), (1.05, 3.0), (-0.95, -0.1), (-3.0, -1.05))


def _agree(a: Any, b: Any, symbols: Sequence[Any], domain: Any = None) -> bool | None:
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


# --- the public entry points ---------------------------------------------------------------------


def _order_notation(wrts: Sequence[Any], partial: bool, f: str = "f") -> str:
    d = "∂" if partial else "d"
    n = len(wrts)
    groups: list[list[Any]] = []
    for w in reversed(wrts):  # ∂/∂y (∂f/∂x) = ∂²f/∂y∂x: the last variable is written first
        if groups and groups[-1][0] == w:
            groups[-1].append(w)
        else:
            groups.append([w])
    den = "".join(
        f"{d}{formula(g[0])}" + (str(len(g)).translate(_SUPER) if len(g) > 1 else "")
        for g in groups
    )
    order = str(n).translate(_SUPER) if n > 1 else ""
    return f"{d}{order}{f}/{den}"


def _point_items(point: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    items = []
    for k, v in point.items():
        sym = k if isinstance(k, sympy.Symbol) else sympy.Symbol(str(k), real=True)
        if isinstance(v, bool) or not isinstance(v, (int, float, sympy.Basic)):
            raise TypeError(f"a point coordinate must be a number, not {type(v).__name__}")
        items.append((sym, v if isinstance(v, sympy.Basic) else sympy.sympify(v)))
    return items


def explain_derivative(
    expr: Any,
    wrt: Any,
    variables: Sequence[Any] = (),
    *,
    at: Mapping[Any, Any] | Sequence[Mapping[Any, Any]] | None = None,
    target: Any = None,
) -> Explanation:
    """Explain ``∂expr/∂wrt`` step by step.

    ``wrt`` is a Symbol, or a sequence of them for a higher-order or mixed partial (``[x, y]`` is
    ∂²f/∂y∂x: differentiate by x, then by y), each explained as a first derivative of the previous
    result. ``variables`` are the function's variables (they decide ∂ versus d and which names the
    inner function ``u`` must avoid). ``at`` is a point (``{x: 3, y: 1}``, keys Symbols or names,
    values sympy numbers — exact where possible) or a list of points to substitute at the end.
    ``target`` is the form the last derivative should end at (default ``sympy.diff``); it must be
    equal to it.
    """
    wrts = tuple(wrt) if isinstance(wrt, (list, tuple)) else (wrt,)
    if not wrts:
        raise ValueError("explain_derivative needs at least one variable to differentiate by")
    variables = tuple(variables)
    symbols = set(variables) | expr.free_symbols | set(wrts)
    partial = len(symbols) > 1
    taken = {s.name for s in symbols}
    drafts: list[_Draft] = []
    current = expr
    raw = expr
    verified = True
    for k, w in enumerate(wrts):
        notation = _Notation(w, partial)
        before_text = _order_notation(wrts[:k], partial) if k else "f"
        stage_target = sympy.diff(current, w)
        if k == len(wrts) - 1 and target is not None:
            stage_target = target
        if len(wrts) > 1:
            stage = _Draft("stage", current, 0)
            ordinal = _ordinal(k + 1)
            stage.text = (
                f"{ordinal} derivative: differentiate {before_text} = {formula(current)} "
                f"with respect to {formula(w)}"
            )
            stage.latex = rf"{_latex_name(wrts[:k], partial)} = {_LATEX.doprint(current)}"
            stage.note = _latex_note(f"{ordinal.lower()} derivative, by ", _LATEX.doprint(w))
            stage.result = stage_target
            drafts.append(stage)
        start = len(drafts)
        base = 1 if len(wrts) > 1 else 0  # a stage's steps sit under its heading
        raw = _Engine(w, notation, taken, drafts).diff(current, depth=base)
        name = _order_notation(wrts[: k + 1], partial)
        lname = _latex_name(wrts[: k + 1], partial)
        if len(drafts) - start > 1:
            combine = _Draft("combine", current, base, result=raw)
            combine.text = f"Putting the pieces together: {name} = {formula(raw)}"
            combine.latex = f"{lname} = {_LATEX.doprint(raw)}"
            combine.note = _latex_note("together")
            drafts.append(combine)
        agree = _agree(raw, stage_target, sorted(symbols, key=lambda s: s.name), current)
        if raw != stage_target:
            step = _Draft("simplify", raw, base, result=stage_target)
            if agree:
                step.text = f"Simplify: {name} = {formula(stage_target)}"
                step.note = _latex_note("simplify")
            else:
                step.rule = "sympy"
                step.text = (
                    f"sympy gives {name} = {formula(stage_target)} "
                    "(gradcli could not confirm the rules' form above equals it)"
                )
                step.note = _latex_note("sympy")
            step.latex = f"{lname} = {_LATEX.doprint(stage_target)}"
            drafts.append(step)
        verified = verified and bool(agree)
        current = stage_target

    result = current
    values: list[tuple[dict[str, Any], Any]] = []
    points: list[Mapping[Any, Any]]
    if at is None:
        points = []
    elif isinstance(at, Mapping):
        points = [at]
    else:
        points = list(at)
    name = _order_notation(wrts, partial)
    lname = _latex_name(wrts, partial)
    for point in points:
        items = _point_items(point)
        value = result.subs(dict(items), simultaneous=True)
        named = {s.name: v for s, v in items}
        values.append((named, value))
        where = ", ".join(f"{formula(s)} = {formula(v)}" for s, v in items)
        step = _Draft("substitute", result, 0, result=value, point=tuple(named.items()))
        step.text = f"At {where}: {name} = {_value_text(value)}"
        step.latex = (
            rf"\left.{lname}\right|_{{"
            + ", ".join(f"{_LATEX.doprint(s)} = {_LATEX.doprint(v)}" for s, v in items)
            + f"}} = {_LATEX.doprint(value)}"
        )
        step.note = _latex_note("substitute")
        drafts.append(step)

    steps = [
        Step(
            number=i,
            rule=d.rule,
            before=d.before,
            result=d.result,
            text=d.text,
            depth=d.depth,
            latex=d.latex,
            note=d.note,
            point=d.point,
        )
        for i, d in enumerate(drafts, start=1)
    ]
    return Explanation(
        expr=expr,
        wrt=wrts,
        variables=variables,
        steps=steps,
        result=result,
        raw=raw,
        verified=verified,
        notation=name,
        values=values,
    )


def _ordinal(n: int) -> str:
    names = {1: "First", 2: "Second", 3: "Third", 4: "Fourth", 5: "Fifth"}
    return names.get(n, f"{n}th")


def _latex_name(wrts: Sequence[Any], partial: bool) -> str:
    if not wrts:
        return "f"
    d = r"\partial " if partial else "d"
    groups: list[list[Any]] = []
    for w in reversed(wrts):
        if groups and groups[-1][0] == w:
            groups[-1].append(w)
        else:
            groups.append([w])
    den = " ".join(
        f"{d}{_LATEX.doprint(g[0])}" + (f"^{{{len(g)}}}" if len(g) > 1 else "") for g in groups
    )
    order = f"^{{{len(wrts)}}}" if len(wrts) > 1 else ""
    return rf"\frac{{{d}{order} f}}{{{den}}}"


def _value_text(value: Any) -> str:
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


# --- views ---------------------------------------------------------------------------------------


def to_lines(expl: Explanation, indent: str = "   ") -> list[str]:
    """Numbered steps for the terminal, nested rules indented: ' 3.    Power rule: …'."""
    width = len(str(len(expl.steps)))
    return [f"{s.number:>{width}}. {indent * s.depth}{s.text}" for s in expl.steps]


def to_rows(expl: Explanation, indent: str = "   ") -> list[list[str]]:
    """[step number, indented text] rows for a ``render.Table(columns=['#', 'step'])``."""
    return [[str(s.number), indent * s.depth + s.text] for s in expl.steps]


def to_records(expl: Explanation) -> list[dict[str, Any]]:
    """The steps as JSON-ready objects: step, rule, depth, before, result (sympy syntax), text."""
    records: list[dict[str, Any]] = []
    for s in expl.steps:
        record: dict[str, Any] = {
            "step": s.number,
            "rule": s.rule,
            "depth": s.depth,
            "before": sympy.sstr(s.before),
            "result": sympy.sstr(s.result),
            "text": s.text,
        }
        if s.point is not None:
            record["at"] = {k: sympy.sstr(v) for k, v in s.point}
        records.append(record)
    return records


def to_latex(expl: Explanation) -> str:
    r"""An ``aligned`` derivation for slides: one equation per step, nested ones indented with
    ``\quad``, the rule in a right-hand column."""
    lines = ["&" + r"\quad " * s.depth + s.latex + r" && " + s.note for s in expl.steps if s.latex]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
