"""An animation's frames: which steps they show, how many fit, and drawing them one by one.

The static picture (contours, arrows, legend) is rendered once; each raster frame restores it and
draws only the growing paths (blitting), so 60 frames cost about as much as a few still figures.
Vector frames (PDF, SVG) are whole pictures: each is the figure saved with the paths grown to its
step. The frame count is bounded whatever the number of steps: frames sample the steps densely at
the start, where a descent moves most, and sparsely in its slow tail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.errors import UsageError

if TYPE_CHECKING:
    from PIL import Image

    from gradcli.plotting.figures import Plot

MAX_FRAMES = 60  # the default, and the most a GIF holds at the default size
MAX_FRAMES_3D = 30
MIN_FRAMES = 10
FRAMES_ASKED_MAX = 120  # --frames: every frame is a full render, and each costs a tenth of a second
# Every GIF frame is held until the GIF is written (about 4 bytes a pixel with the canvas copy), so
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


def check_frames(frames: int | None) -> int:
    """The frame count asked for (None: the default), refused outside 2…FRAMES_ASKED_MAX."""
    if frames is None:
        return MAX_FRAMES
    if not 2 <= frames <= FRAMES_ASKED_MAX:
        raise UsageError(
            f"{{frames}} {frames}: an animation has 2 to {FRAMES_ASKED_MAX} frames",
            hint="each frame is a whole picture; the steps between frames are still drawn",
            parameters=("frames",),
        )
    return frames


def frame_budget(plot: Plot, frames: int) -> int:
    """How many frames ``plot``'s size allows in memory (a note says when that is fewer than
    asked); a frame over :data:`FRAME_PIXELS_MAX` pixels is refused before any is rendered."""
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


def steps_of(plot: Plot, frames: int) -> list[int]:
    """The steps ``frames`` frames show (a 3-D view is redrawn whole each frame: at most 30)."""
    if not plot.tracks:
        raise UsageError(
            "{animate} draws descent runs: give a start with {starts}",
            parameters=("animate", "starts"),
        )
    longest = max(len(t.xs) for t in plot.tracks)
    return frame_steps(longest, min(frames, MAX_FRAMES_3D) if plot.kind == "surface" else frames)


def show_step(plot: Plot, step: int) -> None:
    """Grow every run's path to ``step`` (a shorter run stays at its end)."""
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


def vector_frames(plot: Plot, steps: list[int]) -> Iterator[int]:
    """Grow the paths step by step; the caller saves the whole figure at each. The layout was
    settled when the figure was built: it is switched off meanwhile (a save would otherwise
    redo it, and draw once more to measure — about half the cost of a frame). The full paths and
    the layout engine are put back afterwards, whatever happens."""
    fig = plot.figure
    engine = fig.get_layout_engine()
    fig.set_layout_engine("none")
    try:
        for i, step in enumerate(steps):
            show_step(plot, step)
            yield i
    finally:
        show_step(plot, max(len(t.xs) for t in plot.tracks))
        fig.set_layout_engine(engine)


@contextlib.contextmanager
def _see_through(plot: Plot, transparent: bool) -> Iterator[None]:
    """The figure's and axes' backgrounds cleared while frames are rendered (as savefig's
    ``transparent=True`` does for a still)."""
    if not transparent:
        yield
        return
    patches = [plot.figure.patch] + [ax.patch for ax in plot.figure.axes]
    saved = [(p.get_facecolor(), p.get_edgecolor()) for p in patches]
    for p in patches:
        p.set_facecolor("none")
        p.set_edgecolor("none")
    try:
        yield
    finally:
        for p, (face, edge) in zip(patches, saved):
            p.set_facecolor(face)
            p.set_edgecolor(edge)


def raster_frames(plot: Plot, steps: list[int], transparent: bool = False) -> Iterator[Image.Image]:
    """Each frame as an RGBA image, rendered as it is asked for (nothing is kept here)."""
    from PIL import Image

    fig = plot.figure
    canvas: Any = fig.canvas
    three_d = plot.kind == "surface"
    moving = [a for t in plot.tracks for a in (t.line, t.end)]
    with _see_through(plot, transparent):
        try:
            if not three_d:  # blit: render everything else once
                for artist in moving:
                    artist.set_animated(True)
                canvas.draw()
                background = canvas.copy_from_bbox(fig.bbox)
            for step in steps:
                show_step(plot, step)
                if three_d:
                    canvas.draw()
                else:
                    canvas.restore_region(background)
                    for artist in moving:
                        artist.axes.draw_artist(artist)  # type: ignore[union-attr]
                width, height = canvas.get_width_height()
                yield Image.frombuffer("RGBA", (width, height), bytes(canvas.buffer_rgba()))
        finally:
            for artist in moving:
                artist.set_animated(False)
