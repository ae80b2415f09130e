"""The rule engine: differentiates by one variable the way a teacher does, one step per rule.

:class:`Engine` walks the sympy tree — sum, constant, constant multiple, power, product, quotient,
chain (with an explicit inner function ``u``), exp/log/trig/hyperbolic/abs/sigmoid/softplus/ReLU —
and appends a :class:`Draft` per rule it applies, in the order a teacher states them (the rule first,
then the pieces it needs, one level deeper). It returns the derivative the rules assemble; checking
that against sympy, and numbering the drafts into steps, is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from gradcli.calculus.explain.notation import (
    D,
    Frac,
    Node,
    Notation,
    Prod,
    Sum,
    and_list,
    formula,
    latex_note,
    others,
    sigma,
    tex,
)
from gradcli.limits import work_clock

# A sum of more terms than this states the terms without x in one step (see Engine._long_sum).
LONG_SUM = 12

# Names for the inner function of a chain rule, by nesting level; any the expression uses are skipped.
_INNER_NAMES = ("u", "v", "w", "s", "t", "p", "q", "r")


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
class Draft:
    """A step being written: the engine fills it in after the steps nested under it."""

    rule: str
    before: Any
    depth: int
    text: str = ""
    latex: str = ""
    note: str = ""
    result: Any = None
    point: tuple[tuple[str, Any], ...] | None = None


class TooLong(Exception):
    """The derivation would take more steps, or more time, than an explanation may."""


class Engine:
    """Differentiates with respect to one variable, recording a draft step per rule application.

    ``max_steps`` and ``deadline`` (a :func:`gradcli.limits.work_clock` value) bound the work: past either,
    :class:`TooLong` is raised and the caller shortens the explanation. The check is cooperative
    (at every step) because the callers' own bounded sympy steps reset any SIGALRM timer.
    """

    def __init__(
        self,
        wrt: Any,
        notation: Notation,
        taken: set[str],
        drafts: list[Draft],
        *,
        max_steps: int | None = None,
        deadline: float | None = None,
    ):
        self.x = wrt
        self.n = notation
        self.taken = taken
        self.drafts = drafts
        self.limit = None if max_steps is None else len(drafts) + max_steps
        self.deadline = deadline

    # bookkeeping -------------------------------------------------------------------------------
    def _open(self, rule: str, before: Any, depth: int) -> Draft:
        if self.limit is not None and len(self.drafts) >= self.limit:
            raise TooLong("steps")
        if self.deadline is not None and work_clock() > self.deadline:
            raise TooLong("time")
        draft = Draft(rule, before, depth)
        self.drafts.append(draft)
        return draft

    def _fill(
        self,
        draft: Draft,
        label: str,
        rhs: Node,
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
            latex += f" = {tex(result)}"
        draft.text, draft.latex, draft.result = text, latex, result
        if self.deadline is not None and work_clock() > self.deadline:
            raise TooLong("time")  # printing a large step is the slow part
        if note is None and draft.rule in _LATEX_NOTES:
            draft.note = _LATEX_NOTES[draft.rule]
        else:
            draft.note = latex_note((note if note is not None else label).lower(), note_math)
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
        result = _bounded_diff(e, x)
        return self._fill(draft, "By sympy", result, result, note="sympy")

    def _child(self, e: Any, depth: int, level: int) -> Any:
        """A factor's derivative inside product/quotient/power rules: ∂x/∂x = 1 needs no step."""
        return sympy.S.One if e == self.x else self.diff(e, depth, level)

    def _d(self, e: Any) -> Any:
        return sympy.S.One if e == self.x else D(e)

    def _constant(self, e: Any, depth: int) -> Any:
        draft = self._open("constant", e, depth)
        names = sorted((formula(s) for s in e.free_symbols), key=str)
        d = self.n.d_text(e)
        if names:
            held = f"{and_list(names)} {'is' if len(names) == 1 else 'are'} treated as "
            held += "a constant" if len(names) == 1 else "constants"
            draft.text = f"{held}, so {d} = 0"
            draft.note = latex_note(f"{', '.join(names)} held constant")
        else:
            draft.text = f"The derivative of a constant is 0: {d} = 0"
            draft.note = latex_note("constant")
        draft.latex = f"{self.n.d_latex(e)} = 0"
        draft.result = sympy.S.Zero
        return sympy.S.Zero

    def _sum(self, e: Any, depth: int, level: int) -> Any:
        if len(e.args) > LONG_SUM and sum(self.x not in t.free_symbols for t in e.args) > 1:
            return self._long_sum(e, depth, level)
        if self.limit is not None and len(self.drafts) + len(e.args) >= self.limit:
            # The sum rule takes a step, and each term at least one more: past the limit for sure
            # (said at once, not after writing and printing 200 steps).
            raise TooLong("steps")
        draft = self._open("sum", e, depth)
        terms = e.as_ordered_terms()
        parts = [self.diff(t, depth + 1, level) for t in terms]
        rhs = Sum(tuple((1, D(t)) for t in terms))
        return self._fill(draft, "Sum rule, term by term", rhs, sympy.Add(*parts))

    def _long_sum(self, e: Any, depth: int, level: int) -> Any:
        """The sum rule for a long sum: the terms that hold x one by one, the others in one step
        ("the rest are constants"): a step per constant term teaches nothing. Sorted by sympy's
        key, not as_ordered_terms (printing order: 0.2 s for 1,000 terms)."""
        terms = sorted(e.args, key=sympy.default_sort_key)
        holding = [t for t in terms if self.x in t.free_symbols]
        rest = [t for t in terms if self.x not in t.free_symbols]
        if self.limit is not None and len(self.drafts) + len(holding) + 1 >= self.limit:
            raise TooLong("steps")  # each term holding x takes a step at least
        draft = self._open("sum", e, depth)
        parts = [self.diff(t, depth + 1, level) for t in holding]
        self._constant_terms(rest, depth + 1)
        rhs = Sum((*((1, D(t)) for t in holding), (1, D(others(len(rest))))))
        return self._fill(draft, "Sum rule, term by term", rhs, sympy.Add(*parts))

    def _constant_terms(self, rest: list[Any], depth: int) -> None:
        """One step for all the terms of a sum that do not hold x: their derivatives are 0."""
        draft = self._open("constant", sympy.Add(*rest), depth)
        count, ends = len(rest), [*rest[:2], *rest[2:][-1:]]  # the first two and the last
        gap = ", …," if count > 3 else ","
        listed = ", ".join(formula(t) for t in ends[:2]) + "".join(
            f"{gap} {formula(t)}" for t in ends[2:]
        )
        draft.text = (
            f"The other {count:,} terms ({listed}) do not hold {formula(self.x)}: each is "
            "treated as a constant, so each derivative is 0"
        )
        op = rf"\frac{{{self.n.ld}}}{{{self.n.ld}{tex(self.x)}}}"
        terms = " + ".join(tex(t) for t in ends[:2]) + "".join(
            (r" + \dots + " if count > 3 else " + ") + tex(t) for t in ends[2:]
        )
        draft.latex = rf"{op}\left({terms}\right) = 0"
        draft.note = latex_note(f"{count:,} constant terms")
        draft.result = sympy.S.Zero

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
        rhs = Prod((c, D(dep)))
        names = sorted((formula(s) for s in c.free_symbols), key=str)
        bases = [f.base.args[0] for f in sympy.Mul.make_args(c) if _is_inverse_log(f)]
        if isinstance(dep, sympy.log) and len(bases) == 1:
            b = formula(bases[0])
            label = f"Change of base, log_{b}(u) = ln(u)/ln({b})"
            draft.rule = "log_base"
            return self._fill(draft, label, rhs, c * inner, note=f"change of base {b}")
        if names:
            held = f"{and_list(names)} {'is' if len(names) == 1 else 'are'} treated as constant"
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
            terms.append((1, Prod(tuple(prod))))
            result_terms.append(sympy.Mul(*(ds[j] if j == i else f for j, f in enumerate(factors))))
        return self._fill(draft, "Product rule", Sum(tuple(terms)), sympy.Add(*result_terms))

    def _quotient(self, e: Any, u: Any, v: Any, depth: int, level: int) -> Any:
        draft = self._open("quotient", e, depth)
        du = self._child(u, depth + 1, level)
        dv = self._child(v, depth + 1, level)
        rhs = Frac(
            Sum(((1, Prod((self._d(u), v))), (-1, Prod((u, self._d(v)))))),
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
        rhs = Prod(
            (
                e,
                Sum(
                    (
                        (1, Prod((self._d(g), sympy.log(f)))),
                        (1, Frac(Prod((g, self._d(f))), f)),
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
            return Prod((sigma(v), Sum(((1, sympy.S.One), (-1, sigma(v))))))

        return self._outer(
            e,
            u,
            None,
            ("sigmoid", "Sigmoid rule σ′ = σ·(1 − σ)"),
            depth,
            level,
            outer_derivative=outer,
            display=(sigma, shown),
        )

    def _function(self, e: Any, depth: int, level: int) -> Any:
        x = self.x
        moving = [i for i, a in enumerate(e.args) if x in a.free_symbols]
        name = type(e).__name__
        rule = _FUNCTION_RULES.get(name, ("function", f"Derivative of {name}"))
        if len(moving) > 1:
            return self._multi_argument(e, moving, rule, depth, level)
        i = moving[0]
        if name == "relu" or (isinstance(e, sympy.Max) and len(e.args) == 2 and e.args[1 - i] == 0):
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
                display=(lambda v: sympy.log(1 + sympy.exp(v)), sigma),
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
        rhs = Prod((shown_fprime, D(u)))
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
            note_math=f"{tex(u)} = {tex(inner)}",
            prefix=prefix,
        )

    def _multi_argument(
        self, e: Any, moving: list[int], kind: tuple[str, str], depth: int, level: int
    ) -> Any:
        draft = self._open("chain", e, depth)
        ds = [self._child(e.args[i], depth + 1, level) for i in moving]
        partials = [e.fdiff(i + 1) for i in moving]
        rhs = Sum(tuple((1, Prod((p, self._d(e.args[i])))) for p, i in zip(partials, moving)))
        result = sympy.Add(*(p * d for p, d in zip(partials, ds)))
        label = f"Chain rule through each argument ({kind[1].split(',')[0].lower()})"
        return self._fill(draft, label, rhs, result, note="chain rule, each argument")


def _bounded_diff(e: Any, x: Any) -> Any:
    from gradcli.errors import TimeLimitError
    from gradcli.symbolic import differentiate

    try:
        return differentiate(e, x)
    except TimeLimitError:
        raise TooLong("size") from None


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
