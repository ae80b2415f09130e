"""Writing figures: the format from the extension, checks before any work, atomic replacement.

A figure is written to a temporary file in the target folder and renamed over the target only once
complete, so an error, Ctrl-C or SIGTERM never leaves a half-written file (and never an orphaned temp
file). A symlink is written through and an existing file keeps its permissions: writing a figure
never changes what the path is. Metadata that would change between runs (dates, software versions)
is left out: the same command writes the same bytes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import warnings
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


NAME_MAX = 255  # bytes in one file name on common file systems, when pathconf cannot say
_TEMP_STEM = 60  # characters of the target's name kept in its temp file's name


def _split(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """(folder, file name) of ``path`` as typed; refuses names that are not a file's name.

    pathlib would quietly read 'f.png/' and 'f.png/.' as 'f.png'; a trailing '/' says the user
    meant a folder, so that is refused rather than guessed.
    """
    text = os.fspath(path)
    shown = repr(str(text))
    if not text:
        raise OutputError("cannot write '': no file name given")
    name = os.path.basename(text)
    if name in ("", ".", ".."):
        raise OutputError(
            f"cannot write {shown}: it names a folder, not a file",
            hint="remove the trailing '/'" if text.endswith(("/", os.sep)) else None,
        )
    folder = os.path.dirname(text)
    return Path(folder) if folder else Path("."), name


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file that writing ``path`` really replaces: a symlink is followed to its target (the link
    stays a link, as with any editor's save), and everything about it is checked before any work.

    Raises :class:`OutputError` (exit 1) with the reason: a folder, a trailing '/', a name too long, a
    missing or read-only folder, a read-only file, or something that is not a regular file.
    """
    shown = repr(str(os.fspath(path)))
    folder, name = _split(path)
    try:
        return _checked(folder, name, shown)
    except OSError as exc:  # ENAMETOOLONG for the whole path, ELOOP, EACCES on the way
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc


def _checked(folder: Path, name: str, shown: str) -> Path:
    limit = _name_max(folder)
    if len(os.fsencode(name)) > limit:
        raise OutputError(f"cannot write {shown}: the file name is longer than {limit} bytes")
    target = folder / name
    if target.is_symlink():
        # Follow the whole chain; a dangling link is written through, to the file it names.
        target = Path(os.path.realpath(target))
        folder, name = target.parent, target.name
        shown = f"{shown} (a link to {str(target)!r})"
    if target.is_dir():
        raise OutputError(f"cannot write {shown}: it is a folder")
    if not folder.is_dir():
        raise OutputError(f"cannot write {shown}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {shown}: folder {str(folder)!r} is not writable")
    if target.exists():
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(f"cannot write {shown}: it exists and is not a regular file")
        # No write bit at all (chmod 444) says "keep this", even to root, who may write anything.
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise OutputError(
                f"cannot write {shown}: the file is read-only",
                hint="make it writable (chmod u+w) or choose another name",
            )
    return target


def check_writable(path: str | os.PathLike[str]) -> None:
    """Fail early (exit 1) when ``path`` cannot be written, before computing the figure.

    Besides :func:`resolve_target`'s checks, a temp file is really created and removed in the
    target's folder: a read-only file system or a full quota shows here, not after the render.
    """
    target = resolve_target(path)
    handle, tmp = _create_temp(target, str(os.fspath(path)))
    os.close(handle)
    _remove(tmp)


# --- temp files -----------------------------------------------------------------------------------
# Every temp file that may exist, so an error or a signal anywhere removes it (the CLI calls
# discard_pending() on its way out), and the figures written but not yet renamed into place.
_temporary: set[Path] = set()
_pending: list[tuple[Path, Path]] = []
_holding = False


def hold_pending(hold: bool = True) -> None:
    """Keep finished figures in their temp files until :func:`commit_pending` (the CLI's choice:
    it puts them in place only once the whole command has been validated and has succeeded);
    ``hold=False`` goes back to renaming each figure into place as soon as it is written."""
    global _holding
    _holding = hold


def commit_pending() -> None:
    """Rename every finished figure into place."""
    while _pending:
        tmp, target = _pending.pop(0)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            discard_pending()
            raise OutputError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from exc
        _temporary.discard(tmp)


def discard_pending() -> None:
    """Remove every temp file, finished or not: the targets keep what they had."""
    _pending.clear()
    for tmp in list(_temporary):
        _remove(tmp)


def _remove(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()
    _temporary.discard(tmp)


def _create_temp(target: Path, shown: str) -> tuple[int, Path]:
    # The name is registered before the file exists: a signal between the two still finds it.
    stem = target.name[:_TEMP_STEM]
    for _ in range(100):
        tmp = target.parent / f".{stem}.{secrets.token_hex(4)}.part"
        _temporary.add(tmp)
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            _temporary.discard(tmp)
        except OSError as exc:
            _temporary.discard(tmp)
            raise OutputError(f"cannot write {shown!r}: {exc.strerror or exc}") from exc
    raise OutputError(f"cannot write {shown!r}: no free temp file name")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` only if the ``with`` block completes.

    A symlink is written through (the link stays), an existing file keeps its permissions, and a
    new one gets the umask's, as with ``open()``. Nothing but the finished file ever appears under
    the target's name.
    """
    shown = str(os.fspath(path))
    target = resolve_target(path)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = _create_temp(target, shown)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if _holding:
            _pending.append((tmp, target))
        else:
            os.replace(tmp, target)
            _temporary.discard(tmp)
    except BaseException as exc:  # includes KeyboardInterrupt: never leave the temp file behind
        _remove(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {shown!r}: {exc.strerror or exc}") from exc
        raise


def write_figure(fig: Figure, path: str | os.PathLike[str]) -> str:
    """Write ``fig`` to ``path`` atomically in the format its extension names; returns the format."""
    import matplotlib

    fmt = figure_format(path)
    with (
        atomic_file(path) as handle,
        matplotlib.rc_context({"svg.hashsalt": "gradcli"}),
        warnings.catch_warnings(),
    ):
        # A tiny --size leaves constrained_layout no room; matplotlib then draws without it and
        # says so as a Python warning, which would reach the user's terminal as source lines.
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        fig.savefig(handle, format=fmt, metadata=METADATA[fmt], facecolor=fig.get_facecolor())
    return fmt


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None]) -> None:
    """Run ``writer`` on an atomic file for ``path`` (used by the GIF writer)."""
    with atomic_file(path) as handle:
        writer(handle)
