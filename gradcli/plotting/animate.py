"""``--animate``: the descent runs drawing themselves, step by step, as a GIF (pillow).

The static picture (contours, arrows, legend) is rendered once; each frame restores it and draws only
the growing paths (blitting), so a 60-frame GIF costs about as much as a few still figures. The frame
count is bounded whatever the number of steps: frames sample the steps densely at the start, where a
descent moves most, and sparsely in its slow tail.
"""

from __future__ import annotations

import os
import warnings
from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np

from gradcli.errors import UsageError
from gradcli.plotting.output import figure_format, write_with

if TYPE_CHECKING:
    from PIL import Image

    from gradcli.plotting.figures import Plot

MAX_FRAMES = 60
MAX_FRAMES_3D = 30
MIN_FRAMES = 10
# Every frame is held until the GIF is written (about 4 bytes a pixel with the canvas copy), so
# frames × pixels is bounded: 60 frames at the default size (up to 840×1070), fewer for a
# bigger picture ...
FRAMES_PIXELS = 60_000_000
# ... and a frame over this many pixels is refused (even MIN_FRAMES of them would cost too much).
FRAME_PIXELS_MAX = FRAMES_PIXELS // MIN_FRAMES
FRAME_MS = 80
HOLD_MS = 2000  # the last frame stays up long enough to read


def frame_steps(length: int, frames: int = MAX_FRAMES) -> list[int]:
    """Step indices shown by successive frames: 0 … length−1, at most ``frames`` of them, spaced
    quadratically (dense early) and always ending on the last step."""
    if length <= 1:
        return [0]
    t = np.linspace(0.0, 1.0, max(2, min(frames, length)))
    steps = np.unique(np.round(t**2 * (length - 1)).astype(int))
    return [int(s) for s in steps]


def write_animation(plot: Plot, path: str | os.PathLike[str], frames: int = MAX_FRAMES) -> None:
    """Write ``plot``'s runs drawing themselves to ``path`` (a .gif), atomically."""
    import matplotlib

    figure_format(path, animate=True)
    if not plot.tracks:
        raise UsageError(
            "{animate} draws descent runs: give a start with {starts}",
            parameters=("animate", "starts"),
        )
    frames = frame_budget(plot, frames)
    with matplotlib.rc_context(cast(Any, plot.rc)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        images = _render_frames(plot, frames)
    durations = [FRAME_MS] * (len(images) - 1) + [HOLD_MS]

    def save(handle: IO[bytes]) -> None:
        images[0].save(
            handle,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=durations,
            loop=0,
            optimize=False,
        )

    write_with(path, save)


def frame_budget(plot: Plot, frames: int) -> int:
    """How many frames ``plot``'s size allows (a note says when that is fewer than asked); a
    frame over :data:`FRAME_PIXELS_MAX` pixels is refused before any is rendered."""
    from gradcli.plotting.figures import check_pixels

    fig = plot.figure
    width, height = fig.get_size_inches()
    check_pixels(float(width), float(height), float(fig.dpi), FRAME_PIXELS_MAX)
    pixels = max(1.0, float(width * height) * float(fig.dpi) ** 2)
    allowed = max(MIN_FRAMES, int(FRAMES_PIXELS // pixels))
    if allowed < frames:
        plot.notes.append(
            f"the animation has {allowed} frames, not {frames}: at {pixels / 1e6:.1f} megapixels "
            "a frame, more would not fit in memory (a lower --dpi or --size allows more)"
        )
        return allowed
    return frames


def _render_frames(plot: Plot, frames: int) -> list[Image.Image]:
    from PIL import Image

    fig = plot.figure
    canvas: Any = fig.canvas
    longest = max(len(t.xs) for t in plot.tracks)
    three_d = plot.kind == "surface"
    # A 3-D frame cannot be blitted (the view is redrawn whole), so a surface gets fewer frames.
    steps = frame_steps(longest, min(frames, MAX_FRAMES_3D) if three_d else frames)
    moving = [a for t in plot.tracks for a in (t.line, t.end)]
    if not three_d:  # blit: render everything else once
        for artist in moving:
            artist.set_animated(True)
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
    rgb: list[Image.Image] = []
    for step in steps:
        for t in plot.tracks:
            k = min(step, len(t.xs) - 1) + 1
            finite = np.flatnonzero(np.isfinite(t.xs[:k]) & np.isfinite(t.ys[:k]))
            at = finite[-1] if len(finite) else 0
            if t.zs is None:
                t.line.set_data(t.xs[:k], t.ys[:k])
                t.end.set_data([t.xs[at]], [t.ys[at]])
            else:
                t.line.set_data_3d(t.xs[:k], t.ys[:k], t.zs[:k])  # type: ignore[attr-defined]
                t.end.set_data_3d([t.xs[at]], [t.ys[at]], [t.zs[at]])  # type: ignore[attr-defined]
        if three_d:
            canvas.draw()
        else:
            canvas.restore_region(background)
            for artist in moving:
                artist.axes.draw_artist(artist)  # type: ignore[union-attr]
        width, height = canvas.get_width_height()
        rgba = Image.frombuffer("RGBA", (width, height), bytes(canvas.buffer_rgba()))
        rgb.append(rgba.convert("RGB"))
    for artist in moving:
        artist.set_animated(False)
    # One palette for every frame, taken from the last (it holds every colour the others do): colours
    # stay put between frames and pillow can store each frame as the small rectangle that changed.
    palette = rgb[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    return [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
