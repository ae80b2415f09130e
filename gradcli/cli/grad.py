"""``gradcli grad``: the gradient vector symbolically and at points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gradcli.cli.app import app
from gradcli.cli.fast import remember_gradient
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

if TYPE_CHECKING:
    from gradcli.calculus.results import GradientPoint
    from gradcli.views.render import Document


@app.command()
def grad(
    expr: ExprArg,
    at: AtOpt = None,
    direction: Annotated[
        str | None,
        typer.Option(
            "--dir",
            "-d",
            metavar="V",
            help="Directional derivative along V (normalised), e.g. --dir 1,1.",
            show_default=False,
        ),
    ] = None,
    hessian: Annotated[
        bool,
        typer.Option(
            "--hessian", "-H", help="The Hessian, symbolic and at each point, with eigenvalues."
        ),
    ] = False,
    check: CheckOpt = False,
    h: StepOpt = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Show how each partial derivative is found, step by step."),
    ] = False,
    vars: VarsOpt = None,
    let: LetOpt = None,
    fmt: FormatOpt = "table",
    precision: PrecisionOpt = 6,
) -> None:
    """The gradient ∇f: all partial derivatives together. It points up the steepest ascent, its
    length is the steepest slope, and it is zero at minima, maxima and saddles.

    Examples:

    \b
      gradcli grad "x**2+y**2" --at 3,1
      gradcli grad "x^2 + y^2" --at 1/3,1 --at -2,-2
      gradcli grad "x**2" --at 3 --at 4
      gradcli grad "x**2 - y**2" --at 0,0 --hessian
      gradcli grad "x*y" --at 1,2 --dir 1,1 --check
    """
    from gradcli.calculus.derivatives import GradientAt
    from gradcli.points import parse_point
    from gradcli.views.symbolic import gradient_document

    stdin_users(expr, at)
    check = check_at(check, h, at)
    fn = load_function(expr, vars, let)
    unit = parse_point(direction, fn, parameter="direction") if direction is not None else None
    compute = GradientAt(fn, direction=unit, with_hessian=hessian, check=check, h=h)
    remember_gradient(fn, compute)  # the result cache keeps f for later points
    points = PointStream(at, fn)
    if fmt in STREAMED:
        # One document per point, each written before the next point is read.
        def document(rows: list[GradientPoint]) -> Document:
            return gradient_document(compute.result(rows), precision)

        emit(streamed(document, points.answers(compute), fmt), fmt, "grad")
    else:
        rows = list(points.answers(compute))
        doc = gradient_document(compute.result(rows), precision)
        if explain:
            from gradcli.views.explanation import attach_gradient_explanation

            attach_gradient_explanation(doc, fn, compute.grad, [row.at for row in rows])
        emit(doc, fmt, "grad")
    points.finish()
