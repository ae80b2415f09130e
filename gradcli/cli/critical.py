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


@app.command()
def critical(
    expr: ExprArg,
    search_range: RangeOpt = None,
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

    Examples:

    \b
      gradcli critical "x**3 - 3*x + y**2"
      gradcli critical "(x**2+y-11)**2+(x+y**2-7)**2"
      gradcli critical "sin(x)*sin(y)" --range -4:4
      gradcli critical "x**2 - y**2" --format json
    """
    from gradcli.calculus.critical import critical_points
    from gradcli.points import parse_range
    from gradcli.views.critical import critical_document

    fn = load_function(expr, vars, let)
    bounds = parse_range(search_range, fn.names) if search_range else None
    emit(critical_document(critical_points(fn, bounds), precision), fmt, "critical")
