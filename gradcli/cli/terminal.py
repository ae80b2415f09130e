"""Pictures in the terminal: ``gradcli plot`` with no ``-o`` (or with ``--term MODE``) and
``gradcli descend --curve``.

The decisions about the terminal are made here, once: whether stdout is one (rich's test, so
``FORCE_COLOR``/``TTY_COMPATIBLE`` force it and ``NO_COLOR`` takes the colour away), how large it is
(``COLUMNS``/``LINES`` win), and which inline image protocol, if any, to trust. The raster comes
from :mod:`gradcli.plotting.terminal`, the characters from :mod:`gradcli.views.terminal`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gradcli.errors import UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.plotting import PlotOptions
    from gradcli.points import Point

IMAGE_MODES = ("image", "kitty", "iterm", "sixel")
CELL_WIDTH_PX = (
    9  # a guess at a cell's width in pixels: an inline image is sent at about this scale
)


def _console() -> Any:
    from gradcli.views.render import make_console

    return make_console(sys.stdout)


def plot_mode(
    term: str | None, output: str | None, fmt: str, animate: bool, surface: bool
) -> str | None:
    """How ``plot`` draws in the terminal (None: it only writes ``-o FILE``), checked before any
    work: no ``-o`` needs a terminal (or ``--term``), a table format, a 2-D or 1-D figure."""
    if term is None and output is not None:
        return None
    if term is None and not _console().is_terminal:
        raise UsageError(
            "no figure file given, and stdout is not a terminal to draw the figure on",
            hint="write it with {output} plot.png, or draw it as text anyway with {term} text",
            parameters=("output", "term"),
        )
    if fmt != "table":
        what = "with {term}" if term else "without {output}"
        raise UsageError(
            f"a picture in the terminal is not {fmt}: {{format}} {fmt} describes a written figure",
            hint=f"add {{output}} FILE (the figure) to get its {fmt}; {what} the output is the picture",
            parameters=("format", "output", "term"),
        )
    if surface or animate:
        kind, name = (
            ("a 3-D surface", "surface.png") if surface else ("an animation", "descent.gif")
        )
        raise UsageError(
            f"{kind} is not drawn in the terminal",
            hint=f"write it to a file: {{output}} {name}",
            parameters=("output",),
        )
    mode = term or "auto"
    if mode == "image":
        from gradcli.views.terminal_image import image_protocol

        if image_protocol(mode) is None:
            raise UsageError(
                "--term image: this terminal is not known to show inline images (kitty, iTerm2 "
                "and WezTerm are recognised from TERM, KITTY_WINDOW_ID and TERM_PROGRAM)",
                hint="name the protocol if it has one ({term} kitty, iterm or sixel), "
                "or draw with characters ({term} auto)",
                parameters=("term",),
            )
    return mode


def show_plot(
    mode: str,
    drawn: Function,
    fn: Function,
    points: Sequence[Point],
    runs: Sequence[Any],
    options: PlotOptions,
) -> None:
    """Draw ``plot``'s figure on stdout: as character cells, or as an inline image."""
    from gradcli.plotting import terminal as raster
    from gradcli.views import terminal as view
    from gradcli.views.terminal_image import image_escape, image_protocol

    console = _console()
    screen = view.screen_of(console)
    at = [p.values for p in points]
    if mode in IMAGE_MODES:
        protocol = image_protocol(mode) or "kitty"
        cols = screen.width - 1
        png = raster.figure_png(
            drawn,
            cols * CELL_WIDTH_PX,
            at=at,
            runs=runs,
            options=options,
            title_fn=fn,
            exact_at=points,
        )
        if protocol == "sixel":
            from gradcli.plotting.sixel import encode

            sys.stdout.write(encode(png) + "\n")
        else:
            sys.stdout.write(image_escape(protocol, png, cols))
        sys.stdout.flush()
        return
    arrows = raster.arrow_count(min(screen.width, 2 * screen.height))
    figure = raster.terminal_figure(
        drawn, at=at, runs=runs, options=options, title_fn=fn, exact_at=points, arrows=arrows
    )
    cells = view.cell_mode(mode, screen, figure.kind)
    _, _, yname, yrange = figure.axes()
    frame = view.frame_text(
        view.plot_title(str(fn), options.fixed),
        yrange,
        yname,
        figure.legend,
        figure.scale,
        figure.plot.notes,
        screen,
        cells,
        arrows=view.arrows_meaning(figure.descent_arrows) if figure.has_arrows else None,
        runs=bool(runs),
        points=bool(points),
    )
    cols, rows = frame.picture_box(screen)
    px, py = view.PER_CELL[cells]
    picture = figure.draw(cols * px, rows * py, (px, py))
    lines = [*frame.header, *view.picture_text(picture, cells, screen, frame.gutter), *frame.footer]
    view.print_lines(console, lines)


def show_curves(runs: Sequence[Any], fmt: str) -> None:
    """``descend --curve``: the f and ‖∇f‖ charts of ``runs`` after the table. Machine formats
    stay clean: there the curves are a note on stderr, the data being in the output already."""
    from gradcli.cli.app import write_stderr

    if fmt != "table":
        write_stderr(
            f"gradcli: note: --curve draws the curves after a table; the {fmt} output has "
            "them as data (f and the gradient's norm per step)\n"
        )
        return
    runs = [r for r in runs if len(r.steps)]
    if not runs:
        return
    from gradcli.plotting.history import history_figures
    from gradcli.views import terminal as view

    console = _console()
    screen = view.screen_of(console)
    terminal = bool(console.is_terminal)
    if screen.colour and screen.unicode:
        mode = "blocks"
    elif terminal and screen.unicode:
        mode = "braille"  # NO_COLOR on a terminal: line art in dots
    else:
        mode = "text"  # a pipe or a file: characters anyone's reader shows
    console.print()
    view.print_lines(console, view.series_lines(history_figures(runs), screen, mode, terminal))
