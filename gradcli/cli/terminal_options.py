"""``--term``: the option that draws a figure in the terminal (``plot``) — declared apart from the
slide options, which have their own module (``figure_options``)."""

from __future__ import annotations

from typing import Annotated

import typer

TERM_MODES = ("auto", "blocks", "braille", "text", "image", "kitty", "iterm", "sixel")


def _term_mode(value: str | None) -> str | None:
    if value is None:
        return None
    mode = value.lower()
    if mode not in TERM_MODES:
        raise typer.BadParameter(
            f"{value!r} is not a way to draw in the terminal: one of {', '.join(TERM_MODES)}"
        )
    return mode


TermOpt = Annotated[
    str | None,
    typer.Option(
        "--term",
        metavar="MODE",
        callback=_term_mode,
        help="Draw the figure in the terminal (the default with no -o when stdout is a terminal): "
        "auto (colour half blocks, or shades with NO_COLOR or on a pipe), blocks, braille, text; "
        "image shows the real figure where the terminal is known to speak an inline image "
        "protocol (kitty, iTerm2, WezTerm); kitty, iterm or sixel use that protocol as told.",
        show_default=False,
    ),
]
