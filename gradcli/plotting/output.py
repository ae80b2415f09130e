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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from gradcli.errors import OutputError, UsageError
from gradcli.plotting.targets import animation_target

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STILL_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
ANIMATION_FORMATS = {".gif": "gif", ".mp4": "mp4"}

# Keys set to None are dropped by matplotlib's writers: no timestamps, no version strings.
METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}
# zlib's fastest level: a slide figure (1260×1215 px) encodes in about half the time of PIL's
# default level 6, for a file about 8 % larger; the pixels are the same.
PNG_COMPRESSION = 1


def figure_format(path: str | os.PathLike[str], animate: bool = False) -> str:
    """The file format for ``path`` (``png svg pdf``; for an animation ``gif mp4 pdf`` or numbered
    ``png-frames pdf-frames svg-frames``, see :mod:`gradcli.plotting.targets`); UsageError (exit 2)
    for anything else, before any work is done."""
    suffix = Path(path).suffix.lower()
    if animate:
        return animation_target(path).format
    if suffix in STILL_FORMATS:
        return STILL_FORMATS[suffix]
    if suffix in ANIMATION_FORMATS:
        raise UsageError(
            f"a {suffix} is an animation",
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


def check_writable(path: str | os.PathLike[str], animate: bool = False) -> None:
    """Fail early (exit 1) when ``path`` cannot be written, before computing the figure.

    Besides :func:`resolve_target`'s checks, a temp file is really created and removed in the
    target's folder: a read-only file system or a full quota shows here, not after the render.
    Numbered frames (``animate``, ``-o frames/``) check their folder, creating it if it is missing
    (its parent must exist); a command that then fails removes it again if it is still empty.
    """
    target = animation_target(path) if animate else None
    if target is not None and target.folder is not None:
        make_folder(target.folder, str(os.fspath(path)))
        path = target.frame_path(0)
    resolved = resolve_target(path)
    handle, tmp = _create_temp(resolved, str(os.fspath(path)))
    os.close(handle)
    _remove(tmp)


def make_folder(folder: Path, shown: str) -> None:
    """Create ``folder`` (one level) unless it exists; remembered so a failure can remove it."""
    if folder.is_dir():
        return
    if folder.exists():
        raise OutputError(f"cannot write frames to {shown!r}: it exists and is not a folder")
    if not folder.parent.is_dir():
        raise OutputError(
            f"cannot write frames to {shown!r}: folder {str(folder.parent)!r} does not exist"
        )
    try:
        folder.mkdir()
    except OSError as exc:
        raise OutputError(f"cannot create {shown!r}: {exc.strerror or exc}") from exc
    _created.append(folder)


# --- temp files -----------------------------------------------------------------------------------
# Every temp file that may exist, so an error or a signal anywhere removes it (the CLI calls
# discard_pending() on its way out), and the figures written but not yet renamed into place.
_temporary: set[Path] = set()
_pending: list[tuple[Path, Path]] = []
_created: list[Path] = []  # folders made for numbered frames, removed again if left empty
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
    _created.clear()


def discard_pending() -> None:
    """Remove every temp file, finished or not: the targets keep what they had."""
    _pending.clear()
    for tmp in list(_temporary):
        _remove(tmp)
    while _created:
        with contextlib.suppress(OSError):  # only if empty: rmdir never removes what is inside
            _created.pop().rmdir()


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
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temp file's path (created, empty) that becomes ``path`` only if the ``with`` block
    completes — for writers that want a file name, not a handle (ffmpeg).

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
        os.close(fd)
        yield tmp
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


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``path`` only if the ``with`` block completes (see
    :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


# What gradcli decides at save time whatever a matplotlibrc says: the file is the figure as laid out
# (a 'tight' crop would break --size), and fonts are embedded as TrueType (Type 42), not Type 3, so
# that Beamer, PowerPoint, Keynote and Illustrator keep PDF text as text. Stable SVG ids: the same
# figure gives the same bytes.
SAVE_RC: dict[str, Any] = {
    "svg.hashsalt": "gradcli",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "savefig.bbox": "standard",
    "text.usetex": False,  # as when the figure was built (style.theme_rc)
}


@contextlib.contextmanager
def quiet_fonts() -> Iterator[None]:
    """Embedding TrueType fonts runs fontTools, which logs a warning about the old timestamps in
    the Computer Modern fonts matplotlib ships — news for no one, on the user's terminal."""
    import logging

    logger = logging.getLogger("fontTools")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def save_rc(rc: Mapping[str, Any] | None = None, editable_text: bool = False) -> dict[str, Any]:
    """The rcParams to save under: the figure's own (``rc``, as it was built), then SAVE_RC;
    ``editable_text`` writes SVG text as ``<text>`` elements instead of glyph outlines."""
    settings = {**(rc or {}), **SAVE_RC}
    if editable_text:
        settings["svg.fonttype"] = "none"
    return settings


def save_kwargs(fig: Figure, transparent: bool | None = None) -> dict[str, Any]:
    """savefig's arguments: the figure's dpi (--dpi wins over a matplotlibrc's savefig.dpi) and
    its own background — or none at all when ``transparent`` (None: the matplotlibrc's
    savefig.transparent). An explicit facecolor would paint the background back in."""
    import matplotlib

    if transparent is None:
        transparent = bool(matplotlib.rcParams["savefig.transparent"])
    if transparent:
        return {"dpi": "figure", "transparent": True}
    return {"dpi": "figure", "transparent": False, "facecolor": fig.get_facecolor()}


OPAQUE = {"gif": "a GIF", "mp4": "an MP4"}  # written without an alpha channel
PIXELS = {**OPAQUE, "png": "a PNG", "png-frames": "a PNG frame"}  # no text in them to edit


def check_save_options(fmt: str, *, transparent: bool | None, editable_text: bool) -> None:
    """Refuse (exit 2, before any work) what a format cannot hold: transparency in a GIF or MP4,
    editable text in pixels. ``transparent=None`` (the matplotlibrc decides) is never refused."""
    if transparent and fmt in OPAQUE:
        raise UsageError(
            f"{{transparent}}: {OPAQUE[fmt]} is written without transparency",
            hint="numbered PNG frames (-o 'frame-%03d.png') or a .pdf keep it",
            parameters=("transparent",),
        )
    if editable_text and fmt in PIXELS:
        raise UsageError(
            f"{{editable_text}}: {PIXELS[fmt]} is pixels, with no text to edit",
            hint="write .svg, or .pdf (its fonts are TrueType, editable as they are)",
            parameters=("editable_text",),
        )


def write_figure(
    fig: Figure,
    path: str | os.PathLike[str],
    *,
    transparent: bool | None = None,
    editable_text: bool = False,
    rc: Mapping[str, Any] | None = None,
) -> str:
    """Write ``fig`` to ``path`` atomically in the format its extension names; returns the format.

    ``transparent``: no background (None: as the matplotlibrc's savefig.transparent says);
    ``editable_text``: SVG text as text; ``rc``: the rcParams the figure was built under."""
    import matplotlib

    fmt = figure_format(path)
    check_save_options(fmt, transparent=transparent, editable_text=editable_text)
    with (
        atomic_file(path) as handle,
        matplotlib.rc_context(cast(Any, save_rc(rc, editable_text))),
        warnings.catch_warnings(),
        quiet_fonts(),
    ):
        # A tiny --size leaves constrained_layout no room; matplotlib then draws without it and
        # says so as a Python warning, which would reach the user's terminal as source lines.
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        extra: dict[str, Any] = (
            {"pil_kwargs": {"compress_level": PNG_COMPRESSION}} if fmt == "png" else {}
        )
        fig.savefig(
            handle, format=fmt, metadata=METADATA[fmt], **save_kwargs(fig, transparent), **extra
        )
    return fmt


def write_with(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], None]) -> None:
    """Run ``writer`` on an atomic file for ``path`` (used by the GIF writer)."""
    with atomic_file(path) as handle:
        writer(handle)
