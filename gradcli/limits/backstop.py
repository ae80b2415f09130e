"""The last layer of :mod:`gradcli.limits`: faulthandler's C thread, for C calls that keep the GIL.

A C call that holds the GIL (a huge integer power) stops every Python thread, the watchdog too.
``faulthandler.dump_traceback_later(exit=True)`` is a C thread that needs no GIL: it ends the
process with exit code 1. Its multi-line dump goes to a small helper process that prints the one
line the hard exit would have written instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Sequence
from typing import Any


def last_line(what: str, seconds: float | str) -> str:
    return (
        f"gradcli: error: {what} took longer than {seconds} s and could not be interrupted"
        " — try a simpler expression\n"
    )


# The helper turns faulthandler's multi-line dump into the one line. It reads what is being
# bounded ('\x1e' what '\t' seconds), then either the dump (it prints the line) or the end of
# the pipe (the parent exited: it says nothing). Like a daemon, it ignores Ctrl-C and friends.
_HELPER = r"""
import os, signal
for sig in [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP", "SIGPIPE") if hasattr(signal, n)]:
    signal.signal(sig, signal.SIG_IGN)
data, what, seconds = b"", "a computation", "?"
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    data += chunk
    while b"\n" in data:
        line, data = data.split(b"\n", 1)
        if line.startswith(b"\x1e"):
            what, _, seconds = line[1:].decode("utf-8", "replace").rpartition("\t")
        elif line.startswith(b"Timeout ("):
            os.write(2, LINE.format(what=what, seconds=seconds).encode("utf-8", "replace"))
            raise SystemExit(0)
"""

# The same in POSIX sh, which starts in ~1 ms (a Python helper cost every bounded command ~30 ms).
_SH_HELPER = r"""
trap '' INT TERM HUP PIPE; RS=$(printf '\036'); TAB=$(printf '\t'); what='a computation'; seconds='?'
while IFS= read -r line; do
  case $line in
    "$RS"*) rest=${line#?}; what=${rest%"$TAB"*}; seconds=${rest##*"$TAB"} ;;
    'Timeout ('*) printf '%s\n' "$(printf 'LINE' "$what" "$seconds")" >&2; exit 0 ;;
  esac
done
"""


class Backstop:
    """``faulthandler.dump_traceback_later(exit=True)`` armed for the earliest hard deadline: a C
    thread that needs no GIL, so it ends the process (exit code 1) even when a C call holds the
    GIL and the watchdog thread cannot run. Its dump goes to the helper process, which prints the
    one line instead. Without a helper (it could not start) the process still ends, silently."""

    def __init__(self) -> None:
        self.fd: int | None = None  # where faulthandler writes: the helper's stdin, or devnull
        self.helper: Any = None
        self.armed: Any = None  # the bound it is armed for

    def arm(self, bounds: Sequence[Any], *, enabled: bool = True, after: float = 3.0) -> None:
        """Arm for the earliest hard deadline of ``bounds`` (under the watchdog's lock): ``after``
        seconds past the latest its deadline can move to."""
        if not bounds or not enabled:
            self.disarm()
            return
        first = min(bounds, key=lambda b: b.hard_deadline)
        if first is self.armed:
            return
        import faulthandler

        fd = self.pipe()
        with contextlib.suppress(OSError):  # a full or closed pipe: the exit still happens
            os.write(fd, f"\x1e{first.what}\t{first.seconds:g}\n".encode("utf-8", "replace"))
        # From the latest a deadline can move to (limits.STRETCH): the backstop is not re-armed
        # when one moves, and it is only for C calls that hold the GIL.
        delay = max(first.wall_cap + after - time.monotonic(), 0.01)
        faulthandler.dump_traceback_later(delay, file=fd, exit=True)
        self.armed = first

    def disarm(self) -> None:
        if self.armed is not None:
            import faulthandler

            faulthandler.cancel_dump_traceback_later()
            self.armed = None

    def pipe(self) -> int:
        if self.fd is None:
            self.fd = self.start_helper()
        return self.fd

    def start_helper(self) -> int:
        import subprocess

        line = last_line("{what}", "{seconds}")
        if os.name == "posix" and os.path.exists("/bin/sh"):
            template = last_line("%s", "%s").rstrip("\n").replace("'", "'\\''")
            command = ["/bin/sh", "-c", _SH_HELPER.replace("LINE", template)]
        else:
            command = [sys.executable, "-I", "-S", "-c", _HELPER.replace("LINE", repr(line))]
        try:
            read, write = os.pipe()
            self.helper = subprocess.Popen(
                command,
                stdin=read,
                stdout=subprocess.DEVNULL,
                close_fds=True,
            )
            os.close(read)
            os.set_blocking(write, False)  # never wait for the helper
            return write
        except (OSError, ValueError, subprocess.SubprocessError):
            return os.open(os.devnull, os.O_WRONLY)
