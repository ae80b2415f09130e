"""Derivatives explained step by step, the way a teacher writes them on the board.

A small rule engine (:mod:`.rules`) walks the sympy tree of the expression and records one
:class:`Step` per rule it applies — sum, constant, constant multiple, power, product, quotient, chain
(with an explicit inner function ``u``), exp/log/trig/hyperbolic/abs/sigmoid/softplus/ReLU — in the
order a teacher states them (the rule first, then the pieces it needs, indented). The derivative the
rules assemble is then checked against ``sympy.diff`` (:mod:`.verify`): the explanation always *ends*
at sympy's result (a "simplify" step shows the rewrite when the two forms differ), so the explainer
can never print an answer that disagrees with ``gradcli partial``. Higher-order and mixed partials
are explained as a sequence of first derivatives, and the substitution of points comes last.

Pure core: sympy (and mpmath for the check). How it is written lives in :mod:`.notation`; the
terminal, JSON and slide views of an :class:`Explanation` are in :mod:`gradcli.views.explanation`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from gradcli.calculus.explain.notation import (
    Notation,
    formula,
    latex_note,
    order_latex,
    order_name,
    tex,
    value_text,
)
from gradcli.calculus.explain.rules import Draft, Engine, TooLong
from gradcli.calculus.explain.verify import VERIFY_SECONDS, agree
from gradcli.limits import bounded, work_clock
from gradcli.symbolic import differentiate

__all__ = ["Explanation", "GradientExplanation", "Step", "explain_derivative", "explain_gradient"]

# An explanation is bounded like every other symbolic step (issue 10): past these it is shortened
# to sympy's result with a note saying why, instead of growing.
MAX_STEPS = 200  # rule applications in one derivative: nobody reads more on a board
EXPLAIN_SECONDS = 6.0  # the rules, their printing and the check, for the whole derivation
SUBSTITUTE_SECONDS = 2.0  # the exact value at one point
# grad --explain: a derivation per partial, n of them. A board of the first EXPLAIN_PARTIALS says
# how they go (the rest are named, and `partial --wrt x_k --explain` explains any one), and they
# share one time bound — each on its own took EXPLAIN_SECONDS, and 1,000 of them 95 s.
EXPLAIN_PARTIALS = 10
GRADIENT_EXPLAIN_SECONDS = EXPLAIN_SECONDS
# Points substituted step by step (the command's own table has every point's value): 2,000 points
# from stdin made a derivation of 2,000 substitution steps, each an exact computation.
EXPLAIN_POINTS = 10


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
    deadline: float | None = None,
) -> Explanation:
    """Explain ``∂expr/∂wrt`` step by step.

    ``wrt`` is a Symbol, or a sequence of them for a higher-order or mixed partial (``[x, y]`` is
    ∂²f/∂y∂x: differentiate by x, then by y), each explained as a first derivative of the previous
    result. ``variables`` are the function's variables (they decide ∂ versus d and which names the
    inner function ``u`` must avoid). ``at`` is a point (``{x: 3, y: 1}``, keys Symbols or names,
    values sympy numbers — exact where possible) or a list of points to substitute at the end.
    ``target`` is the form the last derivative should end at (default ``sympy.diff``); it must be
    equal to it. ``deadline`` (a :func:`~gradcli.limits.work_clock` value) ends the derivation
    sooner than its own bound when it is shared with others (:func:`explain_gradient`).
    """
    wrts = tuple(wrt) if isinstance(wrt, (list, tuple)) else (wrt,)
    if not wrts:
        raise ValueError("explain_derivative needs at least one variable to differentiate by")
    variables = tuple(variables)
    symbols = set(variables) | expr.free_symbols | set(wrts)
    partial = len(symbols) > 1
    taken = {s.name for s in symbols}
    drafts: list[Draft] = []
    current = expr
    raw = expr
    verified = True
    own = work_clock() + EXPLAIN_SECONDS
    shared = deadline is not None and deadline < own
    deadline = min(own, deadline) if deadline is not None else own
    for k, w in enumerate(wrts):
        notation = Notation(w, partial)
        before_text = order_name(wrts[:k], partial)
        if k == len(wrts) - 1 and target is not None:
            stage_target = target
        else:
            # bounded in time and size like the command's own derivative (TimeLimitError past it)
            stage_target = differentiate(current, w, what=order_name(wrts[: k + 1], partial))
        if len(wrts) > 1:
            stage = Draft("stage", current, 0)
            ordinal = _ordinal(k + 1)
            stage.text = (
                f"{ordinal} derivative: differentiate {before_text} = {formula(current)} "
                f"with respect to {formula(w)}"
            )
            stage.latex = rf"{order_latex(wrts[:k], partial)} = {tex(current)}"
            stage.note = latex_note(f"{ordinal.lower()} derivative, by ", tex(w))
            stage.result = stage_target
            drafts.append(stage)
        start = len(drafts)
        base = 1 if len(wrts) > 1 else 0  # a stage's steps sit under its heading
        name = order_name(wrts[: k + 1], partial)
        lname = order_latex(wrts[: k + 1], partial)
        engine = Engine(w, notation, taken, drafts, max_steps=MAX_STEPS, deadline=deadline)
        try:
            raw = engine.diff(current, depth=base)
        except TooLong as why:
            del drafts[start:]
            why_text = "shared" if shared and str(why) == "time" else str(why)
            drafts.append(_shortened(why_text, current, stage_target, base, name, lname))
            raw, verified, current = stage_target, False, stage_target
            continue
        if len(drafts) - start > 1:
            combine = Draft("combine", current, base, result=raw)
            combine.text = f"Putting the pieces together: {name} = {formula(raw)}"
            combine.latex = f"{lname} = {tex(raw)}"
            combine.note = latex_note("together")
            drafts.append(combine)
        seconds = min(VERIFY_SECONDS, max(deadline - work_clock(), 0.0))
        agreed = agree(
            raw, stage_target, sorted(symbols, key=lambda s: s.name), current, seconds=seconds
        )
        if raw != stage_target:
            step = Draft("simplify", raw, base, result=stage_target)
            if agreed:
                step.text = f"Simplify: {name} = {formula(stage_target)}"
                step.note = latex_note("simplify")
            else:
                step.rule = "sympy"
                step.text = (
                    f"sympy gives {name} = {formula(stage_target)} "
                    "(gradcli could not confirm the rules' form above equals it)"
                )
                step.note = latex_note("sympy")
            step.latex = f"{lname} = {tex(stage_target)}"
            drafts.append(step)
        verified = verified and bool(agreed)
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
    name = order_name(wrts, partial)
    lname = order_latex(wrts, partial)
    more = len(points) - EXPLAIN_POINTS
    for point in points[:EXPLAIN_POINTS]:
        items = _point_items(point)
        named = {s.name: v for s, v in items}
        where = ", ".join(f"{formula(s)} = {formula(v)}" for s, v in items)
        text = bounded(SUBSTITUTE_SECONDS, functools.partial(_substituted, result, items), None)
        if text is None:
            # Exact arithmetic there can be slow (huge exact powers): the value is the command's.
            value: Any = sympy.Subs(result, tuple(s for s, _ in items), tuple(v for _, v in items))
            shown = f"{name} at this point (too slow to compute exactly; see its value above)"
            value_tex = r"\text{(see its value above)}"
        else:
            value, shown, value_tex = text
        values.append((named, value))
        step = Draft("substitute", result, 0, result=value, point=tuple(named.items()))
        step.text = f"At {where}: {name} = {shown}"
        step.latex = (
            rf"\left.{lname}\right|_{{"
            + ", ".join(f"{tex(s)} = {tex(v)}" for s, v in items)
            + f"}} = {value_tex}"
        )
        step.note = latex_note("substitute")
        drafts.append(step)
    if more > 0:
        step = Draft("more_points", result, 0, result=result)
        step.text = (
            f"At {more:,} more point{'s' if more > 1 else ''} the same way (the values are in "
            f"the table above; the explanation substitutes at the first {EXPLAIN_POINTS})"
        )
        step.note = latex_note(f"{more:,} more points")
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


def _substituted(result: Any, items: list[tuple[Any, Any]]) -> tuple[Any, str, str]:
    """(the exact value of ``result`` at the point, its text, its LaTeX)."""
    value = result.subs(dict(items), simultaneous=True)
    return value, value_text(value), tex(value)


def _shortened(why: str, before: Any, target: Any, depth: int, name: str, lname: str) -> Draft:
    """The one step that stands for a derivation too long to show rule by rule."""
    reason = {
        "steps": f"takes more than {MAX_STEPS} steps",
        "time": f"takes longer than {EXPLAIN_SECONDS:g} s to write out",
        "shared": (
            f"would take more of the {GRADIENT_EXPLAIN_SECONDS:g} s the whole gradient's "
            "explanation may take"
        ),
        "size": "grows too large",
    }.get(why, "is too long")
    step = Draft("sympy", before, depth, result=target)
    step.text = (
        f"The derivation rule by rule {reason}, so it is left out; sympy gives {name} = "
        f"{formula(target)}"
    )
    step.latex = f"{lname} = {tex(target)}"
    step.note = latex_note("sympy (derivation left out: it " + reason + ")")
    return step


def _ordinal(n: int) -> str:
    names = {1: "First", 2: "Second", 3: "Third", 4: "Fourth", 5: "Fifth"}
    return names.get(n, f"{n}th")


@dataclass(frozen=True)
class GradientExplanation:
    """∇f explained a partial at a time: ``explained`` in variable order, then the variables
    ``left_out`` — past :data:`EXPLAIN_PARTIALS` (``why`` "count") or past the shared time bound
    (``why`` "time")."""

    explained: list[Explanation]
    left_out: tuple[Any, ...] = ()
    why: str = ""


def explain_gradient(
    expr: Any,
    variables: Sequence[Any],
    targets: Sequence[Any],
    *,
    at: Sequence[Mapping[Any, Any]] | None = None,
) -> GradientExplanation:
    """Explain ∂expr/∂v for the first :data:`EXPLAIN_PARTIALS` of ``variables`` (``targets``: the
    form each should end at), all within :data:`GRADIENT_EXPLAIN_SECONDS` of work."""
    variables = tuple(variables)
    deadline = work_clock() + GRADIENT_EXPLAIN_SECONDS
    explained: list[Explanation] = []
    for k, (var, target) in enumerate(zip(variables, targets)):
        if k >= EXPLAIN_PARTIALS:
            return GradientExplanation(explained, variables[k:], "count")
        if k and work_clock() > deadline:
            return GradientExplanation(explained, variables[k:], "time")
        explained.append(
            explain_derivative(expr, [var], variables, at=at, target=target, deadline=deadline)
        )
    return GradientExplanation(explained)
