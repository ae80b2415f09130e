"""Attaching a step-by-step derivation (:mod:`gradcli.calculus.explain`) to a command's Document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradcli.function import Function
from gradcli.points import Point
from gradcli.views.render import Document, Table


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
    from gradcli.calculus.explain import explain_derivative, to_latex, to_records, to_rows

    expl = explain_derivative(
        fn.expr, list(wrt), fn.variables, at=[p.subs(fn.variables) for p in points], target=target
    )
    doc.record.setdefault("explanation", {})["".join(w.name for w in wrt)] = to_records(expl)
    doc.tables.append(
        Table(columns=["#", "step"], rows=to_rows(expl), title=f"{expl.notation}, step by step")
    )
    tex = to_latex(expl)
    doc.latex = tex if doc.latex is None else doc.latex + "\n" + tex
