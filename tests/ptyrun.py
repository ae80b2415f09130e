"""A gradcli process with stderr on a real pseudo-terminal, interrupted once it shows it is running.

The terminal is read until gradcli closes it (a full one would block the progress bar's redraws,
and with them gradcli); Ctrl-C is sent when ``marker`` has appeared there — waited for, never a
fixed sleep, which would land in start-up on a busy machine.
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import NamedTuple


class Interrupted(NamedTuple):
    returncode: int
    stdout: bytes
    terminal: str  # everything gradcli wrote on the terminal (stderr)


def interrupt_when_shown(
    command: Sequence[str], marker: bytes, env: Mapping[str, str], *, wait: float = 120
) -> Interrupted:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        list(command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, env=env
    )
    os.close(follower)
    shown: list[bytes] = []
    seen = threading.Event()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: gradcli has closed the terminal
                return
            if not chunk:
                return
            shown.append(chunk)
            if marker in b"".join(shown[-3:]):
                seen.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert seen.wait(wait), (proc.poll(), b"".join(shown))
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=wait)
    finally:
        if proc.poll() is None:  # never leave a long descent running
            proc.kill()
            proc.wait()
        reader.join(10)
        os.close(leader)
    return Interrupted(proc.returncode, out, b"".join(shown).decode(errors="replace"))
