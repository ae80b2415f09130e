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
        help="Where the numeric search looks: '-5:5' for every variable or 'x=-4:4,y=-2:2'.",
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

    sympy solves ∇f = 0 within a time limit; a numeric multi-start search over --range adds or
    replaces what it cannot, and says when the list may be incomplete.

    Examples:

    \b
      gradcli critical "x**3 - 3*x + y**2"
      gradcli critical "(x**2+y-11)**2+(x+y**2-7)**2" --range -6:6
      gradcli critical "x**2 - y**2" --format json
    """
    from gradcli.calculus.critical import critical_points
    from gradcli.points import parse_range
    from gradcli.views.symbolic import critical_document

    fn = load_function(expr, vars, let)
    bounds = parse_range(search_range, fn.names) if search_range else None
    emit(critical_document(critical_points(fn, bounds), precision), fmt, "critical")
