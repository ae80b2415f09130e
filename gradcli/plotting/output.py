"""Writing figures: the format from the extension, checks before any work, atomic replacement.

A figure is written to a temporary file in the target folder and renamed over the target only once
complete, so an error or Ctrl-C never leaves a half-written file (and never an orphaned temp file).
Metadata that would change between runs (dates, software versions) is left out: the same command
writes the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gradcli.errors import OutputError, UsageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STILL_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
ANIMATION_FORMATS = {".gif": "gif"}

# Keys set to None are dropped by matplotlib's writers: no timestamps, no version strings.
METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def figure_format(path: str | os.PathLike[str], animate: bool = False) -> str:
    """The file format for ``path`` (``png svg pdf``, or ``gif`` for an animation); UsageError (exit 2)
    for anything else, before any work is done."""
    suffix = Path(path).suffix.lower()
    if animate:
        if suffix in ANIMATION_FORMATS:
            return ANIMATION_FORMATS[suffix]
        raise UsageError(
            f"an animation is written as a GIF, not {suffix or 'a file without extension'}",
            hint=f"use -o {Path(path).with_suffix('.gif').name}",
        )
    if suffix in STILL_FORMATS:
        return STILL_FORMATS[suffix]
    if suffix in ANIMATION_FORMATS:
        raise UsageError(
            "a .gif is an animation",
            hint="add {animate}, or write .png/.svg/.pdf",
            parameters=("animate",),
        )
    raise UsageError(
        f"cannot tell the figure format from {str(path)!r}",
        hint="end the file name in .png, .svg or .pdf (or .gif with {animate})",
        parameters=("animate",),
    )


def check_writable(path: str | os.PathLike[str]) -> None:
    """Fail early (exit 1) when ``path`` clearly cannot be written, before computing the figure."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise OutputError(f"cannot write {str(path)!r}: it is a folder")
    if not folder.is_dir():
        raise OutputError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {str(path)!r}: folder {str(folder)!r} is not writable")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` only if the ``with`` block completes."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below on every path
            dir=folder, prefix=f".{target.name}.", suffix=".part", delete=False
        )
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
    tmp = Path(handle.name)
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates 0600; a figure is an ordinary file, so honour the umask like open() does.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as exc:  # includes KeyboardInterrupt: never leave the temp file behind
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc
        raise


def write_figure(fig: Figure, path: str | os.PathLike[str]) -> str:
    """Write ``fig`` to ``path`` atomically in the format its extension names; returns the format."""
    import matplotlib

    fmt = figure_format(path)
    with atomic_file(path) as handle, matplotlib.rc_context({"svg.hashsalt": "gradcli"}):
        fig.savefig(handle, format=fmt, metadata=METADATA[fmt], facecolor=fig.get_facecolor())
    return fmt


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None]) -> None:
    """Run ``writer`` on an atomic file for ``path`` (used by the GIF writer)."""
    with atomic_file(path) as handle:
        writer(handle)
