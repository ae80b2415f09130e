"""``gradcli descend``'s run-ordered output (JSON, tables, ``--summary``): the runs computed a
batch at a time and written or summarised as they finish, so memory stays flat; Ctrl-C between
steps, never mid-write; what --strict needs tallied on the way.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gradcli.cli.inputs import emit
from gradcli.errors import NotConverged

if TYPE_CHECKING:
    import numpy as np

    from gradcli.cli.progress import Progress
    from gradcli.function import Function
    from gradcli.numeric import Compiled
    from gradcli.optimize import Descent, DescentRun, Settings
    from gradcli.optimize.projection import Projection
    from gradcli.optimize.starts import Generated
    from gradcli.views.render import Document


def batched(
    fn: Function,
    compiled: Compiled,
    points: np.ndarray[Any, Any],
    settings: list[Settings],
    fmt: str,
    every: int | None,
    all_steps: bool,
    summary: bool,
    strict: bool,
    precision: int,
    progress: Progress | None = None,
    drawn: Generated | None = None,
    projection: Projection | None = None,
) -> None:
    """JSON, tables and --summary: runs in run order, computed a batch at a time (see
    :func:`gradcli.optimize.engine.batches`) and written or summarised as they finish, so memory
    stays flat whether there is one run of 300,000 steps or 1,000,000 starts. A run too long to
    hold (JSON) is written step by step as it is computed."""
    from gradcli.optimize.engine import ROW_BUDGET, batches, check_starts
    from gradcli.optimize.settings import ENDS

    check_starts(compiled, points)  # every start, before any output
    count = len(settings)
    longest = max(s.steps for s in settings)
    if summary:
        rows, keep = 1, "final"
    elif fmt == "json" or every or all_steps:
        rows, keep = longest // (every or 1) + 2, "recorded"
    else:
        rows, keep = 2 * ENDS + 1, "ends"
    live = fmt == "json" and not summary and rows * count > ROW_BUDGET
    tally = _Tally()
    options: dict[str, Any] = {
        "record_every": every or 1,
        "summary_only": summary,
        "keep": keep,
        "notes": fmt in ("table", "json"),
        "step_sizes": fmt != "csv",
        "on_step": progress,
        "checked": True,
        "projection": projection,
    }

    def descents() -> Iterator[tuple[Descent, bool]]:
        """The Descents in run order, each tallied once its consumer has finished with it."""
        from gradcli.optimize import Descent

        if live:  # one run at a time, each streamed as it is computed
            for i in range(len(points)):
                for j, s in enumerate(settings):
                    one = Descent(
                        compiled, points[i : i + 1], [s], **{**options, "keep": "final"},
                        offset=i * count + j,
                    )  # fmt: skip
                    if progress is not None:
                        progress.follow(one)
                    yield one, True
                    if tally.add(one):
                        return
            return
        for first, stop in batches(len(points), count, rows, budget=ROW_BUDGET):
            part = Descent(compiled, points[first:stop], settings, **options, offset=first * count)
            if progress is not None:
                progress.follow(part)
            yield part, False
            if tally.add(part):
                return

    try:
        if fmt == "json":
            from gradcli.views.descent_json import json_document

            with _Deferred() as ctrl_c:  # Ctrl-C acts between steps, never mid-write
                if not live:
                    options["on_step"] = (
                        ctrl_c.check if progress is None else progress.after(ctrl_c.check)
                    )
                doc = json_document(fn, descents(), interrupted=ctrl_c.noted)
                emit(constrained(doc, projection, fn), fmt, "descend")
            tally.interrupted |= ctrl_c.hit
        elif fmt in ("csv", "ndjson"):
            from gradcli.views.descent_stream import compared_knobs, stream_document

            line_search = any(s.line_search for s in settings)
            scheduled = any(s.schedule is not None for s in settings)
            parts = (d for d, _ in descents())
            doc = stream_document(
                fn,
                parts,
                fmt,
                line_search=line_search,
                summary=summary,
                scheduled=scheduled,
                compared=compared_knobs(settings),
            )
            emit(doc, fmt, "descend")
        else:
            from gradcli.views.descent import descent_document

            view = None if (every or all_steps) else ENDS
            doc = descent_document(
                fn, _finished(descents(), tally), precision, ends=view, width=table_width(fmt)
            )
            from gradcli.cli.starts import add_starts_field

            add_starts_field(doc, drawn)
            emit(constrained(doc, projection, fn), fmt, "descend")
    finally:
        if progress is not None:
            progress.close()
    if tally.interrupted:
        raise KeyboardInterrupt
    if strict:
        tally.check()


def constrained(doc: Document, projection: Projection | None, fn: Function) -> Document:
    """The document with the set the runs were projected onto: a heading line, a JSON key."""
    if projection is None:
        return doc
    from gradcli.views.projection import add_projection

    return add_projection(doc, projection, fn.names)


def _finished(descents: Iterator[tuple[Descent, bool]], tally: _Tally) -> Iterator[DescentRun]:
    """Each batch run to the end (Ctrl-C: what ran, marked interrupted), then its runs."""
    for descent, _ in descents:
        # Ctrl-C: its runs say interrupted, and the tally stops the batches
        with contextlib.suppress(KeyboardInterrupt):
            descent.drain()
        yield from descent.runs()


class _Deferred:
    """While JSON streams, Ctrl-C is noted instead of raised wherever it strikes (between a piece
    and its write, the document would lose it); the descent checks between steps and stops there,
    and the document is closed before the command exits 130."""

    def __init__(self) -> None:
        self.hit = False
        self.previous: Any = None
        self.installed = False

    def __enter__(self) -> _Deferred:
        import signal

        try:
            self.previous = signal.signal(signal.SIGINT, self._note)
            self.installed = True
        except ValueError:  # not the main thread: Ctrl-C is not ours to handle
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.installed:
            signal.signal(signal.SIGINT, self.previous)

    def _note(self, signum: int, frame: Any) -> None:
        self.hit = True

    def noted(self) -> bool:
        return self.hit

    def check(self, step: int, active: int) -> None:
        """A Descent's ``on_step``: stop it here if Ctrl-C was pressed."""
        if self.hit:
            raise KeyboardInterrupt


class _Tally:
    """How the runs of a batched descent ended: for --strict, and to stop after Ctrl-C."""

    def __init__(self) -> None:
        self.runs = 0
        self.failed = 0
        self.first: tuple[int, str, str] | None = None  # run number, status, reason
        self.interrupted = False

    def add(self, descent: Descent) -> bool:
        """Count a finished Descent's runs; True if it was interrupted (then stop)."""
        for k, status in enumerate(descent.statuses()):
            self.runs += 1
            if status != "converged":
                self.failed += 1
                if self.first is None:
                    self.first = (descent.offset + k + 1, status, descent.final(k).reason)
            if status == "interrupted":
                self.interrupted = True
        return self.interrupted

    def check(self) -> None:
        if self.first is not None:
            number, status, reason = self.first
            raise NotConverged(
                f"{self.failed} of {self.runs} run{'s' if self.runs != 1 else ''} did not "
                f"converge (run {number}: {status}, {reason})"
            )


def table_width(fmt: str) -> int | None:
    """The width the table will be rendered at (as render's console sees stdout)."""
    if fmt != "table":
        return None
    from gradcli.views.render import make_console

    return int(make_console(sys.stdout).width)
