"""``--animate``: the descent runs drawing themselves, step by step.

Where they go follows the target (:mod:`gradcli.plotting.targets`): a GIF (pillow, here), an MP4
(ffmpeg), a multi-page PDF or numbered PNG/PDF/SVG frames for Beamer's ``\\animategraphics``
(:mod:`gradcli.plotting.movie`). Which steps the frames show and how they are drawn:
:mod:`gradcli.plotting.frames`.
"""

from __future__ import annotations

import os
import warnings
from typing import IO, TYPE_CHECKING, Any, cast

from gradcli.errors import UsageError
from gradcli.plotting import movie
from gradcli.plotting.frames import (
    FRAME_MS,
    FRAME_PIXELS_MAX,
    FRAMES_PIXELS,
    HOLD_MS,
    MAX_FRAMES,
    MAX_FRAMES_3D,
    MIN_FRAMES,
    check_frames,
    frame_budget,
    frame_steps,
    raster_frames,
    steps_of,
)
from gradcli.plotting.output import write_with
from gradcli.plotting.targets import animation_target

if TYPE_CHECKING:
    from PIL import Image

    from gradcli.plotting.figures import Plot

__all__ = [
    "FRAMES_PIXELS",
    "FRAME_MS",
    "FRAME_PIXELS_MAX",
    "HOLD_MS",
    "MAX_FRAMES",
    "MAX_FRAMES_3D",
    "MIN_FRAMES",
    "check_frames",
    "frame_budget",
    "frame_steps",
    "write_animation",
]


def write_animation(plot: Plot, path: str | os.PathLike[str], frames: int | None = None) -> None:
    """Write ``plot``'s runs drawing themselves to ``path``, atomically: a .gif, an .mp4, a
    multi-page .pdf, or numbered frames (a folder, or a name with ``%03d``). ``frames``: at most
    this many (default :data:`MAX_FRAMES`; a GIF may hold fewer, see :func:`frame_budget`)."""
    import matplotlib

    target = animation_target(path)
    asked = check_frames(frames)
    if not plot.tracks:
        raise UsageError(
            "{animate} draws descent runs: give a start with {starts}",
            parameters=("animate", "starts"),
        )
    movie.check_options(plot, target)
    if target.format == "gif":
        asked = frame_budget(plot, asked)
    else:  # frames are written as they are drawn: only one frame's size is bounded
        frame_budget(plot, MIN_FRAMES)
    steps = steps_of(plot, asked)
    with matplotlib.rc_context(cast(Any, plot.rc)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if target.format == "gif":
            _write_gif(plot, path, steps)
        else:
            movie.write(plot, target, steps)
    plot.frames = len(steps)


def _write_gif(plot: Plot, path: str | os.PathLike[str], steps: list[int]) -> None:
    images = _quantized([im.convert("RGB") for im in raster_frames(plot, steps)])
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


def _quantized(rgb: list[Image.Image]) -> list[Image.Image]:
    """One palette for every frame, taken from the last (it holds every colour the others do):
    colours stay put between frames and pillow can store each frame as the small rectangle that
    changed."""
    from PIL import Image

    palette = rgb[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    return [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
