"""``gradcli descend``: gradient descent (or ascent) runs, step by step, compared side by side.

The command validates its options, runs :mod:`gradcli.optimize` and turns the runs into one
:class:`~gradcli.render.Document`. ``--format csv``/``ndjson`` stream: each row is written as the
step is computed, so ``| head`` stops the work early. Tables and JSON are built once the runs end
(with a progress bar on a terminal); Ctrl-C still shows what ran, then exits 130.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gradcli.app import (
    ExprArg,
    FormatOpt,
    LetOpt,
    PrecisionOpt,
    VarsOpt,
    app,
    emit,
    load_function,
    load_points,
    stdin_users,
)
from gradcli.commands.descent_options import (
    ALPHA,
    BETA1,
    BETA2,
    MOMENTUM,
    STEPS,
    TOL,
    AlphaOpt,
    AscentOpt,
    Beta1Opt,
    Beta2Opt,
    EpsOpt,
    FromOpt,
    LineSearchOpt,
    LrOpt,
    MethodOpt,
    MomentumOpt,
    StepsOpt,
    TolOpt,
    descent_settings,
)
from gradcli.errors import ExitCode, GradcliError, UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.optimize import Descent, DescentRun, Settings, StepRecord
    from gradcli.optimize.engine import Keep
    from gradcli.render import Document, Table

FORMATS = ("table", "json", "ndjson", "csv")
ENDS = 5  # a long run's table shows its first and last ENDS steps
STEP_TABLES_MAX = 12  # beyond this many runs, per-step tables would bury the summary
NOTES_MAX = 30  # notes shown in a table (all of them are in the JSON)
PROGRESS_AFTER = 0.5  # seconds before a progress bar appears (short runs never flash one)


class NotConverged(GradcliError):
    """``--strict`` and some run did not converge (exit 3)."""

    exit_code = ExitCode.NOT_CONVERGED


@app.command()
def descend(
    expr: ExprArg,
    starts: FromOpt = None,
    method: MethodOpt = None,
    lr: LrOpt = None,
    momentum: MomentumOpt = MOMENTUM,
    alpha: AlphaOpt = ALPHA,
    beta1: Beta1Opt = BETA1,
    beta2: Beta2Opt = BETA2,
    eps: EpsOpt = None,
    line_search: LineSearchOpt = False,
    ascent: AscentOpt = False,
    steps: StepsOpt = STEPS,
    tol: TolOpt = TOL,
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
) -> None:
    """Gradient descent: step against the gradient, x ← x − lr·∇f(x), and watch the learning rate
    decide between crawling, converging and overshooting. --from, --lr and --method repeat; the runs
    are their product, computed together. Optimizers follow torch.optim's update rules and defaults
    (gd, momentum, nesterov, adagrad, rmsprop, adam). A run stops as converged (‖∇f‖ ≤ --tol),
    max_steps or diverged; exit 0 either way (3 with --strict unless all converged).

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
    """
    from gradcli.render import check_format

    fmt = fmt.lower()
    check_format(fmt, FORMATS, "descend")
    _check_view(every, all_steps, summary)
    stdin_users(expr, starts)
    if not starts:
        raise UsageError(
            "descend needs a start", hint="e.g. --from 3,1 (repeatable; '-' reads stdin)"
        )
    settings = descent_settings(
        method=method,
        lr=lr,
        momentum=momentum,
        alpha=alpha,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        line_search=line_search,
        ascent=ascent,
        steps=steps,
        tol=tol,
    )
    fn = load_function(expr, vars, let)
    if plot is not None:
        _check_plot(plot, fn)
    points = load_points(starts, fn, option="--from")

    from gradcli.numeric import compile_function
    from gradcli.optimize import Descent

    compiled = compile_function(fn)
    streaming = fmt in ("csv", "ndjson")
    keep: Keep = "recorded" if (plot or fmt == "json" or every or all_steps) else "ends"
    progress = None if streaming or not sys.stderr.isatty() else _Progress(settings)
    descent = Descent(
        compiled,
        [p.values for p in points],
        settings,
        record_every=every or 1,
        summary_only=summary,
        keep="final" if streaming and not plot else keep,  # a stream keeps nothing it wrote
        notes=not streaming,
        step_sizes=fmt != "csv",  # CSV has no step-length column
        on_step=progress,
    )
    if streaming:
        emit(stream_document(fn, descent, fmt), fmt, "descend")
        if strict:
            _check_strict_statuses(descent)
        if plot is not None:
            _draw(fn, descent.runs(annotate=False), plot)
        return
    else:
        interrupted = False
        try:
            descent.drain()
        except KeyboardInterrupt:
            interrupted = True  # show what ran, then let the funnel exit 130
        finally:
            if progress is not None:
                progress.close()
        runs = descent.runs()
        if plot is not None and not interrupted:
            _draw(fn, runs, plot)
        view = None if (every or all_steps) else ENDS
        doc = descent_document(fn, runs, precision, ends=view, plot=plot, width=_width(fmt))
        emit(doc, fmt, "descend")
        if interrupted:
            raise KeyboardInterrupt
    if strict:
        _check_strict(runs)


def _width(fmt: str) -> int | None:
    """The width the table will be rendered at (as render's console sees stdout)."""
    if fmt != "table":
        return None
    from gradcli.render import make_console

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

            from gradcli.render import make_console

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
def csv_header(fn: Function, line_search: bool) -> list[str]:
    """CLI.md's columns, then the accepted Armijo step (with --line-search) and the status, set on
    each run's last row. (Step lengths are in JSON and NDJSON; CSV stays lean for speed.)"""
    names = list(fn.names)
    return [
        "run",
        "method",
        "lr",
        "step",
        *names,
        "f",
        *(f"grad_{n}" for n in names),
        "grad_norm",
        *(["line_step"] if line_search else []),
        "status",
    ]


def _csv_rows(descent: Descent, line_search: bool) -> Iterator[tuple[Any, ...]]:
    """Rows render can write as they are (``Document.csv_plain``): every value a Python int,
    str or finite float. Only a run's last row (the one with a status) can hold inf or nan, when
    it diverged, so only that row is checked."""
    prefix = [(p.run + 1, p.settings.method, p.settings.lr) for p in descent.plan]
    if line_search:
        for run, step, point, value, gradient, norm, _, line, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, line, status or "")
            yield _finite(row) if status else row
    else:
        for run, step, point, value, gradient, norm, _, _, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, status or "")
            yield _finite(row) if status else row


def _finite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(None if isinstance(v, float) and not math.isfinite(v) else v for v in row)


def _ndjson_records(descent: Descent, names: Sequence[str]) -> Iterator[dict[str, Any]]:
    identity = [
        {"run": p.run + 1, "method": p.settings.method, "lr": p.settings.lr} for p in descent.plan
    ]
    for r in descent:
        yield _step_json(r, names, identity[r.run])


def _step_json(r: StepRecord, names: Sequence[str], identity: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        **identity,
        "step": r.step,
        "point": dict(zip(names, r.point)),
        "value": r.value,
        "gradient": list(r.gradient),
        "norm": r.norm,
        "step_size": r.step_size,
    }
    if r.line_step is not None:
        record["line_step"] = r.line_step
    if r.status is not None:
        record.update(status=r.status, reason=r.reason, iterations=r.step)
    return record


def stream_document(fn: Function, descent: Descent, fmt: str) -> Document:
    """A Document whose NDJSON records or CSV rows are computed as they are written."""
    from gradcli.render import Document

    line_search = any(p.settings.line_search for p in descent.plan)
    header = {"function": fn.understood, "variables": list(fn.names)}
    if fmt == "ndjson":
        return Document(record=header, stream=_ndjson_records(descent, fn.names))
    return Document(
        record=header,
        csv_header=csv_header(fn, line_search),
        csv_rows=_csv_rows(descent, line_search),
        csv_plain=True,
    )


# --- tables and JSON ------------------------------------------------------------------------------
def _point(names: Sequence[str], values: Sequence[float]) -> dict[str, float]:
    return dict(zip(names, values))


def run_json(run: DescentRun, names: Sequence[str]) -> dict[str, Any]:
    """One run as in CLI.md's ``descend`` JSON (plus its settings, rule, reason and notes)."""
    s = run.settings
    path, grads = run.path.tolist(), run.gradients.tolist()
    values, norms, sizes = run.values.tolist(), run.norms.tolist(), run.step_sizes.tolist()
    lines = run.line_steps.tolist() if run.line_steps is not None else None
    steps = []
    for k, step in enumerate(run.steps.tolist()):
        row: dict[str, Any] = {
            "step": step,
            "point": _point(names, path[k]),
            "value": values[k],
            "gradient": grads[k],
            "norm": norms[k],
            "step_size": sizes[k],
        }
        if lines is not None:
            row["line_step"] = None if step == 0 else lines[k]
        steps.append(row)
    return {
        "run": run.number,
        "method": s.method,
        "lr": s.lr,
        "hyperparameters": s.hyperparameters(),
        "rule": s.rule(),
        "ascent": s.ascent,
        "line_search": s.line_search,
        "max_steps": s.steps,
        "tol": s.tol,
        "start": _point(names, run.start.tolist()),
        "status": run.status,
        "reason": run.reason,
        "iterations": run.iterations,
        "final": {
            "point": _point(names, path[-1]),
            "value": values[-1],
            "gradient": grads[-1],
            "norm": norms[-1],
        },
        "classification": run.classification,
        "eigenvalues": None if run.eigenvalues is None else run.eigenvalues.tolist(),
        "notes": run.notes,
        "steps": steps,
    }


def descent_document(
    fn: Function,
    runs: Sequence[DescentRun],
    precision: int = 6,
    *,
    ends: int | None = ENDS,
    plot: str | None = None,
    width: int | None = None,
) -> Document:
    """The table and JSON view of finished runs. ``ends``: rows shown at each end of a long run
    (None: all recorded); ``width``: the console's, to lay the summary out (None: unlimited)."""
    from gradcli.render import Document

    names = fn.names
    record = {
        "function": fn.understood,
        "variables": list(names),
        "runs": [run_json(r, names) for r in runs],
    }
    tables = []
    if len(runs) <= STEP_TABLES_MAX:
        tables = [_steps_table(r, precision, ends) for r in runs if len(r.steps) > 1]
    tables.extend(_summary_tables(runs, precision, width))
    notes = _notes(runs)
    if plot is not None:
        record["plot"] = plot
        notes.append(f"figure written to {plot}")
    return Document(record=record, fields=_fields(fn, runs), tables=tables, notes=notes)


def _fields(fn: Function, runs: Sequence[DescentRun]) -> list[tuple[str, str]]:
    fields = [("function", str(fn)), ("variables", ", ".join(fn.names))]
    # one line per method: its rule and the hyperparameters its runs share (lr is per run)
    by_method: dict[str, list[Settings]] = {}
    for r in runs:
        by_method.setdefault(r.settings.name, []).append(r.settings)
    for name, group in by_method.items():
        s = group[0]
        rates = ", ".join(f"{v:g}" for v in dict.fromkeys(g.lr for g in group))
        params = [f"lr = {rates}"]
        params += [f"{k} = {v:g}" for k, v in s.hyperparameters().items() if k != "lr"]
        fields.append((name, f"{s.rule()}   [{', '.join(params)}]"))
    s = runs[0].settings
    stop = f"‖∇f‖ ≤ {s.tol:g}" if s.tol > 0 else "never early (tol 0)"
    fields.append(
        ("stopping", f"converged when {stop}; at most {s.steps:,} steps; diverged past 1e150")
    )
    return fields


def _num(value: float, precision: int) -> str:
    from gradcli.pretty import decimal

    return decimal(value, precision)


def _vec(values: Sequence[float], precision: int) -> str:
    from gradcli.pretty import decimal

    if len(values) == 1:
        return decimal(values[0], precision)
    return "(" + ", ".join(decimal(v, precision) for v in values) + ")"


def _title(run: DescentRun, precision: int) -> str:
    start = _vec(run.start.tolist(), precision)
    return (
        f"run {run.number} · {run.settings.describe()} · from {start} · {run.status}: {run.reason}"
    )


def _steps_table(run: DescentRun, precision: int, ends: int | None) -> Table:
    from gradcli.render import Table

    count = len(run.steps)
    rows_at = list(range(count))
    if ends is not None and count > 2 * ends:
        rows_at = [*range(ends), *range(count - ends, count)]
    gap = None
    steps = run.steps.tolist()
    for i in range(len(rows_at) - 1):
        if ends is not None and steps[rows_at[i + 1]] - steps[rows_at[i]] > 1:
            gap = i
            break
    line = run.line_steps.tolist() if run.line_steps is not None else None
    columns = ["step", "x" if len(run.start) == 1 else "point", "f", "∇f", "‖∇f‖", "step length"]
    if line is not None:
        columns.append("accepted a")
    rows = []
    for k in rows_at:
        row = [
            f"{steps[k]:,}",
            _vec(run.path[k].tolist(), precision),
            _num(float(run.values[k]), precision),
            _vec(run.gradients[k].tolist(), precision),
            _num(float(run.norms[k]), precision),
            _num(float(run.step_sizes[k]), precision),
        ]
        if line is not None:
            row.append("" if steps[k] == 0 else _num(line[k], precision))
        rows.append(row)
    return Table(columns, rows, title=_title(run, precision), gap_after=gap)


def _summary_tables(runs: Sequence[DescentRun], precision: int, width: int | None) -> list[Table]:
    """One row per run: method, lr, start, status, steps, final point, f, ‖∇f‖ and the end point's
    kind. Two digits coarser than the step tables (JSON and CSV keep every digit); split in two
    tables sharing the run column when one would not fit ``width`` characters."""
    from gradcli.render import Table

    precision = max(3, precision - 2)
    ident = ["run", "method", "lr", "start", "status", "steps", "end point"]
    state = ["final point", "f", "‖∇f‖"]
    ident_rows, state_rows = [], []
    for r in runs:
        ident_rows.append(
            [
                str(r.number),
                r.settings.name,
                f"{r.lr:g}",
                _vec(r.start.tolist(), precision),
                r.status,
                f"{r.iterations:,}",
                r.classification or "—",
            ]
        )
        state_rows.append(
            [
                _vec(r.path[-1].tolist(), precision),
                _num(float(r.values[-1]), precision),
                _num(float(r.norms[-1]), precision),
            ]
        )
    columns = [*ident[:6], *state, ident[6]]
    rows = [[*a[:6], *b, a[6]] for a, b in zip(ident_rows, state_rows)]
    if width is None or _table_width(columns, rows) <= width:
        return [Table(columns, rows, title="summary")]
    return [
        Table(ident, ident_rows, title="summary"),
        Table(
            ["run", *state],
            [[a[0], *b] for a, b in zip(ident_rows, state_rows)],
            title="final states",
        ),
    ]


def _table_width(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """The width of a rendered table: each column as wide as its widest cell, three between."""
    widest = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    return sum(widest) + 3 * (len(columns) - 1)


def _notes(runs: Sequence[DescentRun]) -> list[str]:
    notes = [f"run {r.number} ({r.method}, lr {r.lr:g}): {note}" for r in runs for note in r.notes]
    if len(notes) > NOTES_MAX:
        hidden = len(notes) - NOTES_MAX
        notes = [*notes[:NOTES_MAX], f"… and {hidden} more notes (all are in --format json)"]
    if len(runs) > STEP_TABLES_MAX and not any(len(r.steps) <= 1 for r in runs):
        notes.append(
            f"per-step tables are shown for up to {STEP_TABLES_MAX} runs; "
            "--format csv or json has every step"
        )
    return notes
