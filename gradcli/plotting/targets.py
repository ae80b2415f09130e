"""Where an animation goes: a GIF, an MP4, a multi-page PDF, or numbered frames for Beamer.

``-o d.gif`` and ``-o d.mp4`` are movies; ``-o run.pdf`` is one page per frame (LaTeX's ``animate``
package reads every page of it); ``-o frames/`` (a folder) or ``-o 'frames/f-%03d.png'`` (a printf
pattern in the file name) are numbered files, one per frame, for ``\\animategraphics``. Only the
path is read here (and PATH, for ffmpeg): nothing is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gradcli.errors import UsageError

MOVIES = {".gif": "gif", ".mp4": "mp4"}
PAGES = {".pdf": "pdf"}
FRAME_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
FOLDER_PATTERN = "frame-%03d.pdf"  # vector frames: what pdflatex and \animategraphics want
# One integer conversion: %d or %0Nd (N ≤ 9); '%%' is a literal percent sign.
_NUMBER = re.compile(r"%(0[1-9])?d")
_KINDS = ".gif, .mp4, a multi-page .pdf, or numbered frames (-o frames/ or -o 'frame-%03d.png')"


@dataclass(frozen=True)
class Target:
    """An animation's destination. ``format`` is what the output reports: ``gif``, ``mp4``, ``pdf``
    (one page a frame), or ``png-frames`` / ``pdf-frames`` / ``svg-frames``."""

    path: str
    format: str
    folder: Path | None = None  # numbered frames: the folder they go in
    pattern: str | None = None  # numbered frames: the file name, with one %d or %0Nd

    @property
    def frames(self) -> str | None:
        """The format of each numbered frame (png, pdf, svg), or None for a single file."""
        return self.format.removesuffix("-frames") if self.pattern else None

    def frame_path(self, index: int) -> Path:
        assert self.folder is not None and self.pattern is not None
        match = _NUMBER.search(self.pattern)
        assert match is not None
        width = int(match[1] or 0)
        head = self.pattern[: match.start()].replace("%%", "%")
        tail = self.pattern[match.end() :].replace("%%", "%")
        return self.folder / f"{head}{index:0{width}d}{tail}"


def is_folder(path: str | os.PathLike[str]) -> bool:
    """A trailing '/' says "a folder", whether it exists yet or not; so does an existing folder."""
    text = os.fspath(path)
    return text.endswith(("/", os.sep)) or os.path.isdir(text)


def animation_target(path: str | os.PathLike[str]) -> Target:
    """Read where an animation goes from ``path``; UsageError (exit 2) for anything else."""
    text = str(os.fspath(path))
    if is_folder(text):
        return Target(text, "pdf-frames", Path(text), FOLDER_PATTERN)
    name = os.path.basename(text)
    suffix = Path(name).suffix.lower()
    if "%" in name:
        return _pattern(text, name, suffix)
    if suffix in MOVIES:
        if MOVIES[suffix] == "mp4":
            ffmpeg()
        return Target(text, MOVIES[suffix])
    if suffix in PAGES:
        return Target(text, PAGES[suffix])
    if suffix in FRAME_FORMATS:
        stem = Path(name).stem
        raise UsageError(
            f"one {suffix} holds one picture, not an animation",
            hint=f"write numbered frames (-o '{stem}-%03d{suffix}' or -o frames/), "
            "a .gif, an .mp4 or a multi-page .pdf",
        )
    raise UsageError(
        f"cannot tell the animation format from {text!r}",
        hint=f"write a {_KINDS}",
    )


def _pattern(text: str, name: str, suffix: str) -> Target:
    numbers = _NUMBER.findall(name.replace("%%", ""))
    stray = _NUMBER.sub("", name.replace("%%", "")).count("%")
    if len(numbers) != 1 or stray:
        raise UsageError(
            f"the frame pattern {name!r} needs exactly one %d (or %03d) for the frame number",
            hint="e.g. -o 'frames/frame-%03d.png'",
        )
    if suffix not in FRAME_FORMATS:
        raise UsageError(
            f"numbered frames are .png, .pdf or .svg files, not {suffix or 'files without extension'}",
            hint="e.g. -o 'frames/frame-%03d.pdf'",
        )
    folder = os.path.dirname(text)
    fmt = FRAME_FORMATS[suffix]
    return Target(text, f"{fmt}-frames", Path(folder) if folder else Path("."), name)


def ffmpeg() -> str:
    """The ffmpeg an MP4 is encoded with — matplotlib's ``animation.ffmpeg_path`` (default: ffmpeg
    on PATH) — or UsageError (exit 2) where there is none, before any work is done."""
    import shutil

    import matplotlib

    exe = shutil.which(str(matplotlib.rcParams["animation.ffmpeg_path"]))
    if exe is None:
        raise UsageError(
            "an MP4 needs ffmpeg, and there is none on PATH",
            hint="install ffmpeg, or write a .gif, a multi-page .pdf or numbered frames (-o frames/)",
        )
    return exe
