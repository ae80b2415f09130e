"""``gradcli descend``: gradient descent (or ascent) runs, step by step, compared side by side.

The command validates its options, runs :mod:`gradcli.optimize` and turns the runs into one
:class:`~gradcli.views.render.Document`. ``--format csv``/``ndjson`` stream: each row is written as the
step is computed, so ``| head`` stops the work early. Tables and JSON are built once the runs end
(with a progress bar on a terminal); Ctrl-C still shows what ran, then exits 130.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gradcli.cli.app import app
from gradcli.cli.inputs import emit, load_function, stdin_users
from gradcli.cli.options import (
    DESCENT,
    DescentArgs,
    ExprArg,
    FormatOpt,
    FromOpt,
    LetOpt,
    PrecisionOpt,
    VarsOpt,
    descent_options,
)
from gradcli.errors import NotConverged, UsageError

if TYPE_CHECKING:
    import numpy as np

    from gradcli.function import Function
    from gradcli.numeric import Compiled
    from gradcli.optimize import Descent, DescentRun, Settings
    from gradcli.optimize.lane import Keep

FORMATS = ("table", "json", "ndjson", "csv")
PROGRESS_AFTER = 0.5  # seconds before a progress bar appears (short runs never flash one)


@app.command()
@descent_options
def descend(
    expr: ExprArg,
    starts: FromOpt = None,
    descent: DescentArgs = DESCENT,
    every: Annotated[
        int | None,
        typer.Option(
            "--every",
            metavar="K",
            help="Record every K-th step (and each run's last).",
            show_default=False,
        ),
    ] = None,
    all_steps: Annotated[
        bool,
        typer.Option("--all", help="Table: every step (default: the first and last few)."),
    ] = False,
    summary: Annotated[
        bool, typer.Option("--summary", help="Record only each run's final state.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 3 if any run did not converge.")
    ] = False,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            metavar="FILE",
            help="Also draw the runs over the contours: .png, .svg, .pdf (.gif animates).",
            show_default=False,
        ),
    ] = None,
    vars: VarsOpt = None,
    let: LetOpt = None,
    fmt: FormatOpt = "table",
    precision: PrecisionOpt = 6,
    curve: Annotated[
        bool,
        typer.Option(
            "--curve",
            help="After the table, draw f and ‖∇f‖ per step (in the terminal; plain text on a pipe).",
        ),
    ] = False,
) -> None:
    """Gradient descent: step against the gradient, x ← x − lr·∇f(x), and watch the learning rate
    decide between crawling, converging and overshooting. --from, --lr and --method repeat; the runs
    are their product, computed together. Optimizers follow torch.optim's update rules and defaults
    (gd, momentum, nesterov, adagrad, rmsprop, adam, adamw), and so do the training-loop knobs:
    --schedule (torch.optim.lr_scheduler), --weight-decay, --clip-norm/--clip-value and --noise
    with --seed. A run stops as converged (‖∇f‖ ≤ --tol), max_steps or diverged; exit 0 either way
    (3 with --strict unless all converged).

    Examples:

    \b
      gradcli descend "x**2+y**2" --from 3,1
      gradcli descend "x**2+10*y**2" --from 1,1 --lr 0.01 --lr 0.05 --lr 0.11
      gradcli descend "(1-x)**2+100*(y-x**2)**2" --from -1.2,1 --method adam --lr 0.02 --steps 5000
      gradcli descend "x**2+y**2" --from 3,1 --method momentum --method adam --summary
      printf '0,0\\n-1,1\\n' | gradcli descend "(x**2+y-11)**2+(x+y**2-7)**2" --from - --summary --format csv
      gradcli descend "x**2" --from 1 --lr 1.5
      gradcli descend "x**2+y**2" --from 3,1 --method nesterov --lr 0.05 --strict
      gradcli descend "x**2+y**2" --from 3,1 --plot path.png
      gradcli descend "cosh(x)+cosh(y)" --from 6,4 --lr 0.5 --clip-norm 1 --summary
      gradcli descend "x**2+10*y**2" --from 1,1 --method adam --schedule warmup:10,cosine:190 --steps 200
    """
    from gradcli.views.render import check_format

    fmt = fmt.lower()
    check_format(fmt, FORMATS, "descend")
    _check_view(every, all_steps, summary)
    stdin_users(expr, starts)
    if not starts:
        raise UsageError(
            "descend needs a start", hint="e.g. --from 3,1 (repeatable; '-' reads stdin)"
        )
    settings = descent.settings()
    fn = load_function(expr, vars, let)
    if plot is not None:
        _check_plot(plot, fn)
    from gradcli.cli.starts import load_starts

    points = load_starts(starts, fn, option="--from")
    if len(points) == 0:
        raise UsageError("descend needs at least one start and one setting")

    from gradcli.numeric import compile_function

    compiled = compile_function(fn)
    streaming = fmt in ("csv", "ndjson")
    if curve and fmt != "table":  # machine formats stay clean: a note, no picture
        from gradcli.cli.terminal import show_curves

        show_curves([], fmt)
        curve = False
    if plot is None and not curve and not (streaming and not summary):
        # run-ordered output (JSON, tables, --summary): computed in batches, in bounded memory
        _batched(fn, compiled, points, settings, fmt, every, all_steps, summary, strict, precision)
        return
    from gradcli.optimize import Descent

    keep: Keep = "recorded" if (plot or curve or fmt == "json" or every or all_steps) else "ends"
    progress = None if streaming or not sys.stderr.isatty() else _Progress(settings)
    running = Descent(
        compiled,
        points,
        settings,
        record_every=every or 1,
        summary_only=summary,
        keep="final" if streaming and not plot else keep,  # a stream keeps nothing it wrote
        notes=not streaming,
        step_sizes=fmt != "csv",  # CSV has no step-length column
        on_step=progress,
    )
    if streaming:
        from gradcli.views.descent import stream_document

        emit(stream_document(fn, running, fmt), fmt, "descend")
        if strict:
            _check_strict_statuses(running)
        if plot is not None:
            _draw(fn, running.runs(annotate=False), plot)
        return
    interrupted = False
    try:
        running.drain()
    except KeyboardInterrupt:
        interrupted = True  # show what ran, then let the funnel exit 130
    finally:
        if progress is not None:
            progress.close()
    runs = running.runs()
    if plot is not None and not interrupted:
        _draw(fn, runs, plot)
    from gradcli.views.descent import ENDS, descent_document

    view = None if (every or all_steps) else ENDS
    doc = descent_document(fn, runs, precision, ends=view, plot=plot, width=_width(fmt))
    emit(doc, fmt, "descend")
    if curve and not interrupted:
        from gradcli.cli.terminal import show_curves

        show_curves(runs, fmt)
    if interrupted:
        raise KeyboardInterrupt
    if strict:
        _check_strict(runs)


def _batched(
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
    progress = None if fmt != "table" or not sys.stderr.isatty() else _Progress(settings)
    options: dict[str, Any] = {
        "record_every": every or 1,
        "summary_only": summary,
        "keep": keep,
        "notes": fmt in ("table", "json"),
        "step_sizes": fmt != "csv",
        "on_step": progress,
        "checked": True,
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
                    yield one, True
                    if tally.add(one):
                        return
            return
        for first, stop in batches(len(points), count, rows, budget=ROW_BUDGET):
            part = Descent(compiled, points[first:stop], settings, **options, offset=first * count)
            yield part, False
            if tally.add(part):
                return

    try:
        if fmt == "json":
            from gradcli.views.descent_json import json_document

            with _Deferred() as ctrl_c:  # Ctrl-C acts between steps, never mid-write
                if not live:
                    options["on_step"] = ctrl_c.check
                doc = json_document(fn, descents(), interrupted=ctrl_c.noted)
                emit(doc, fmt, "descend")
            tally.interrupted |= ctrl_c.hit
        elif fmt in ("csv", "ndjson"):
            from gradcli.views.descent import stream_document

            line_search = any(s.line_search for s in settings)
            scheduled = any(s.schedule is not None for s in settings)
            parts = (d for d, _ in descents())
            document = stream_document(fn, parts, fmt, line_search=line_search, scheduled=scheduled)
            emit(document, fmt, "descend")
        else:
            from gradcli.views.descent import descent_document

            view = None if (every or all_steps) else ENDS
            doc = descent_document(
                fn, _finished(descents(), tally), precision, ends=view, width=_width(fmt)
            )
            emit(doc, fmt, "descend")
    finally:
        if progress is not None:
            progress.close()
    if tally.interrupted:
        raise KeyboardInterrupt
    if strict:
        tally.check()


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


def _width(fmt: str) -> int | None:
    """The width the table will be rendered at (as render's console sees stdout)."""
    if fmt != "table":
        return None
    from gradcli.views.render import make_console

    return int(make_console(sys.stdout).width)


# --- checks -------------------------------------------------------------------------------------
def _check_view(every: int | None, all_steps: bool, summary: bool) -> None:
    if every is not None and every < 1:
        raise UsageError(f"--every must be a whole number ≥ 1, got {every}")
    chosen = [name for name, on in (("--every", every), ("--all", all_steps)) if on]
    if summary and chosen:
        raise UsageError(f"--summary records final states only; it cannot go with {chosen[0]}")
    if len(chosen) == 2:
        raise UsageError("--all shows every step; it cannot go with --every")


def _check_plot(path: str, fn: Function) -> None:
    from gradcli import plotting

    if len(fn.names) > 2:
        raise UsageError(
            "--plot draws functions of one or two variables",
            hint="use gradcli plot --slice to draw a cut of a function of more",
        )
    plotting.figure_format(path, path.lower().endswith(".gif"))
    plotting.check_writable(path)


def _draw(fn: Function, runs: Sequence[DescentRun], path: str) -> None:
    from gradcli import plotting

    plotting.descent_figure(fn, runs, path, animate=path.lower().endswith(".gif"))


def _check_strict(runs: Sequence[DescentRun]) -> None:
    failed = [r for r in runs if r.status != "converged"]
    if failed:
        first = failed[0]
        raise NotConverged(
            f"{len(failed)} of {len(runs)} run{'s' if len(runs) != 1 else ''} did not converge "
            f"(run {first.number}: {first.status}, {first.reason})"
        )


def _check_strict_statuses(descent: Descent) -> None:
    """--strict after a stream: the statuses are enough (no DescentRun objects needed)."""
    statuses = descent.statuses()
    failed = [k for k, status in enumerate(statuses) if status != "converged"]
    if failed:
        final = descent.final(failed[0])
        raise NotConverged(
            f"{len(failed)} of {len(statuses)} run{'s' if len(statuses) != 1 else ''} did not "
            f"converge (run {failed[0] + 1}: {final.status}, {final.reason})"
        )


class _Progress:
    """A progress bar on stderr (only built on a terminal), shown once a descent takes a while."""

    def __init__(self, settings: Sequence[Settings]) -> None:
        self.total = max(s.steps for s in settings)
        self.began = time.monotonic()
        self.shown = 0.0
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, step: int, active: int) -> None:
        now = time.monotonic()
        if now - self.shown < 0.1 or now - self.began < PROGRESS_AFTER:
            return
        self.shown = now
        if self.bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            from gradcli.views.render import make_console

            self.bar = Progress(
                TextColumn("descending"),
                BarColumn(),
                TextColumn(
                    "step {task.completed:,}/{task.total:,} · {task.fields[active]} running"
                ),
                TimeRemainingColumn(),
                console=make_console(sys.stderr, stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("descend", total=self.total, active=active)
        self.bar.update(self.task, completed=step, active=active)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# --- machine formats, streamed --------------------------------------------------------------------
