"""Views of a step-by-step derivation (:mod:`gradcli.calculus.explain`): terminal lines, table
rows, JSON records and an aligned LaTeX block, and attaching them to a command's Document."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gradcli.function import Function
from gradcli.points import Point
from gradcli.views.render import Document, Table

if TYPE_CHECKING:
    from gradcli.calculus.explain import Explanation

__all__ = [
    "attach_explanation",
    "attach_gradient_explanation",
    "to_latex",
    "to_lines",
    "to_records",
    "to_rows",
]


def to_lines(expl: Explanation, indent: str = "   ") -> list[str]:
    """Numbered steps for the terminal, nested rules indented: ' 3.    Power rule: …'."""
    width = len(str(len(expl.steps)))
    return [f"{s.number:>{width}}. {indent * s.depth}{s.text}" for s in expl.steps]


def to_rows(expl: Explanation, indent: str = "   ") -> list[list[str]]:
    """[step number, indented text] rows for a ``render.Table(columns=['#', 'step'])``."""
    return [[str(s.number), indent * s.depth + s.text] for s in expl.steps]


@lru_cache(maxsize=8192)
def _machine(expr: Any) -> str:
    """sympy's text of ``expr``, once: ∇f's partials are each explained from the same f."""
    import sympy

    return str(sympy.sstr(expr))


def to_records(expl: Explanation) -> list[dict[str, Any]]:
    """The steps as JSON-ready objects: step, rule, depth, before, result (sympy syntax), text."""
    records: list[dict[str, Any]] = []
    for s in expl.steps:
        record: dict[str, Any] = {
            "step": s.number,
            "rule": s.rule,
            "depth": s.depth,
            "before": _machine(s.before),
            "result": _machine(s.result),
            "text": s.text,
        }
        if s.point is not None:
            record["at"] = {k: _machine(v) for k, v in s.point}
        records.append(record)
    return records


def to_latex(expl: Explanation) -> str:
    r"""An ``aligned`` derivation for slides: one equation per step, nested ones indented with
    ``\quad``, the rule in a right-hand column."""
    lines = ["&" + r"\quad " * s.depth + s.latex + r" && " + s.note for s in expl.steps if s.latex]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def attach_explanation(
    doc: Document,
    fn: Function,
    wrt: Sequence[Any],
    points: Sequence[Point],
    target: Any = None,
) -> None:
    """Add the derivation of ∂f/∂wrt… to every view of ``doc``: a numbered table, JSON records
    under ``explanation`` (keyed by the variables, e.g. "xy"), and an aligned LaTeX block.

    ``target`` is the form the command shows (its simplified derivative); the derivation ends there.
    """
    from gradcli.calculus.explain import explain_derivative

    expl = explain_derivative(
        fn.expr, list(wrt), fn.variables, at=[p.subs(fn.variables) for p in points], target=target
    )
    _attach(doc, expl)


def _attach(doc: Document, expl: Explanation) -> None:
    doc.record.setdefault("explanation", {})["".join(w.name for w in expl.wrt)] = to_records(expl)
    doc.tables.append(
        Table(columns=["#", "step"], rows=to_rows(expl), title=f"{expl.notation}, step by step")
    )
    tex = to_latex(expl)
    doc.latex = tex if doc.latex is None else doc.latex + "\n" + tex


def attach_gradient_explanation(
    doc: Document, fn: Function, targets: Sequence[Any], points: Sequence[Point]
) -> None:
    """``grad --explain``: the derivation of each partial (``targets``: the forms the command
    shows) as :func:`attach_explanation` adds one — the first few, within one time bound — and a
    note naming the partials left out (JSON: ``explanation_left_out``)."""
    from gradcli.calculus.explain import (
        EXPLAIN_PARTIALS,
        GRADIENT_EXPLAIN_SECONDS,
        explain_gradient,
    )
    from gradcli.calculus.explain.notation import order_name

    at = [p.subs(fn.variables) for p in points]
    explained = explain_gradient(fn.expr, fn.variables, targets, at=at)
    for expl in explained.explained:
        _attach(doc, expl)
    left = explained.left_out
    if not left:
        return
    partial = len(fn.variables) > 1
    first, last = order_name([left[0]], partial), order_name([left[-1]], partial)
    which = first if len(left) == 1 else f"{first} … {last}"
    count = f"{len(left):,} more partial{'s' if len(left) > 1 else ''} ({which})"
    why = (
        f"grad --explain explains the first {EXPLAIN_PARTIALS}"
        if explained.why == "count"
        else f"the ones above took the {GRADIENT_EXPLAIN_SECONDS:g} s an explanation of ∇f may take"
    )
    note = (
        f"{count} not explained: {why}; `gradcli partial EXPR --wrt {left[0].name} --explain` "
        "explains any one"
    )
    doc.notes.append(note)
    doc.record["explanation_left_out"] = {
        "variables": [v.name for v in left],
        "reason": explained.why,
        "note": note,
    }
    tex = "% " + note
    doc.latex = tex if doc.latex is None else doc.latex + "\n" + tex
