"""``gradcli critical``: the stationary points, classified."""

from __future__ import annotations

from typing import Annotated

import typer

from gradcli.cli.app import app
from gradcli.cli.inputs import emit, load_function
from gradcli.cli.options import ExprArg, FormatOpt, LetOpt, PrecisionOpt, VarsOpt

RangeOpt = Annotated[
    str | None,
    typer.Option(
        "--range",
        "-r",
        metavar="LO:HI",
        help=(
            "Where to look: '-5:5' for every variable or 'x=-4:4,y=-2:2' (default -5:5 for the"
            " search). Given, every point listed lies in it."
        ),
        show_default=False,
    ),
]


SubjectToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--subject-to",
        metavar="G=C",
        help=(
            "An equality constraint, 'x^2+y^2=1' (an expression alone means = 0); repeat for"
            " several. Solves ∇f = λ∇g (Lagrange multipliers) and classifies each point with the"
            " bordered Hessian."
        ),
        show_default=False,
    ),
]


@app.command()
def critical(
    expr: ExprArg,
    search_range: RangeOpt = None,
    subject_to: SubjectToOpt = None,
    vars: VarsOpt = None,
    let: LetOpt = None,
    fmt: FormatOpt = "table",
    precision: PrecisionOpt = 6,
) -> None:
    """Stationary points (∇f = 0), each classified from the Hessian's eigenvalues as a minimum
    (all > 0), maximum (all < 0), saddle (mixed signs) or degenerate (a zero eigenvalue).

    ∇f = 0 is solved exactly where a method can prove the list complete: linear algebra,
    elimination for polynomials (never-zero factors such as exp(…) dropped first), or factor by
    factor inside --range, which lists periodic solutions there. Otherwise a bounded multi-start
    Newton search over --range accepts only converged roots, says how many starts it rejected and
    that the list may be incomplete. Curves of stationary points are reported once, as curves.

    With --subject-to, the stationary points of f on the constraint set instead: ∇f = λ∇g with
    g = 0 (the stationary points of L = f − λg), solved exactly within a time bound or by
    Newton on that system, each with its multiplier λ and classified by the bordered Hessian
    [[0, ∇g], [∇gᵀ, ∇²L]]: the signs of its last n − m leading principal minors (m constraints)
    say constrained minimum, maximum or saddle. Points where ∇g = 0 on the constraint (LICQ
    fails) are listed apart: the multiplier rule cannot see them.

    Examples:

    \b
      gradcli critical "x**3 - 3*x + y**2"
      gradcli critical "(x**2+y-11)**2+(x+y**2-7)**2"
      gradcli critical "sin(x)*sin(y)" --range -4:4
      gradcli critical "x**2 - y**2" --format json
      gradcli critical "x + y" --subject-to "x^2 + y^2 = 1"
      gradcli critical "x^2+y^2+z^2" --subject-to "x+y+z=1" --subject-to "x=y"
    """
    from gradcli.calculus.critical import critical_points
    from gradcli.points import parse_range
    from gradcli.views.critical import critical_document

    fn = load_function(expr, vars, let)
    if subject_to:
        from gradcli.calculus.lagrange import constrained, lagrange_points
        from gradcli.views.lagrange import lagrange_document

        fn, constraints = constrained(fn, subject_to, vars, let)
        box = parse_range(search_range, fn.names) if search_range else None
        emit(lagrange_document(lagrange_points(fn, constraints, box), precision), fmt, "critical")
        return
    bounds = parse_range(search_range, fn.names) if search_range else None
    emit(critical_document(critical_points(fn, bounds), precision), fmt, "critical")
