"""descend's streamed documents: CSV rows (formatted in bulk where csv would write them the same)
and NDJSON records, computed as they are written, of one Descent or of batches of them.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from gradcli.optimize.schedules import LrAt
from gradcli.views.columns import Part, unique_columns
from gradcli.views.descent import machine_text, named_point

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.optimize import Descent, Settings, StepRecord
    from gradcli.views.render import Document

__all__ = ["compared_knobs", "csv_header", "stream_document"]


def compared_knobs(settings: Iterable[Settings]) -> tuple[str, ...]:
    """The knobs any of ``settings`` is compared across, in the command line's order."""
    from gradcli.optimize.settings import KNOBS

    seen = {name for s in settings for name in s.compared}
    return tuple(name for name in KNOBS if name in seen)


def csv_header(
    fn: Function,
    line_search: bool,
    summary: bool = False,
    scheduled: bool = False,
    compared: Sequence[str] = (),
) -> list[str]:
    """CLI.md's columns, then the accepted Armijo step (with --line-search), the scheduled
    learning rate ``lr_t`` (with --schedule) and the status, set on each run's last row. (Step
    lengths are in JSON and NDJSON; CSV stays lean for speed.) A --summary row (one per run) adds
    where the run started and what its end point is. Last, one column per knob the runs are
    compared across (``--clip-norm none,1``: ``clip_norm``), on every row."""
    names = list(fn.names)
    ends: list[Part] = [*(("start_", n) for n in names), "classification"] if summary else []
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
            *(["lr_t"] if scheduled else []),
            "status",
            *ends,
            *compared,
        ]
    )


def _csv_rows(
    descents: Iterable[Descent],
    line_search: bool,
    scheduled: bool = False,
    compared: Sequence[str] = (),
) -> Iterator[tuple[Any, ...]]:
    """Rows render can write as they are (``Document.csv_plain``): every value a Python int,
    str or finite float (or None, written empty). Only the last row of a run that diverged can
    hold inf or nan, so only such a row is checked."""
    for descent in descents:
        rows = _csv_rows_of(descent, line_search, scheduled)
        if not compared:
            yield from rows
            continue
        knobs = [p.settings.compared_values() for p in descent.plan]
        tails = [tuple(k.get(name) for name in compared) for k in knobs]  # None: not compared
        first = descent.offset + 1
        for row in rows:
            yield (*row, *tails[row[0] - first])


def _csv_rows_of(
    descent: Descent, line_search: bool, scheduled: bool = False
) -> Iterator[tuple[Any, ...]]:
    first = descent.offset + 1  # runs are numbered across batches
    prefix = [(first + p.run, p.settings.method, p.settings.lr) for p in descent.plan]
    if descent.summary_only:
        yield from _summary_rows(descent, line_search, prefix, scheduled)
        return
    if scheduled:  # line search never has a schedule (Settings refuses the pair)
        cursors = [LrAt(p.settings.schedule, p.settings.lr) for p in descent.plan]
        for run, step, point, value, gradient, norm, _, _, status, _ in descent:
            lr = cursors[run].at(step)
            row = (*prefix[run], step, *point, value, *gradient, norm, lr, status or "")
            yield _finite(row) if status == "diverged" else row
    elif line_search:
        for run, step, point, value, gradient, norm, _, line, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, line, status or "")
            yield _finite(row) if status == "diverged" else row
    else:
        for run, step, point, value, gradient, norm, _, _, status, _ in descent:
            row = (*prefix[run], step, *point, value, *gradient, norm, status or "")
            yield _finite(row) if status == "diverged" else row


def _summary_rows(
    descent: Descent,
    line_search: bool,
    prefix: Sequence[tuple[Any, ...]],
    scheduled: bool = False,
) -> Iterator[tuple[Any, ...]]:
    """--summary rows: each run's final state, then its start and its end point's kind (one
    classification call per block of runs that ended together)."""
    starts = [tuple(p.start.tolist()) for p in descent.plan]
    cursors = [LrAt(p.settings.schedule, p.settings.lr) for p in descent.plan] if scheduled else []
    for block in descent.final_blocks():
        kinds = descent.end_kinds(block)
        for r, kind in zip(block, kinds):
            line = (r.line_step,) if line_search else ()
            if cursors:
                line = (*line, cursors[r.run].at(r.step))
            row = (*prefix[r.run], r.step, *r.point, r.value, *r.gradient, r.norm, *line)
            row = (*row, r.status or "", *starts[r.run], kind or "")
            yield _finite(row) if r.status == "diverged" else row


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
            {
                "run": first + p.run,
                "method": p.settings.method,
                "lr": p.settings.lr,
                **p.settings.compared_values(),  # the knobs runs are compared across
            }
            for p in descent.plan
        ]
        cursors = (
            [LrAt(p.settings.schedule, p.settings.lr) for p in descent.plan]
            if any(p.settings.schedule is not None for p in descent.plan)
            else []
        )
        if not descent.summary_only:
            if cursors:
                for r in descent:
                    record = _step_json(r, names, identity[r.run])
                    yield _with_lr(record, cursors[r.run].at(r.step))
                continue
            for r in descent:
                yield _step_json(r, names, identity[r.run])
            continue
        for block in descent.final_blocks():  # --summary: where each run began, where it ended
            for r, kind in zip(block, descent.end_kinds(block)):
                record = _step_json(r, names, identity[r.run])
                if cursors:
                    record = _with_lr(record, cursors[r.run].at(r.step))
                record["start"] = named_point(names, descent.plan[r.run].start.tolist())
                record["classification"] = kind
                yield record


def _with_lr(record: dict[str, Any], lr: float) -> dict[str, Any]:
    """``record`` with the scheduled ``lr_t`` after the step's own numbers (before its status)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key == "status":
            out["lr_t"] = lr
        out[key] = value
    if "lr_t" not in out:
        out["lr_t"] = lr
    return out


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
    summary: bool | None = None,
    scheduled: bool | None = None,
    compared: Sequence[str] | None = None,
) -> Document:
    """A Document whose NDJSON records or CSV rows are computed as they are written: of one
    Descent, or of Descents computed one after another (batches of runs, numbered on across them;
    then say ``line_search``, whether any run searches, ``summary``, whether they record final
    states only, ``scheduled``, whether any has a schedule, and ``compared``, the knobs runs are
    compared across, for the CSV columns)."""
    from gradcli.views.render import Document

    descents: Iterable[Descent]
    if hasattr(descent, "plan"):
        one = cast("Descent", descent)
        descents = [one]
        if line_search is None:
            line_search = any(p.settings.line_search for p in one.plan)
        if summary is None:
            summary = one.summary_only
        if scheduled is None:
            scheduled = any(p.settings.schedule is not None for p in one.plan)
        if compared is None:
            compared = compared_knobs(p.settings for p in one.plan)
    else:
        descents = cast("Iterable[Descent]", descent)
    header = {"function": machine_text(fn), "variables": list(fn.names)}
    if fmt == "ndjson":
        return Document(record=header, stream=_ndjson_records(descents, fn.names))
    compared = tuple(compared or ())
    if not (line_search or summary or scheduled or compared):
        # the plain per-step rows, formatted in bulk (a line search's step is None at step 0, a
        # summary row and lr_t add columns: those rows go through csv)
        return Document(
            record=header, csv_header=csv_header(fn, False), csv_text=_csv_text(descents)
        )
    return Document(
        record=header,
        csv_header=csv_header(fn, bool(line_search), bool(summary), bool(scheduled), compared),
        csv_rows=_csv_rows(descents, bool(line_search), bool(scheduled), compared),
        csv_plain=True,
    )
