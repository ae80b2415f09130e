"""Documents for descent runs: streamed CSV/NDJSON rows, JSON records and the tables people read.

Kept out of the command module so ``gradcli --help`` does not pay for compiling it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from gradcli.optimize.settings import ENDS
from gradcli.views.columns import unique_columns
from gradcli.views.notes import note_text
from gradcli.views.render import Document, Table
from gradcli.views.text import decimal, vector

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.optimize import Descent, DescentRun, Settings, StepRecord

__all__ = ["ENDS", "csv_header", "descent_document", "run_json", "stream_document"]
STEP_TABLES_MAX = 12  # beyond this many runs, per-step tables would bury the summary
NOTES_MAX = 30  # notes shown in a table (all of them are in the JSON)


def csv_header(fn: Function, line_search: bool) -> list[str]:
    """CLI.md's columns, then the accepted Armijo step (with --line-search) and the status, set on
    each run's last row. (Step lengths are in JSON and NDJSON; CSV stays lean for speed.)"""
    names = list(fn.names)
    # a variable called f or lr (or norm: grad_norm) gets var_ before its name (views.columns)
    return unique_columns(
        [
            "run",
            "method",
            "lr",
            "step",
            *(("", n) for n in names),
            "f",
            *(("grad_", n) for n in names),
            "grad_norm",
            *(["line_step"] if line_search else []),
            "status",
        ]
    )


def _csv_rows(descent: Descent, line_search: bool) -> Iterator[tuple[Any, ...]]:
    """Rows render can write as they are (``Document.csv_plain``): every value a Python int,
    str or finite float. Only the last row of a run that diverged can hold inf or nan, so only
    such a row is checked."""
    prefix = [(p.run + 1, p.settings.method, p.settings.lr) for p in descent.plan]
    if line_search:
        for run, step, point, value, gradient, norm, _, line, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, line, status or "")
            yield _finite(row) if status == "diverged" else row
    else:
        for run, step, point, value, gradient, norm, _, _, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, status or "")
            yield _finite(row) if status == "diverged" else row


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
    from gradcli.views.render import Document

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


def run_json(run: DescentRun, names: Sequence[str], *, steps: bool = True) -> dict[str, Any]:
    """One run as in CLI.md's ``descend`` JSON (plus its settings, rule, reason and notes): the one
    JSON shape of a run, for ``descend`` and ``plot``. ``steps=False`` leaves out the recorded
    steps (a figure's JSON describes the runs it drew, not every point of their paths)."""
    s = run.settings
    path, grads = run.path.tolist(), run.gradients.tolist()
    values, norms, sizes = run.values.tolist(), run.norms.tolist(), run.step_sizes.tolist()
    lines = run.line_steps.tolist() if run.line_steps is not None else None
    rows = []
    for k, step in enumerate(run.steps.tolist() if steps else ()):
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
        rows.append(row)
    record = {
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
        "notes": [note_text(note) for note in run.findings],
    }
    if steps:
        record["steps"] = rows
    return record


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
    from gradcli.views.render import Document

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


def _title(run: DescentRun, precision: int) -> str:
    start = vector(run.start.tolist(), precision, bare_scalar=True)
    return (
        f"run {run.number} · {run.settings.describe()} · from {start} · {run.status}: {run.reason}"
    )


def _steps_table(run: DescentRun, precision: int, ends: int | None) -> Table:
    from gradcli.views.render import Table

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
            vector(run.path[k].tolist(), precision, bare_scalar=True),
            decimal(float(run.values[k]), precision),
            vector(run.gradients[k].tolist(), precision, bare_scalar=True),
            decimal(float(run.norms[k]), precision),
            decimal(float(run.step_sizes[k]), precision),
        ]
        if line is not None:
            row.append("" if steps[k] == 0 else decimal(line[k], precision))
        rows.append(row)
    return Table(columns, rows, title=_title(run, precision), gap_after=gap)


def _summary_tables(runs: Sequence[DescentRun], precision: int, width: int | None) -> list[Table]:
    """One row per run: method, lr, start, status, steps, final point, f, ‖∇f‖ and the end point's
    kind. Two digits coarser than the step tables (JSON and CSV keep every digit); split in two
    tables sharing the run column when one would not fit ``width`` characters."""
    from gradcli.views.render import Table

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
                vector(r.start.tolist(), precision, bare_scalar=True),
                r.status,
                f"{r.iterations:,}",
                r.classification or "—",
            ]
        )
        state_rows.append(
            [
                vector(r.path[-1].tolist(), precision, bare_scalar=True),
                decimal(float(r.values[-1]), precision),
                decimal(float(r.norms[-1]), precision),
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
    notes = [
        f"run {r.number} ({r.method}, lr {r.lr:g}): {note_text(note)}"
        for r in runs
        for note in r.findings
    ]
    if len(notes) > NOTES_MAX:
        hidden = len(notes) - NOTES_MAX
        notes = [*notes[:NOTES_MAX], f"… and {hidden} more notes (all are in --format json)"]
    if len(runs) > STEP_TABLES_MAX and not any(len(r.steps) <= 1 for r in runs):
        notes.append(
            f"per-step tables are shown for up to {STEP_TABLES_MAX} runs; "
            "--format csv or json has every step"
        )
    return notes
