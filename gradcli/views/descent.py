"""Documents for descent runs: JSON records and the tables people read (the CSV/NDJSON streams
are :mod:`.descent_stream`).

Kept out of the command module so ``gradcli --help`` does not pay for compiling it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from gradcli.optimize.schedules import LrAt
from gradcli.optimize.settings import ENDS
from gradcli.views.notes import note_text
from gradcli.views.render import Document, Table
from gradcli.views.text import decimal, vector

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.optimize import DescentRun, Settings
    from gradcli.optimize.starts import Generated

__all__ = [
    "ENDS",
    "descent_document",
    "run_json",
    "starts_field",
]
STEP_TABLES_MAX = 12  # beyond this many runs, per-step tables would bury the summary
NOTES_MAX = 30  # notes shown in a table (all of them are in the JSON)
TABLE_RUNS_MAX = 100  # the summary lists up to this many runs ...
TABLE_ENDS = 10  # ... and beyond, the first and last this many, and counts the statuses


# --- tables and JSON ------------------------------------------------------------------------------
def named_point(names: Sequence[str], values: Sequence[float]) -> dict[str, float]:
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
        **(
            {"schedule": {"spec": s.schedule.spec(), "torch": s.schedule.torch()}}
            if s.schedule is not None
            else {}
        ),
        "start": named_point(names, start),
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
    lr: float | None = None,
) -> dict[str, Any]:
    """One entry of a run's ``steps`` (``lr``: the scheduled lr_t, with a schedule)."""
    row: dict[str, Any] = {
        "step": step,
        "point": named_point(names, point),
        "value": value,
        "gradient": list(gradient),
        "norm": norm,
        "step_size": size,
    }
    if line_search:
        row["line_step"] = None if step == 0 or line is None or line != line else line
    if lr is not None:
        row["lr_t"] = lr
    return row


def run_tail(run: DescentRun, names: Sequence[str]) -> dict[str, Any]:
    """How a run ended: the keys of its JSON known only once it has (after its steps)."""
    return {
        "status": run.status,
        "reason": run.reason,
        "iterations": run.iterations,
        "final": {
            "point": named_point(names, run.path[-1].tolist()),
            "value": float(run.values[-1]),
            "gradient": run.gradients[-1].tolist(),
            "norm": float(run.norms[-1]),
        },
        "classification": run.classification,
        "eigenvalues": None if run.eigenvalues is None else run.eigenvalues.tolist(),
        **({"clipped_steps": run.clipped} if run.clipped is not None else {}),
        "notes": [note_text(note) for note in run.findings],
    }


def step_rows(run: DescentRun, names: Sequence[str]) -> Iterator[dict[str, Any]]:
    """A finished run's recorded steps as JSON entries, one at a time."""
    line_search = run.line_steps is not None
    lines = run.line_steps.tolist() if run.line_steps is not None else None
    path, grads = run.path.tolist(), run.gradients.tolist()
    values, norms, sizes = run.values.tolist(), run.norms.tolist(), run.step_sizes.tolist()
    cursor = LrAt(run.settings.schedule, run.lr) if run.settings.schedule is not None else None
    for k, step in enumerate(run.steps.tolist()):
        line = lines[k] if lines is not None else None
        lr = cursor.at(step) if cursor is not None else None
        yield step_json(
            names, step, path[k], values[k], grads[k], norms[k], sizes[k], line, line_search, lr
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
                notes.append(f"run {r.number} ({run_label(r.settings)}): {note_text(note)}")
            else:
                more_notes += 1
    if not count:
        raise ValueError("descent_document needs at least one run")
    record: dict[str, Any] = {"function": machine_text(fn), "variables": list(names)}
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
        params = [f"lr = {rates}"] if first.uses_lr else []
        params += [f"{k} = {v:g}" for k, v in first.hyperparameters().items() if k != "lr"]
        if not first.uses_lr:  # a curvature method: its line search picks every step
            params.append("--lr does not apply")
        fields.append((name, f"{first.rule()}   [{', '.join(params)}]"))
        if first.schedule is not None:
            fields.append(("schedule", f"{first.schedule.spec()} = {first.schedule.torch()}"))
    # tol 0: no run converges early ("converged when never early" read as nonsense)
    stop = f"converged when ‖∇f‖ ≤ {s.tol:g}" if s.tol > 0 else "no early stop (tol 0)"
    fields.append(("stopping", f"{stop}; at most {s.steps:,} steps; diverged past 1e150"))
    return fields


def starts_field(drawn: Generated, names: Sequence[str]) -> tuple[str, str]:
    """The heading line of generated starts: how many, where, and the seed that repeats them."""
    box = ", ".join(
        f"{name} ∈ [{decimal(lo, 6)}, {decimal(hi, 6)}]"
        for name, (lo, hi) in zip(names, drawn.ranges)
    )
    count = len(drawn.points)
    if drawn.spec.kind == "grid":
        return "starts", f"{count:,} on a grid, {drawn.spec.number} per axis, over {box}"
    return "starts", f"{count:,} drawn uniformly in {box} (--seed {drawn.seed})"


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
    cursor = LrAt(run.settings.schedule, run.lr) if run.settings.schedule is not None else None
    if cursor is not None:
        columns.append("lrₜ")
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
        if cursor is not None:
            row.append(decimal(cursor.at(steps[k]), precision))
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
                f"{r.lr:g}" if r.settings.uses_lr else "—",
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


def machine_text(fn: Function) -> str:
    """f as text plain sympy.sympify reads back (relu as Max(0, u), Symbol('I'), …); a recalled f
    has it stored (no sympy)."""

    def make() -> str:
        from gradcli.views.printers import machine

        return machine(fn.expr)

    return str(fn.printed("machine", make))


def run_label(settings: Settings) -> str:
    """'gd, no clipping, lr 0.5': how a note names a run — the method, the knobs that tell
    compared runs apart (as the summary's method column has them) and the lr."""
    lr = [f"lr {settings.lr:g}"] if settings.uses_lr else []
    spec = settings.schedule.spec() if settings.schedule is not None else None
    # a schedule's spec has commas of its own (warmup:5,cosine:45): named, it reads as one knob
    tags = [f"schedule {t}" if t == spec else t for t in settings.tags]
    return ", ".join([settings.base_name, *tags, *lr])
