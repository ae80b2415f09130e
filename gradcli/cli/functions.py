"""``gradcli functions``: the named test functions that ``@name`` expands to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gradcli.cli.app import app
from gradcli.cli.inputs import emit
from gradcli.cli.options import FormatOpt, PrecisionOpt

if TYPE_CHECKING:
    pass


@app.command()
def functions(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]",
            help="Show one function in detail (any case; '-', '_' or '@' accepted).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOpt = "table",
    precision: PrecisionOpt = 6,
) -> None:
    """The named functions: classic surfaces for lessons, usable as @name wherever an EXPR goes.

    Each has its formula (what @name expands to — copy and edit it), a suggested range and
    descent start, and its known minima.

    Examples:

    \b
      gradcli functions
      gradcli functions rosenbrock
      gradcli functions three-hump-camel --format json
      gradcli functions himmelblau --format latex
      gradcli descend @rosenbrock --from -1.2,1 --method adam --lr 0.02 --steps 5000
    """
    from gradcli.presets import PRESETS, get
    from gradcli.views.presets import detail_document, list_document

    if name is None:
        doc = list_document(PRESETS, precision, latex=fmt == "latex")
    else:
        doc = detail_document(get(name), precision, latex=fmt == "latex")
    emit(doc, fmt, "functions")
