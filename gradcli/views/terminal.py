"""A figure printed in the terminal: the raster as character cells, its text as lines around it.

Three ways to turn pixels into cells, chosen from what the terminal can show:

- ``blocks``: '▀' with the top pixel as foreground and the bottom one as background colour — two
  square pixels per cell, in colour (truecolor, or rich's nearest colour on a 256/16-colour terminal);
- ``braille``: 2×4 dots per cell (ordered dithering of the ink), coloured when colour is there —
  the finest line art, and the picture without colour for curves;
- ``text``: one shade character per cell, by contour band (contours) or by ink (curves): what is
  left with NO_COLOR, on a pipe or on a terminal that cannot show Unicode.

Glyphs go over the cells: the gradient field as arrows (→↗↑…), the ``--at`` points, the runs'
starts, ends and paths. The title, the axis ranges, the colour scale and the legend are printed as
text lines: at two pixels per cell, text drawn in the raster could not be read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.views.text import decimal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from gradcli.plotting.terminal import ColourScale, Mark, TerminalPicture

CELL_MODES = ("blocks", "braille", "text")
PER_CELL = {"blocks": (1, 2), "braille": (2, 4), "text": (1, 2)}
ARROWS = "→↗↑↖←↙↓↘"
ASCII_ARROWS = ">/^\\</v\\"
RAMP = " .:-=+*#%@"  # ten shades, light ink to heavy: one per contour band (ASCII, any font)
GLYPHS = {"point": "◉", "start": "●", "end": "★"}
ASCII_GLYPHS = {"point": "P", "start": "S", "end": "E"}
# Braille dot bits for (row, col) in a 2×4 cell, and a 2×4 ordered-dither threshold matrix.
BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
BAYER = np.array([[0, 4], [6, 2], [1, 5], [7, 3]], dtype=float) / 8 + 1 / 16
OVERLAY_DISTANCE = 60.0  # RGB distance from the nearest band colour beyond which a cell is overlay
# f past the open ends of the bands (contourf's "over" and "under" colours), in text cells: not a
# shade of the ramp (they are not bands) and not 'o' (what overlays and "f undefined" are drawn with)
OVER, UNDER = "&", "_"
PROMPT_LINES = 1  # the shell's prompt after the picture: the whole picture stays on screen


@dataclass(frozen=True)
class Screen:
    """What the terminal offers: its size, colour, and whether it shows Unicode."""

    width: int
    height: int
    colour: bool
    unicode: bool


DEFAULT_SIZE = (80, 24)  # a picture written to a pipe or a file: the classic terminal
MIN_SIZE, MAX_SIZE = (20, 8), (400, 200)  # character cells drawn, whatever the terminal claims


def screen_of(console: Console) -> Screen:
    """The console's size (COLUMNS/LINES win, as rich reads them), colour and Unicode. Off a
    terminal (``--term`` into a pipe) the size is COLUMNS×LINES or 80×24 — never the size of
    whatever terminal stderr happens to be on, so the same command writes the same text."""
    colour = console.color_system is not None and not console.no_color
    width, height = console.size
    if not console.is_terminal:
        width, height = (
            int(value) if value.isdigit() else default
            for value, default in zip(
                (os.environ.get("COLUMNS", ""), os.environ.get("LINES", "")), DEFAULT_SIZE
            )
        )
    # Bounded both ways: COLUMNS=100000 must not ask for a gigapixel raster.
    width = min(max(int(width), MIN_SIZE[0]), MAX_SIZE[0])
    height = min(max(int(height), MIN_SIZE[1]), MAX_SIZE[1])
    return Screen(width, height, colour, _can_show(console.file))


def _can_show(out: Any) -> bool:
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        "▀⣿→◉●★━".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def cell_mode(asked: str, screen: Screen, kind: str) -> str:
    """The cell mode for ``asked`` (auto/blocks/braille/text) on ``screen``: never colour without
    colour (NO_COLOR, a pipe), never Unicode where the stream cannot carry it."""
    if not screen.unicode:
        return "text"
    if asked == "auto":
        if screen.colour:
            return "blocks"
        return "text" if kind == "contour" else "braille"
    if asked == "blocks" and not screen.colour:
        return "text" if kind == "contour" else "braille"
    return asked


@dataclass(frozen=True)
class Frame:
    """The text around the picture, decided before the picture is drawn (it sets the rows left)."""

    header: list[Text]
    footer: list[Text]
    gutter: int  # columns left of the picture for the y labels

    def picture_box(self, screen: Screen) -> tuple[int, int]:
        """(columns, rows) of character cells left for the picture."""
        rows = screen.height - PROMPT_LINES - len(self.header) - len(self.footer) - 1  # x axis
        return max(screen.width - self.gutter - 1, 8), max(rows, 4)


def frame_text(
    title: str,
    y_range: tuple[float, float],
    y_name: str,
    legend: Sequence[tuple[str, str]],
    scale: ColourScale | None,
    notes: Sequence[str],
    screen: Screen,
    mode: str,
    *,
    arrows: str | None,
    runs: bool,
    points: bool,
    log_y: bool = False,
) -> Frame:
    """The title line, and below the picture the colour scale, the legend and the notes, each
    wrapped to the screen's width; ``arrows`` says what the arrow glyphs are (None: none drawn)."""
    from rich.text import Text

    header = [Text(_shown(title, screen), style="bold")]
    footer: list[Text] = []
    if scale is not None:
        footer.append(_scale_line(scale, screen, mode))
    entries: list[Text] = []
    for label, color in legend:
        if label == "start, end" and mode != "blocks":
            continue  # the figure's grey marker entry: here the glyphs below say it
        entry = Text()
        if screen.colour:  # a swatch means nothing without colour
            entry.append("━━ " if screen.unicode else "-- ", style=color)
        elif mode == "text":
            entry.append("o ")  # what the overlay lines are drawn with (see _shades)
        entry.append(_shown(label, screen))
        entries.append(entry)
    if scale is not None and mode == "text":  # the open ends' own glyphs (see _shades)
        if scale.over is not None:
            entries.append(Text(f"{OVER} f above {_number(scale.high, screen)}"))
        if scale.under is not None:
            entries.append(Text(f"{UNDER} f below {_number(scale.low, screen)}"))
    glyphs = GLYPHS if screen.unicode else ASCII_GLYPHS
    if points and (mode != "blocks"):
        entries.append(Text(f"{glyphs['point']} the point"))
    if runs and mode != "blocks":
        entries.append(Text(f"{glyphs['start']} start  {glyphs['end']} end"))
    if arrows:
        arrow = ARROWS[1] if screen.unicode else ASCII_ARROWS[1]
        entries.append(Text(f"{arrow} {_shown(arrows, screen)}"))
    footer += _pack(entries, screen.width)
    footer += [Text(_shown(note, screen), style="italic") for note in notes]
    labels = [_number(v, screen) for v in y_range] + [_shown(y_name, screen)]
    if log_y:
        labels.append("(log)")
    return Frame(header, footer, max(len(s) for s in labels) + 1)


def plot_title(function: str, fixed: Mapping[str, float]) -> str:
    """'f(x, y, z) = x*y*z,  z = 1': the function, and the values a --slice fixed."""
    return function + "".join(
        f",  {name} = {decimal(value, 4, typographic=True)}" for name, value in fixed.items()
    )


def _pack(entries: Sequence[Text], width: int) -> list[Text]:
    """Legend entries side by side, three spaces apart, as many a line as fit."""
    from rich.text import Text

    lines: list[Text] = []
    line = Text()
    for entry in entries:
        if line.cell_len and line.cell_len + 3 + entry.cell_len > width:
            lines.append(line)
            line = Text()
        if line.cell_len:
            line.append("   ")
        line.append_text(entry)
    if line.cell_len:
        lines.append(line)
    return lines


def _number(value: float, screen: Screen) -> str:
    return _shown(decimal(value, 3, typographic=True), screen)


def _shown(text: str, screen: Screen) -> str:
    from gradcli.views.render import ascii_text, printable

    return printable(text) if screen.unicode else ascii_text(printable(text))


def _scale_line(scale: ColourScale, screen: Screen, mode: str) -> Text:
    """'f  0 ██████ 18': the bands' colours (or shades) from low to high, with their ends."""
    from rich.text import Text

    line = Text("f  ")
    line.append(_number(scale.low, screen) + " ")
    width = max(2, min(4, (screen.width // 2) // max(len(scale.colors), 1)))
    for k, color in enumerate(scale.colors):
        if mode == "text" or not screen.colour:
            line.append(_shade(k, len(scale.colors)) * width)
        else:
            line.append("█" * width, style=color)
    line.append(" " + _number(scale.high, screen))
    line.append("  (log-spaced levels)" if scale.log else "")
    return line


def _shade(band: int, bands: int) -> str:
    return RAMP[round(band * (len(RAMP) - 1) / max(bands - 1, 1))]


def picture_text(pic: TerminalPicture, mode: str, screen: Screen, gutter: int) -> list[Text]:
    """The picture as lines of cells, with the y range left of it and the x range below."""
    from rich.text import Text

    if mode == "blocks":
        cells = _blocks(pic.pixels)
    elif mode == "braille":
        cells = _braille(pic.pixels, screen.colour, pic.kind)
    else:
        cells = _shades(pic, screen)
    per_cell = PER_CELL[mode]
    _overlay(cells, pic.marks, per_cell, mode, screen)
    rows = len(cells)
    ylabels = {0: _number(pic.y_range[1], screen), rows - 1: _number(pic.y_range[0], screen)}
    ylabels.setdefault(rows // 2, _shown(pic.y_name, screen))
    if pic.log_y:
        ylabels.setdefault(rows // 2 + 1, "log")
    lines = []
    for r, row in enumerate(cells):
        line = Text()
        line.append(ylabels.get(r, "").rjust(gutter - 1) + " ", style="dim")
        for char, style in row:
            line.append(char, style=style)
        lines.append(line)
    cols = len(cells[0]) if cells else 0
    low, high = _number(pic.x_range[0], screen), _number(pic.x_range[1], screen)
    name = _shown(pic.x_name, screen)
    inner = max(cols - len(low) - len(high), len(name) + 2)
    axis = low + name.center(inner) + high
    lines.append(Text(" " * gutter + axis, style="dim"))
    return lines


Cell = tuple[str, Any]  # (character, rich style or None)


def _style(fg: Any = None, bg: Any = None) -> Any:
    from rich.color import Color
    from rich.style import Style

    def colour(rgb: Any) -> Any:
        if rgb is None:
            return None
        if isinstance(rgb, str):
            return Color.parse(rgb)
        return Color.from_rgb(int(rgb[0]), int(rgb[1]), int(rgb[2]))

    return Style(color=colour(fg), bgcolor=colour(bg))


def _blocks(pixels: Any) -> list[list[Cell]]:
    """Two pixels a cell: '▀' in the top pixel's colour on the bottom pixel's."""
    h = pixels.shape[0] - pixels.shape[0] % 2
    styles: dict[tuple[int, ...], Any] = {}  # a few dozen distinct colour pairs, not thousands
    out = []
    for r in range(0, h, 2):
        row = []
        for top, bottom in zip(pixels[r], pixels[r + 1]):
            key = (*top.tolist(), *bottom.tolist())
            if key not in styles:
                styles[key] = _style(top, bottom)
            row.append(("▀", styles[key]))
        out.append(row)
    return out


def _ink(pixels: Any, kind: str) -> Any:
    """0..1 per pixel: how much a dot should be lit. Contours: brightness (a lit dot on a dark
    terminal). Curves: whatever differs from the background (darkness on a light figure), so
    the background stays empty."""
    lum = (pixels[..., :3].astype(float) @ np.array([0.299, 0.587, 0.114])) / 255.0
    if kind == "contour":
        return lum
    return np.clip(np.abs(lum - float(np.median(lum))) / 0.5, 0.0, 1.0)


def _braille(pixels: Any, colour: bool, kind: str) -> list[list[Cell]]:
    ink = _ink(pixels, kind)
    h, w = ink.shape[0] - ink.shape[0] % 4, ink.shape[1] - ink.shape[1] % 2
    out = []
    for r in range(0, h, 4):
        row = []
        for c in range(0, w, 2):
            block = ink[r : r + 4, c : c + 2]
            lit = block > BAYER
            code = sum(BRAILLE_BITS[i][j] for i in range(4) for j in range(2) if lit[i, j])
            style = None
            if colour:
                mean = pixels[r : r + 4, c : c + 2, :3].reshape(-1, 3).mean(axis=0)
                style = _style(mean)
            row.append((chr(0x2800 + code) if code else " ", style))
        out.append(row)
    return out


def _shades(pic: TerminalPicture, screen: Screen) -> list[list[Cell]]:
    """One character a cell: the contour band (nearest colour of the scale) as a shade, or ink."""
    pixels = pic.pixels[: pic.pixels.shape[0] - pic.pixels.shape[0] % 2].astype(float)
    cells = 0.5 * (pixels[0::2] + pixels[1::2])  # the cell's colour: its two pixels averaged
    if pic.scale is not None:
        return _banded(pixels, cells, pic.scale)
    ink = _ink(cells, pic.kind)
    levels = np.clip(np.round(ink * (len(RAMP) - 1)), 0, len(RAMP) - 1).astype(int)
    return [[(RAMP[int(k)], None) for k in row] for row in levels]


def _banded(pixels: Any, cells: Any, scale: ColourScale) -> list[list[Cell]]:
    """Contour cells as glyphs: the band whose colour is nearest (its shade), f past the open
    ends (OVER, UNDER), or 'o' for an overlay — a point's level curve, a path, "f undefined"'s
    hatching — far from every colour of the scale ('@' would read as "f is high"). A cell whose
    two pixels differ (a pole, where f jumps from over to under) averages to a colour far from
    all of them: it is read a pixel at a time before it is called an overlay."""
    n = len(scale.colors)
    kinds = [_shade(k, n) for k in range(n)]
    colours = list(scale.colors)
    for colour, mark in ((scale.under, UNDER), (scale.over, OVER)):
        if colour is not None:
            colours.append(colour)
            kinds.append(mark)
    palette = np.array([_rgb(c) for c in colours], dtype=float)

    def nearest(rgb: Any) -> tuple[Any, Any]:
        distance = ((rgb[..., None, :] - palette) ** 2).sum(axis=-1)
        return distance.argmin(axis=-1), distance.min(axis=-1) <= OVERLAY_DISTANCE**2

    (index, near), (top, top_near), (bottom, bottom_near) = map(
        nearest, (cells, pixels[0::2], pixels[1::2])
    )

    def glyph(r: int, c: int) -> str:
        if near[r, c]:
            return kinds[index[r, c]]
        if not (top_near[r, c] and bottom_near[r, c]):
            return "o"
        pair = (kinds[top[r, c]], kinds[bottom[r, c]])  # two colours of the scale: no overlay
        return next((g for g in (OVER, UNDER) if g in pair), pair[0])

    return [[(glyph(r, c), None) for c in range(index.shape[1])] for r in range(len(index))]


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _overlay(
    cells: list[list[Cell]],
    marks: Sequence[Mark],
    per_cell: tuple[int, int],
    mode: str,
    screen: Screen,
) -> None:
    """Glyphs over the cells. The raster already shows points and paths in colour (blocks): there
    only the arrow field is added, clear of them. Without colour every mark becomes a glyph."""
    if not cells:
        return
    rows, cols = len(cells), len(cells[0])
    px, py = per_cell
    glyphs = GLYPHS if screen.unicode else ASCII_GLYPHS
    taken: set[tuple[int, int]] = set()

    def cell(mark: Mark) -> tuple[int, int] | None:
        r, c = int(mark.row // py), int(mark.col // px)
        return (r, c) if 0 <= r < rows and 0 <= c < cols else None

    several = len({m.index for m in marks if m.kind == "step"}) > 1
    order = {"step": 0, "start": 1, "end": 2, "point": 3}
    for mark in sorted((m for m in marks if m.kind in order), key=lambda m: order[m.kind]):
        where = cell(mark)
        if where is None:
            continue
        r, c = where
        taken.update((r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-2, -1, 0, 1, 2))
        if mode == "blocks":
            continue  # drawn in colour in the raster itself
        if mark.kind == "step":
            char = str(mark.index + 1)[-1] if several else ("•" if screen.unicode else "o")
        else:
            char = glyphs[mark.kind]
        cells[r][c] = (char, _style(mark.color) if screen.colour else None)
    arrows = ARROWS if screen.unicode else ASCII_ARROWS
    for mark in marks:
        if mark.kind != "arrow":
            continue
        where = cell(mark)
        if where is None or where in taken:
            continue
        r, c = where
        angle = math.atan2(mark.direction[1], mark.direction[0])
        char = arrows[round(angle / (math.pi / 4)) % 8]
        style = None
        if screen.colour:
            fg, bg = _contrast(cells[r][c][1])
            style = _style(fg, bg)
        cells[r][c] = (char, style)


def _contrast(style: Any) -> tuple[str, Any]:
    """Black or white, whichever reads on the cell's background (the mean of its colours)."""
    colours = [c for c in (getattr(style, "color", None), getattr(style, "bgcolor", None)) if c]
    if not colours:
        return "#ffffff", None
    rgb = np.mean([c.get_truecolor() for c in colours], axis=0)
    bg = tuple(int(v) for v in rgb)
    lum = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255
    return ("#111111" if lum > 0.55 else "#ffffff"), bg


def print_lines(console: Console, lines: Sequence[Text]) -> None:
    for line in lines:
        console.print(line, overflow="crop", no_wrap=True, crop=True, soft_wrap=False)


def arrows_meaning(descent_arrows: bool) -> str:
    return "arrows: −∇f, downhill" if descent_arrows else "arrows: ∇f, uphill (⟂ level curves)"


SERIES_ROWS = (5, 14)  # a step chart's height in rows: at least, at most (on a tall terminal)
PIPE_ROWS = 8  # a step chart's height when stdout is not a terminal (a file someone reads)


def series_lines(figures: Sequence[Any], screen: Screen, mode: str, terminal: bool) -> list[Text]:
    """The f and ‖∇f‖ charts (``plotting.history`` figures) side by side where the screen is wide,
    else one above the other, then one legend of the runs."""
    from rich.text import Text

    side = screen.width >= 100 and len(figures) == 2
    stacked = 1 if side else len(figures)
    legend_lines = 1 + len(figures[0].legend) // 3 if figures else 0
    spare = screen.height - PROMPT_LINES - legend_lines - stacked * 3
    rows = max(SERIES_ROWS[0], min(SERIES_ROWS[1], spare // stacked))
    if not terminal:
        rows = PIPE_ROWS
    width = (screen.width - 3) // 2 if side else screen.width
    blocks: list[list[Text]] = []
    for figure in figures:
        _, _, yname, yrange = figure.axes()
        labels = [_number(v, screen) for v in yrange] + [_shown(yname, screen), "log"]
        gutter = max(len(s) for s in labels) + 1
        px, py = PER_CELL[mode]
        picture = figure.draw((width - gutter - 1) * px, rows * py, (px, py))
        scale = ", log scale" if figure.log_y else ""
        title = Text(_shown(f"{yname} per step{scale}", screen), style="bold")
        blocks.append([title, *picture_text(picture, mode, screen, gutter)])
    lines: list[Text] = []
    if side:
        left, right = blocks
        pad = max(line.cell_len for line in left) + 3
        for a, b in zip(left, right):
            joined = a.copy()
            joined.append(" " * (pad - a.cell_len))
            joined.append_text(b)
            lines.append(joined)
    else:
        for block in blocks:
            lines += block
    entries = []
    several = figures and len(figures[0].legend) > 1
    for k, (label, color) in enumerate(figures[0].legend if figures else []):
        entry = Text()
        if screen.colour:
            entry.append("━━ " if screen.unicode else "-- ", style=color)
        elif several:
            entry.append(f"{k + 1}: ")
        entry.append(_shown(label, screen))
        entries.append(entry)
    return lines + _pack(entries, screen.width)
