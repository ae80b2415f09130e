"""Documents for descent runs: streamed CSV/NDJSON rows, JSON records and the tables people read.

Kept out of the command module so ``gradcli --help`` does not pay for compiling it.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

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
TABLE_RUNS_MAX = 100  # the summary lists up to this many runs ...
TABLE_ENDS = 10  # ... and beyond, the first and last this many, and counts the statuses


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


def _csv_rows(descents: Iterable[Descent], line_search: bool) -> Iterator[tuple[Any, ...]]:
    """Rows render can write as they are (``Document.csv_plain``): every value a Python int,
    str or finite float. Only the last row of a run that diverged can hold inf or nan, so only
    such a row is checked."""
    for descent in descents:
        yield from _csv_rows_of(descent, line_search)


def _csv_rows_of(descent: Descent, line_search: bool) -> Iterator[tuple[Any, ...]]:
    first = descent.offset + 1  # runs are numbered across batches
    prefix = [(first + p.run, p.settings.method, p.settings.lr) for p in descent.plan]
    if line_search:
        for run, step, point, value, gradient, norm, _, line, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, line, status or "")
            yield _finite(row) if status == "diverged" else row
    else:
        for run, step, point, value, gradient, norm, _, _, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, status or "")
            yield _finite(row) if status == "diverged" else row


# Rows go out in pieces of at most this many, and at least every PIECE_SECONDS while a slow
# descent computes them (a person watching a terminal still sees each row soon after its step).
PIECE_ROWS = 512
PIECE_SECONDS = 0.1


def _csv_text(descents: Iterable[Descent]) -> Iterator[str]:
    """The rows of :func:`_csv_rows` (without line search) as text, exactly as ``csv`` writes
    them — it writes an int with str, a float with repr and a plain word as it is, which is what
    ``%d``, ``%r`` and ``%s`` do — in pieces of many rows: on a long descent, formatting is most
    of the time, and one ``write`` per row through the watched stdout a tenth more."""
    pending: list[str] = []
    clock = time.monotonic
    last = clock()
    try:
        for descent in descents:
            n = descent.n
            first = descent.offset + 1
            template = "%s%d" + ",%r" * (2 * n + 2) + ",%s\n"
            prefixes = [_csv_prefix(first + p.run, p.settings) for p in descent.plan]
            for run, step, point, value, gradient, norm, _, _, status, _ in descent:
                prefix = prefixes[run]
                if status == "diverged" or prefix is None:  # may hold inf or nan: as csv has it
                    s = descent.plan[run].settings
                    row = (first + run, s.method, s.lr, step, *point, value, *gradient, norm)
                    pending.append(_csv_line(_finite((*row, status or ""))))
                else:
                    pending.append(
                        template % (prefix, step, *point, value, *gradient, norm, status or "")
                    )
                if len(pending) >= PIECE_ROWS or clock() - last > PIECE_SECONDS:
                    yield "".join(pending)
                    pending.clear()
                    last = clock()
    except GeneratorExit:
        raise
    except BaseException:
        # Ctrl-C or a signal mid-descent: the rows computed so far are written first, as they
        # were when each went to csv at once; then the interruption goes on.
        if pending:
            text = "".join(pending)
            pending.clear()
            yield text
        raise
    if pending:
        yield "".join(pending)


def _csv_prefix(run: int, settings: Settings) -> str | None:
    """``run,method,lr,`` as csv writes them, or None where csv might quote or write otherwise."""
    lr, method = settings.lr, settings.method
    if type(lr) not in (int, float) or not method.isidentifier():
        return None
    return f"{run},{method},{lr!r},"


def _csv_line(row: Sequence[Any]) -> str:
    """One row as csv writes it (the rare row :func:`_csv_text` does not format itself)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row)
    return out.getvalue()


def _finite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(None if isinstance(v, float) and not math.isfinite(v) else v for v in row)


def _ndjson_records(descents: Iterable[Descent], names: Sequence[str]) -> Iterator[dict[str, Any]]:
    for descent in descents:
        first = descent.offset + 1
        identity = [
            {"run": first + p.run, "method": p.settings.method, "lr": p.settings.lr}
            for p in descent.plan
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


def stream_document(
    fn: Function,
    descent: Descent | Iterable[Descent],
    fmt: str,
    *,
    line_search: bool | None = None,
) -> Document:
    """A Document whose NDJSON records or CSV rows are computed as they are written: of one
    Descent, or of Descents computed one after another (batches of runs, numbered on across them;
    then say ``line_search``, whether any run searches, for the CSV columns)."""
    from gradcli.views.render import Document

    descents: Iterable[Descent]
    if hasattr(descent, "plan"):
        one = cast("Descent", descent)
        descents = [one]
        if line_search is None:
            line_search = any(p.settings.line_search for p in one.plan)
    else:
        descents = cast("Iterable[Descent]", descent)
    header = {"function": _machine(fn.expr), "variables": list(fn.names)}
    if fmt == "ndjson":
        return Document(record=header, stream=_ndjson_records(descents, fn.names))
    if not line_search:  # a line search's step is None at step 0: those rows go through csv
        return Document(
            record=header, csv_header=csv_header(fn, False), csv_text=_csv_text(descents)
        )
    return Document(
        record=header,
        csv_header=csv_header(fn, True),
        csv_rows=_csv_rows(descents, True),
        csv_plain=True,
    )


# --- tables and JSON ------------------------------------------------------------------------------
def _point(names: Sequence[str], values: Sequence[float]) -> dict[str, float]:
    return dict(zip(names, values))


def run_head(
    number: int, s: Settings, start: Sequence[float], names: Sequence[str]
) -> dict[str, Any]:
    """What a run is, known before it takes a step: the first keys of its JSON."""
    return {
        "run": number,
        "method": s.method,
        "lr": s.lr,
        "hyperparameters": s.hyperparameters(),
        "rule": s.rule(),
        "ascent": s.ascent,
        "line_search": s.line_search,
        "max_steps": s.steps,
        "tol": s.tol,
        "start": _point(names, start),
    }


def step_json(
    names: Sequence[str],
    step: int,
    point: Sequence[float],
    value: float,
    gradient: Sequence[float],
    norm: float,
    size: float,
    line: float | None,
    line_search: bool,
) -> dict[str, Any]:
    """One entry of a run's ``steps``."""
    row: dict[str, Any] = {
        "step": step,
        "point": _point(names, point),
        "value": value,
        "gradient": list(gradient),
        "norm": norm,
        "step_size": size,
    }
    if line_search:
        row["line_step"] = None if step == 0 or line is None or line != line else line
    return row


def run_tail(run: DescentRun, names: Sequence[str]) -> dict[str, Any]:
    """How a run ended: the keys of its JSON known only once it has (after its steps)."""
    return {
        "status": run.status,
        "reason": run.reason,
        "iterations": run.iterations,
        "final": {
            "point": _point(names, run.path[-1].tolist()),
            "value": float(run.values[-1]),
            "gradient": run.gradients[-1].tolist(),
            "norm": float(run.norms[-1]),
        },
        "classification": run.classification,
        "eigenvalues": None if run.eigenvalues is None else run.eigenvalues.tolist(),
        "notes": [note_text(note) for note in run.findings],
    }


def step_rows(run: DescentRun, names: Sequence[str]) -> Iterator[dict[str, Any]]:
    """A finished run's recorded steps as JSON entries, one at a time."""
    line_search = run.line_steps is not None
    lines = run.line_steps.tolist() if run.line_steps is not None else None
    path, grads = run.path.tolist(), run.gradients.tolist()
    values, norms, sizes = run.values.tolist(), run.norms.tolist(), run.step_sizes.tolist()
    for k, step in enumerate(run.steps.tolist()):
        line = lines[k] if lines is not None else None
        yield step_json(
            names, step, path[k], values[k], grads[k], norms[k], sizes[k], line, line_search
        )


def run_json(run: DescentRun, names: Sequence[str], *, steps: bool = True) -> dict[str, Any]:
    """One run as in CLI.md's ``descend`` JSON (plus its settings, rule, reason and notes): the one
    JSON shape of a run, for ``descend`` and ``plot``. ``steps=False`` leaves out the recorded
    steps (a figure's JSON describes the runs it drew, not every point of their paths). The steps
    come before the status: a streamed run writes them before it knows how it ends."""
    record = run_head(run.number, run.settings, run.start.tolist(), names)
    if steps:
        record["steps"] = list(step_rows(run, names))
    record.update(run_tail(run, names))
    return record


def descent_document(
    fn: Function,
    runs: Iterable[DescentRun],
    precision: int = 6,
    *,
    ends: int | None = ENDS,
    plot: str | None = None,
    width: int | None = None,
) -> Document:
    """The table and JSON view of finished runs. ``ends``: rows shown at each end of a long run
    (None: all recorded); ``width``: the console's, to lay the summary out (None: unlimited).

    ``runs`` may be an iterator over any number of runs (computed in batches): it is read once and
    only a bounded part is kept. Up to :data:`TABLE_RUNS_MAX` runs the summary lists them all (and
    the record has them); beyond, it lists the first and last :data:`TABLE_ENDS` and counts the
    statuses — a person cannot read 100,000 rows, and CSV or JSON has them.
    """
    from gradcli.views.render import Document

    names = fn.names
    kept: list[DescentRun] = []  # the first TABLE_RUNS_MAX runs
    last: deque[DescentRun] = deque(maxlen=TABLE_ENDS)  # the last few after those
    statuses: Counter[str] = Counter()
    by_method: dict[str, tuple[Settings, dict[float, None]]] = {}
    notes: list[str] = []
    more_notes = count = 0
    single_step = False
    for r in runs:
        count += 1
        statuses[r.status] += 1
        (kept if len(kept) < TABLE_RUNS_MAX else last).append(r)
        by_method.setdefault(r.settings.name, (r.settings, {}))[1][r.lr] = None
        single_step = single_step or len(r.steps) <= 1
        for note in r.findings:
            if len(notes) < NOTES_MAX:
                notes.append(f"run {r.number} ({r.method}, lr {r.lr:g}): {note_text(note)}")
            else:
                more_notes += 1
    if not count:
        raise ValueError("descent_document needs at least one run")
    record: dict[str, Any] = {"function": _machine(fn.expr), "variables": list(names)}
    gap = None
    shown = kept
    if count <= TABLE_RUNS_MAX:
        record["runs"] = [run_json(r, names) for r in kept]
    else:
        shown = kept[:TABLE_ENDS] + (kept + list(last))[-TABLE_ENDS:]
        gap = TABLE_ENDS - 1
        record["run_count"] = count
        record["statuses"] = dict(statuses)
    tables = []
    if count <= STEP_TABLES_MAX:
        tables = [_steps_table(r, precision, ends) for r in kept if len(r.steps) > 1]
    tables.extend(_summary_tables(shown, precision, width, gap))
    if more_notes:
        notes.append(f"… and {more_notes} more notes (all are in --format json)")
    if count > STEP_TABLES_MAX and not single_step:
        notes.append(
            f"per-step tables are shown for up to {STEP_TABLES_MAX} runs; "
            "--format csv or json has every step"
        )
    if count > TABLE_RUNS_MAX:
        tally = ", ".join(f"{n:,} {status}" for status, n in statuses.most_common())
        notes.append(
            f"{count:,} runs ({tally}): the summary shows the first and last {TABLE_ENDS}; "
            "--format csv or json has every run"
        )
    if plot is not None:
        record["plot"] = plot
        notes.append(f"figure written to {plot}")
    fields = _fields(fn, by_method, kept[0].settings)
    return Document(record=record, fields=fields, tables=tables, notes=notes)


def _fields(
    fn: Function, by_method: dict[str, tuple[Settings, dict[float, None]]], s: Settings
) -> list[tuple[str, str]]:
    fields = [("function", str(fn)), ("variables", ", ".join(fn.names))]
    # one line per method: its rule and the hyperparameters its runs share (lr is per run)
    for name, (first, rates_seen) in by_method.items():
        rates = ", ".join(f"{v:g}" for v in rates_seen)
        params = [f"lr = {rates}"]
        params += [f"{k} = {v:g}" for k, v in first.hyperparameters().items() if k != "lr"]
        fields.append((name, f"{first.rule()}   [{', '.join(params)}]"))
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


def _summary_tables(
    runs: Sequence[DescentRun], precision: int, width: int | None, gap: int | None = None
) -> list[Table]:
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
        return [Table(columns, rows, title="summary", gap_after=gap)]
    return [
        Table(ident, ident_rows, title="summary", gap_after=gap),
        Table(
            ["run", *state],
            [[a[0], *b] for a, b in zip(ident_rows, state_rows)],
            title="final states",
            gap_after=gap,
        ),
    ]


def _table_width(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """The width of a rendered table: each column as wide as its widest cell, three between."""
    widest = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]
    return sum(widest) + 3 * (len(columns) - 1)


def _machine(expr: Any) -> str:
    """The function as text plain sympy.sympify reads back (relu as Max(0, u), Symbol('I'), …)."""
    from gradcli.views.printers import machine

    return machine(expr)
