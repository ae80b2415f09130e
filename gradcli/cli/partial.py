"""``gradcli partial``: a partial derivative of any order, symbolically and at points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gradcli.cli.app import app
from gradcli.cli.fast import remember_partial
from gradcli.cli.inputs import (
    STREAMED,
    PointStream,
    check_at,
    emit,
    load_function,
    stdin_users,
    streamed,
)
from gradcli.cli.options import (
    AtOpt,
    CheckOpt,
    ExprArg,
    FormatOpt,
    LetOpt,
    PrecisionOpt,
    StepOpt,
    VarsOpt,
)
from gradcli.errors import UsageError

if TYPE_CHECKING:
    from gradcli.calculus.results import PartialPoint
    from gradcli.views.render import Document


@app.command()
def partial(
    expr: ExprArg,
    wrt: Annotated[
        list[str] | None,
        typer.Option(
            "--wrt",
            "-w",
            metavar="VAR",
            help="Differentiate with respect to VAR; repeat for higher or mixed order "
            "(--wrt x --wrt y is ∂²f/∂y∂x).",
            show_default=False,
        ),
    ] = None,
    order: Annotated[
        int | None,
        typer.Option(
            "--order",
            "-n",
            min=1,
            max=20,
            help="Shorthand: repeat the --wrt variable N times.",
            show_default=False,
        ),
    ] = None,
    at: AtOpt = None,
    check: CheckOpt = False,
    h: StepOpt = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the derivation step by step, rule by rule.")
    ] = False,
    vars: VarsOpt = None,
    let: LetOpt = None,
    fmt: FormatOpt = "table",
    precision: PrecisionOpt = 6,
) -> None:
    """A partial derivative: move one variable, hold the others constant.

    Examples:

    \b
      gradcli partial "x**2 + y**2" --wrt x --at 3,1
      gradcli partial "5*x" --wrt x --at 2 --check --step 0.001
      gradcli partial "x**3*y**2" --wrt x --wrt y
      gradcli partial "sin(x)" --order 4
      gradcli partial "x**2 + y**2" --wrt x --explain
    """
    from gradcli.calculus.derivatives import PartialAt
    from gradcli.views.symbolic import partial_document

    stdin_users(expr, at)
    check = check_at(check, h, at)
    fn = load_function(expr, vars, let)
    names = list(wrt or [])
    if order is not None:
        if len(names) > 1:
            raise UsageError("--order repeats a single --wrt variable; give one --wrt or none")
        if not names:
            if len(fn.names) != 1:
                raise UsageError("--order needs --wrt when f has several variables")
            names = [fn.names[0]]
        names = names * order
    compute = PartialAt(fn, names, check=check, h=h)
    remember_partial(fn, compute)  # the result cache keeps f for later points
    points = PointStream(at, fn)
    if fmt in STREAMED:
        # One document per point, each written before the next point is read.
        def document(rows: list[PartialPoint]) -> Document:
            return partial_document(compute.result(rows), precision)

        emit(streamed(document, points.answers(compute), fmt), fmt, "partial")
    else:
        rows = list(points.answers(compute))
        doc = partial_document(compute.result(rows), precision)
        if explain:
            from gradcli.views.explanation import attach_explanation

            where = [row.at for row in rows]
            attach_explanation(doc, fn, compute.symbols, where, target=compute.derivative)
        emit(doc, fmt, "partial")
    points.finish()
