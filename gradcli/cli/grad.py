"""``gradcli grad``: the gradient vector symbolically and at points."""

from __future__ import annotations

from typing import Annotated

import typer

from gradcli.cli.app import app
from gradcli.cli.inputs import emit, load_function, load_points, stdin_users
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
    from gradcli.calculus.derivatives import gradient
    from gradcli.points import parse_point
    from gradcli.views.symbolic import gradient_document

    stdin_users(expr, at)
    fn = load_function(expr, vars, let)
    points = load_points(at, fn)
    unit = parse_point(direction, fn, parameter="direction") if direction is not None else None
    result = gradient(fn, points, direction=unit, with_hessian=hessian, check=check, h=h)
    doc = gradient_document(result, precision)
    if explain:
        from gradcli.views.explanation import attach_explanation

        for var, derivative in zip(fn.variables, result.gradient):
            attach_explanation(doc, fn, (var,), points, target=derivative)
    emit(doc, fmt, "grad")
