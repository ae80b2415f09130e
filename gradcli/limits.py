"""Time bounds for sympy steps that can blow up (solve, simplify, exact evaluation).

sympy cannot be cancelled from another thread, so the bound is a ``SIGALRM`` timer in the main thread.
The exception derives from ``BaseException`` on purpose: sympy has ``except Exception`` blocks that
would otherwise swallow it and carry on computing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class TimeUp(BaseException):
    """Raised inside a bounded block when its time budget runs out."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeUp` in the block after ``seconds`` (no bound outside the main thread)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded(seconds: float, compute: Callable[[], T], fallback: T) -> T:
    """``compute()`` if it finishes within ``seconds``, else ``fallback``."""
    try:
        with time_limit(seconds):
            return compute()
    except TimeUp:
        return fallback
