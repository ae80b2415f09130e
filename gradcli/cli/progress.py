"""Live progress of a long descent: a transient bar on stderr, only where a person is watching.

The bar appears once a descent has run for :data:`AFTER` seconds (a short run never flashes one),
redraws at most every :data:`EVERY` seconds and is cleared when the descent ends, so what stays on
the terminal is the result alone. It shows the step, f and ‖∇f‖ for one run; for many, the runs
finished and still going, and the best f so far. It is drawn only when stderr is a terminal, and
never where it would tangle with the output: rows streamed to the same terminal are their own
progress. ``--no-progress`` turns it off.

The engine calls it between steps (``Descent(on_step=...)``: nothing is called when there is no
bar); it asks :meth:`gradcli.optimize.Descent.progress` for f and ‖∇f‖ only when it redraws. No
thread draws it (rich's auto-refresh is off), so Ctrl-C meets the descent, never a drawing thread.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from gradcli.optimize import Descent, Settings

__all__ = ["AFTER", "Progress", "for_descent", "wanted"]

AFTER = 0.5  # seconds before the bar appears
EVERY = 0.1  # seconds between redraws


def wanted(
    *, streams: bool, off: bool, stderr: TextIO | None = None, stdout: TextIO | None = None
) -> bool:
    """Whether a descent should show progress: stderr is a terminal, ``--no-progress`` was not
    given, and the output does not stream onto that terminal as it is computed (``streams``: CSV,
    NDJSON or JSON rows written while the descent runs)."""
    err = stderr if stderr is not None else sys.stderr
    out = stdout if stdout is not None else sys.stdout
    if off or not _isatty(err):
        return False
    return not (streams and _isatty(out))


def for_descent(fmt: str, off: bool, runs: int, settings: Sequence[Settings]) -> Progress | None:
    """The bar for ``descend``'s runs, or None where it is not :func:`wanted` (every format but the
    table is written while the runs are computed)."""
    if not wanted(streams=fmt != "table", off=off):
        return None
    return Progress(runs, max(s.steps for s in settings))


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


class Progress:
    """The bar for ``runs`` runs of at most ``steps`` steps each, perhaps computed as several
    Descents one after another: call :meth:`follow` with each before it runs, pass the object as
    its ``on_step``, and :meth:`close` at the end (also after Ctrl-C)."""

    def __init__(self, runs: int, steps: int, *, stream: TextIO | None = None) -> None:
        self.runs = max(1, runs)
        self.steps = max(1, steps)
        self.stream = stream if stream is not None else sys.stderr
        self.began = time.monotonic()
        self.shown = 0.0
        self.descent: Descent | None = None
        self.before = 0  # runs of the Descents already finished
        self.bar: Any = None
        self.task: Any = None

    def follow(self, descent: Descent) -> None:
        """The next Descent to watch (the earlier ones have finished)."""
        if self.descent is not None:
            self.before += len(self.descent.plan)
        self.descent = descent

    def after(self, first: Callable[[int, int], None]) -> Callable[[int, int], None]:
        """An ``on_step`` that calls ``first`` (say, a Ctrl-C check), then this bar."""

        def both(step: int, active: int) -> None:
            first(step, active)
            self(step, active)

        return both

    def __call__(self, step: int, active: int) -> None:
        now = time.monotonic()
        if now - self.shown < EVERY or now - self.began < AFTER:
            return
        self.shown = now
        self._draw(step, active)

    def _draw(self, step: int, active: int) -> None:
        import math

        from gradcli.views.text import decimal

        size = len(self.descent.plan) if self.descent is not None else self.runs
        best, norm = self.descent.progress() if self.descent is not None else (math.nan, math.nan)
        done = self.before + size - active
        if self.runs == 1:
            text = f"step {step:,}/{self.steps:,} · f {decimal(best, 4)} · ‖∇f‖ {decimal(norm, 3)}"
        else:
            text = (
                f"{done:,}/{self.runs:,} runs done · {active:,} running · step {step:,}"
                f" · best f {decimal(best, 4)}"
            )
        # the share done: the finished batches, and this one's steps (its runs move in lockstep)
        fraction = (self.before + size * min(1.0, step / self.steps)) / self.runs
        if self.bar is None:
            self._open()
        self.bar.update(self.task, completed=min(1.0, fraction), text=text)
        self.bar.refresh()

    def _open(self) -> None:
        from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        from gradcli.views.render import make_console

        self.bar = Bar(
            TextColumn("descending"),
            BarColumn(),
            TextColumn("{task.fields[text]}"),
            TimeElapsedColumn(),
            console=make_console(self.stream, stderr=True),
            transient=True,
            auto_refresh=False,  # drawn from the descent's own thread, between steps
        )
        self.task = self.bar.add_task("descend", total=1.0, text="")
        self.bar.start()

    def close(self) -> None:
        """Clear the bar (if it was ever drawn)."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
