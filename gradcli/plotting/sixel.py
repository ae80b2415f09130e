"""A small sixel encoder: an RGB raster as the DEC sixel escape sequence some terminals show inline
(xterm -ti vt340, foot, mlterm, WezTerm, recent Windows Terminal).

Sixel has a palette of at most 256 colours and paints six pixel rows at a time: each band is
written colour by colour, every column a character whose six bits say which of its six pixels take
that colour, with runs of the same character compressed (``!count char``). The palette is Pillow's
median-cut quantisation of the image (a figure has few colours; dithering would only add noise).
"""

from __future__ import annotations

from typing import Any

import numpy as np

COLOURS = 256


def encode(png: bytes) -> str:
    """The sixel sequence (DCS ... ST) showing the PNG image ``png``."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as source:
        rgb = np.asarray(source.convert("RGB"), dtype=np.uint8)
    height, width = rgb.shape[:2]
    image = Image.fromarray(rgb, "RGB").quantize(COLOURS, dither=Image.Dither.NONE)
    index = np.asarray(image, dtype=np.int32)
    palette = np.asarray(image.getpalette() or [], dtype=float).reshape(-1, 3)
    used = np.unique(index)
    # "q" starts sixel data; '"1;1;W;H' says pixels are square and how large the image is.
    out = [f'\x1bPq"1;1;{width};{height}']
    for k in used:
        r, g, b = (palette[k] * 100 / 255).round().astype(int)
        out.append(f"#{k};2;{r};{g};{b}")  # colour k in RGB percent
    weights = (1 << np.arange(6))[:, None]
    for top in range(0, height, 6):
        band = index[top : top + 6]
        colours = np.unique(band)
        for n, k in enumerate(colours):
            bits = ((band == k) * weights[: len(band)]).sum(axis=0)
            out.append(f"#{k}{_runs(bits)}")
            out.append("$" if n < len(colours) - 1 else "")  # back to the band's start
        out.append("-")  # next band
    out.append("\x1b\\")
    return "".join(out)


def _runs(bits: Any) -> str:
    """One band row for one colour: a character per column (63 + bits), runs compressed."""
    chars = (bits + 63).astype(np.uint8)
    edges = np.flatnonzero(np.diff(chars)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(chars)]])
    runs = list(zip(starts.tolist(), ends.tolist()))
    if len(runs) > 1 and chars[runs[-1][0]] == 63:
        runs.pop()  # trailing empty columns ('?': no pixel) need not be sent
    pieces = []
    for a, b in runs:
        char = chr(int(chars[a]))
        count = b - a
        pieces.append(f"!{count}{char}" if count > 3 else char * count)
    return "".join(pieces)
