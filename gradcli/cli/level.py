"""``gradcli level``: the level set through a point or at a value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gradcli.cli.app import app
from gradcli.cli.critical import RangeOpt
from gradcli.cli.inputs import emit, load_function, load_points, stdin_users
from gradcli.cli.options import ExprArg, FormatOpt, LetOpt, PrecisionOpt, VarsOpt
from gradcli.errors import UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.points import Point


@app.command()
def level(
    expr: ExprArg,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            "-a",
            metavar="P",
            help="The point the level set passes through.",
            show_default=False,
        ),
    ] = None,
    value: Annotated[
        str | None,
        typer.Option(
            "--value",
            "-c",
            metavar="C",
            help="The level c in f = c (instead of --at).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-s",
            min=0,
            max=1000,
            help="Find N points on the level curve (2 variables).",
        ),
    ] = 0,
    search_range: RangeOpt = None,
    vars: VarsOpt = None,
    let: LetOpt = None,
    fmt: FormatOpt = "table",
    precision: PrecisionOpt = 6,
) -> None:
    """The level set f = c: where f keeps the value it has at P. The gradient is perpendicular
    to it — the command shows ∇f, the tangent, their dot product (0) and, with --samples, the
    angle at many points on the curve, measured from the curve itself.

    Examples:

    \b
      gradcli level "x**2+y**2" --at 1,1
      gradcli level "x**2+y**2" --value 4 --samples 8
      gradcli level "x**2+y**2+z**2" --at 1,2,2
    """
    from gradcli.calculus.level import level_set
    from gradcli.expr import parse_constant
    from gradcli.points import parse_range
    from gradcli.views.symbolic import level_document

    stdin_users(expr, [at] if at is not None else None)
    fn = load_function(expr, vars, let)
    point = _one_point(at, fn) if at is not None else None
    c = parse_constant(value, what="--value") if value is not None else None
    bounds = parse_range(search_range, fn.names) if search_range else None
    result = level_set(fn, at=point, value=c, samples=samples, bounds=bounds)
    emit(level_document(result, precision), fmt, "level")


def _one_point(text: str, fn: Function) -> Point:
    """The point of ``--at`` ('-': the one point on stdin)."""
    points = load_points([text], fn)
    if len(points) != 1:
        raise UsageError(
            f"--at -: a level set passes through one point; stdin held {len(points)}",
            hint="run gradcli level once per point",
        )
    return points[0]
