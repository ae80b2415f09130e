"""The process around a command: its standard streams, the signals that end it, and the figure files
it leaves behind.

Everything here is about the operating system, not about gradients: a closed or full stdout, a
terminal that cannot show '∇', SIGTERM in the middle of a figure. The error funnel in
:mod:`gradcli.cli.app` uses it so every command gets the same behaviour without knowing about it.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from gradcli.errors import ExitCode

# --- signals --------------------------------------------------------------------------------------
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 5.0  # after a signal, the time allowed to wind down before a hard stop
_received: list[int] = []


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, exactly like Ctrl-C.

    A subclass of :class:`KeyboardInterrupt` on purpose: every ``finally`` runs (a figure's temp file
    is removed) and ``descend`` reports the runs so far with the status ``interrupted``, as it does
    for Ctrl-C; only the exit code differs (143, 129).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def install_signal_handlers() -> None:
    """Turn INT, TERM and HUP into exceptions (once, in the entry point).

    An inherited 'ignore' for SIGHUP is kept: that is what ``nohup gradcli ...`` asks for. SIGINT
    and SIGTERM are always handled: a shell starts background jobs with SIGINT ignored, and
    ``kill -INT`` on such a job must still stop it rather than let it run on.
    """
    for signum in ENDING_SIGNALS:
        if signum == signal.SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
            continue
        signal.signal(signum, _on_signal)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _received:  # a second signal while winding down: stop now, still without leftovers
        hard_exit(signum)
    _received.append(signum)
    # If something swallows the exception and carries on, the grace timer still ends the process.
    timer = threading.Timer(GRACE_SECONDS, hard_exit, args=(signum,))
    timer.daemon = True
    timer.start()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


def signal_exit_code() -> int:
    """128 + the signal that interrupted the command (130 for Ctrl-C, 143 for SIGTERM, 129 for HUP)."""
    return 128 + _received[0] if _received else int(ExitCode.INTERRUPTED)


def signal_message() -> str:
    if not _received or _received[0] == signal.SIGINT:
        return "gradcli: interrupted"
    return f"gradcli: terminated ({signal.Signals(_received[0]).name})"


def hard_exit(signum: int) -> None:
    """End the process at once: remove temp files, say why, exit 128 + signum."""
    discard_files()
    with contextlib.suppress(Exception):
        os.write(2, f"\n{signal_message()}\n".encode())
    os._exit(128 + (_received[0] if _received else signum))


# --- figure files ---------------------------------------------------------------------------------
def _output_module() -> Any:
    # Only a command that wrote a figure has imported the writer; importing it here would cost every
    # other command numpy and matplotlib.
    return sys.modules.get("gradcli.plotting.output")


def commit_files() -> None:
    """Put the figures written so far in place (the command succeeded, or is about to report)."""
    output = _output_module()
    if output is not None:
        output.commit_pending()


def discard_files() -> None:
    """Remove every temp file and figure not yet in place (the command failed or was stopped)."""
    output = _output_module()
    if output is not None:
        output.discard_pending()


def release_files() -> None:
    """The command is over: the next one starts with figures put in place as written."""
    output = _output_module()
    if output is not None:
        output.hold_pending(False)


def hold_files() -> None:
    """From now on, written figures wait in their temp files until :func:`commit_files`."""
    from gradcli.plotting import output

    output.hold_pending()


# --- standard streams -----------------------------------------------------------------------------
class ClosedStream(io.TextIOBase):
    """Stands in for a standard stream the process was started without (``>&-``, ``2>&-``).

    Writing fails like writing to a closed descriptor, so the output path reports it once instead of
    crashing on ``None``.
    """

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str) -> None:
        self.name = name

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, f"standard {self.name} is closed")

    def flush(self) -> None:
        return None


class OutputFailed(OSError):
    """Writing standard output failed (a full disk, a closed descriptor, an I/O error); a reader
    that went away (EPIPE) is not this, it ends quietly."""


class WatchedOutput:
    """Standard output, with its write failures told apart from every other OSError.

    A full disk shows only when the buffer is flushed, possibly deep inside rich or csv; this
    wrapper marks the failure where it happens, so the funnel can say "cannot write the output"
    (exit 1) instead of "internal error".
    """

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self.stream.write(text))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputFailed(exc.errno, exc.strerror or str(exc)) from exc

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputFailed(exc.errno, exc.strerror or str(exc)) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def occupy_standard_descriptors() -> None:
    """Point closed descriptors 0, 1 and 2 at /dev/null.

    Otherwise the next file gradcli opens (a figure's temp file) would get number 1 or 2, and a
    stray write meant for stdout or stderr would land in it. Python already knows the streams are
    closed (sys.stdout is None), so output still reports the closed stream.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:  # the lowest free number should be fd itself
                    os.dup2(null, fd)
                    os.close(null)


def prepare_streams() -> None:
    """Make stdout and stderr safe to write: stand-ins for closed ones, ASCII where needed, and
    stdout's write failures marked as such."""
    if sys.stdout is None:
        sys.stdout = ClosedStream("output")
    if sys.stderr is None:
        sys.stderr = ClosedStream("error")
    for stream in (sys.stdout, sys.stderr):
        if not can_encode(stream) and isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(Exception):
                stream.reconfigure(errors=ASCII_FALLBACK)
    if not isinstance(sys.stdout, WatchedOutput):
        sys.stdout = WatchedOutput(sys.stdout)


def can_encode(stream: Any, sample: str = "∇‖≈√∂²·×−") -> bool:
    """Whether ``stream`` can carry gradcli's symbols (a latin-1 or ASCII terminal cannot)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        sample.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def silence(stream_fd: int) -> None:
    """Point a descriptor whose reader went away (or whose disk is full) at /dev/null, so the
    interpreter's final flush does not fail again and turn the exit code into 120."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream_fd)
        os.close(null)


# --- ASCII fallback -------------------------------------------------------------------------------
ASCII_FALLBACK = "gradcli-ascii"


def _ascii_fallback(exc: UnicodeError) -> tuple[str, int]:
    """The codec error handler for a stream that cannot encode a character: its ASCII spelling."""
    from gradcli.views.render import ascii_text

    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return ascii_text(exc.object[exc.start : exc.end]), exc.end


codecs.register_error(ASCII_FALLBACK, _ascii_fallback)
