"""Animations for slides: an MP4 (ffmpeg), a multi-page PDF, numbered PNG/PDF/SVG frames.

Every file is written atomically (:mod:`gradcli.plotting.output`): an error, Ctrl-C or SIGTERM
leaves neither a half-written file nor a temp file, and numbered frames appear together once the
command has succeeded. Frames are written as they are drawn, so memory holds one frame at a time.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Any, cast

from gradcli.errors import OutputError
from gradcli.plotting.frames import FRAME_MS, HOLD_MS, raster_frames, vector_frames
from gradcli.plotting.output import (
    METADATA,
    atomic_file,
    atomic_path,
    check_save_options,
    quiet_fonts,
    save_kwargs,
    save_rc,
    write_figure,
)
from gradcli.plotting.targets import Target, ffmpeg

if TYPE_CHECKING:
    from gradcli.plotting.figures import Plot

FFMPEG_SECONDS = 120  # to finish encoding once every frame is in: a few seconds is usual
FPS = Fraction(1000, FRAME_MS)  # 12.5 frames a second, as the GIF
HOLD_FRAMES = -(-HOLD_MS // FRAME_MS)  # the last frame, repeated: it stays up to be read


def check_options(plot: Plot, target: Target) -> None:
    opts = plot.options
    check_save_options(
        target.format, transparent=opts.transparent, editable_text=opts.editable_text
    )


def write(plot: Plot, target: Target, steps: list[int]) -> None:
    """Write ``steps`` as frames to ``target`` (any but a GIF) and note how to use them."""
    if target.format == "mp4":
        _write_mp4(plot, target.path, steps)
    elif target.format == "pdf":
        _write_pages(plot, target.path, steps)
    else:
        _write_frames(plot, target, steps)
    plot.notes.extend(_beamer_notes(plot, target, len(steps)))


def _write_pages(plot: Plot, path: str, steps: list[int]) -> None:
    """One PDF page a frame (LaTeX's animate package reads every page of it)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    fig, opts = plot.figure, plot.options
    with (
        atomic_file(path) as handle,
        matplotlib.rc_context(cast(Any, save_rc(plot.rc, opts.editable_text))),
        quiet_fonts(),
        PdfPages(handle, metadata=METADATA["pdf"]) as pages,
    ):
        for _ in vector_frames(plot, steps):
            pages.savefig(fig, **save_kwargs(fig, opts.transparent))


def _write_frames(plot: Plot, target: Target, steps: list[int]) -> None:
    fig, opts = plot.figure, plot.options
    names = [target.frame_path(i) for i in range(len(steps))]
    if target.frames == "png":  # blitted: a frame costs a fraction of a full render
        import matplotlib

        transparent = opts.transparent
        if transparent is None:
            transparent = bool(matplotlib.rcParams["savefig.transparent"])
        dpi = round(float(fig.dpi))
        for name, image in zip(names, raster_frames(plot, steps, transparent)):
            with atomic_file(name) as handle:
                image.save(handle, format="PNG", dpi=(dpi, dpi))
        return
    for i in vector_frames(plot, steps):
        write_figure(
            fig,
            names[i],
            transparent=opts.transparent,
            editable_text=opts.editable_text,
            rc=plot.rc,
        )


def _write_mp4(plot: Plot, path: str, steps: list[int]) -> None:
    """Pipe the frames to ffmpeg (raw RGBA in, H.264 out), which writes a temp file renamed into
    place when it is done; on any error or signal ffmpeg is stopped and the temp file removed."""
    import matplotlib
    from matplotlib.colors import to_hex

    exe = ffmpeg()
    fig = plot.figure
    width, height = fig.canvas.get_width_height()
    background = to_hex(fig.get_facecolor())[1:]
    with atomic_path(path) as tmp, tempfile.TemporaryFile() as log:
        command = [
            exe,
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-s",
            f"{width}x{height}",
            "-framerate",
            f"{FPS.numerator}/{FPS.denominator}",
            "-i",
            "pipe:0",
            # H.264 in yuv420p (what slides and browsers play) needs even sides.
            "-vf",
            f"pad=ceil(iw/2)*2:ceil(ih/2)*2:color=0x{background}",
            "-c:v",
            str(matplotlib.rcParams["animation.codec"]),
            "-pix_fmt",
            "yuv420p",
            "-map_metadata",
            "-1",
            "-f",
            "mp4",
            "-y",
            str(tmp),
        ]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=log)
        assert proc.stdin is not None
        try:
            last = b""
            try:
                for image in raster_frames(plot, steps):
                    last = image.tobytes()
                    proc.stdin.write(last)
                for _ in range(HOLD_FRAMES):
                    proc.stdin.write(last)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg stopped reading: its exit status and log say why
            code = proc.wait(timeout=FFMPEG_SECONDS)
        except BaseException:  # an error, a timeout, Ctrl-C: stop ffmpeg before the temp file goes
            proc.kill()
            proc.wait()
            raise
        finally:
            if proc.stdin and not proc.stdin.closed:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
        if code != 0:
            raise OutputError(f"cannot write {path!r}: ffmpeg failed ({_last_line(log, code)})")


def _last_line(log: IO[bytes], code: int) -> str:
    log.seek(0)
    lines = log.read().decode(errors="replace").strip().splitlines()
    return lines[-1].strip()[:200] if lines else f"exit status {code}"


def _beamer_notes(plot: Plot, target: Target, count: int) -> list[str]:
    """How to put the frames on a slide, and frames left from an earlier, longer run."""
    rate = f"{float(FPS):g}"
    use = "in Beamer (\\usepackage{animate}): \\animategraphics[controls,loop]"
    if target.format == "pdf":
        stem = os.path.splitext(target.path)[0].replace(os.sep, "/")
        return [f"{count} pages, one a frame: {target.path}", f"{use}{{{rate}}}{{{stem}}}{{}}{{}}"]
    if target.pattern is None or target.folder is None:
        return []
    first, last = target.frame_path(0), target.frame_path(count - 1)
    notes = [f"{count} frames: {first} … {last.name}"]
    stale = target.frame_path(count)
    if stale.exists():
        notes.append(f"{stale} and on are left from an earlier run: these stop at {last.name}")
    named = _numbered(target.pattern)
    if named is not None and target.frames in ("pdf", "png"):
        head, width = named
        base = head if str(target.folder) == "." else f"{target.folder}/{head}"
        first_n, last_n = f"{0:0{width}d}", f"{count - 1:0{width}d}"
        notes.append(f"{use}{{{rate}}}{{{base.replace(os.sep, '/')}}}{{{first_n}}}{{{last_n}}}")
    return notes


def _numbered(pattern: str) -> tuple[str, int] | None:
    """(the name before the frame number, the number's width) when \\animategraphics can name the
    frames: the number is followed by nothing but the extension and follows no other digit."""
    match = re.search(r"%(0[1-9])?d", pattern)
    if match is None:
        return None
    head, tail = pattern[: match.start()], pattern[match.end() :]
    if "%" in head or tail.lower() not in (".pdf", ".png") or head[-1:].isdigit():
        return None
    return head, int(match[1] or 0)
