"""``descend --format json`` written as it is computed, in flat memory.

The document is the one CLI.md describes — ``{"function", "variables", "runs": [...]}`` — but it is
written piece by piece: a run's settings, then its steps one line each as they are computed, then
how it ended. A long run (300,000 steps) never exists as Python objects all at once, and many runs
are computed in batches (see :func:`gradcli.optimize.engine.batches`), each written and dropped
before the next is computed. Ctrl-C finishes the run in progress as ``interrupted``, closes the
document (so it still parses) and stops: the caller notes the signal (``interrupted()`` turns
True) instead of letting it strike mid-write, and the runs check it between steps.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from gradcli.optimize.schedules import LrAt
from gradcli.views.descent import machine_text, run_head, run_tail, step_json, step_rows
from gradcli.views.render import Document, dumps

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.optimize import Descent, DescentRun

__all__ = ["json_document"]

RUN_INDENT = 4  # "runs" is a member of the document: each run sits four spaces in
FLUSH_EVERY = 256  # pieces joined before they are handed to the writer


def json_document(
    fn: Function,
    batches: Iterable[tuple[Descent, bool]],
    *,
    plot: str | None = None,
    interrupted: Callable[[], bool] = lambda: False,
) -> Document:
    """A Document whose JSON text is computed as it is written.

    ``batches`` yields Descents in run order, each with ``live``: True for a Descent of one run
    whose steps are written as they are computed, False for one that is run to the end first and
    then written run by run. ``interrupted()`` is asked between the steps of a live run (a
    batch's Descents ask it themselves, through ``on_step``); the producer stops after a batch
    whose runs say ``interrupted``.
    """
    header = {"function": machine_text(fn), "variables": list(fn.names)}
    return Document(record=header, json_text=_pieces(fn, batches, plot, interrupted))


def _pieces(
    fn: Function,
    batches: Iterable[tuple[Descent, bool]],
    plot: str | None,
    interrupted: Callable[[], bool],
) -> Iterator[str]:
    names = fn.names
    yield f'{{\n  "function": {dumps(machine_text(fn))},\n  "variables": {dumps(list(names))},\n'
    yield '  "runs": ['
    first = True
    for descent, live in batches:  # after Ctrl-C, the producer sees the statuses and stops
        if live:
            # the run's head and steps go out as they are computed
            yield ("\n" if first else ",\n") + _open(descent, names)
            first = False
            with contextlib.suppress(KeyboardInterrupt):  # the run says interrupted
                yield from _joined(_live_steps(descent, names, interrupted))
            (run,) = descent.runs()
            yield (
                "\n" + " " * (RUN_INDENT + 2) + "],\n" + _members(run_tail(run, names)) + "\n    }"
            )
        else:
            with contextlib.suppress(KeyboardInterrupt):  # its runs say interrupted
                descent.drain()
            for run in descent.runs():
                yield ("\n" if first else ",\n") + _closed_run(run, names)
                first = False
    yield "\n  ]" if not first else "]"
    if plot is not None:
        yield f',\n  "plot": {dumps(plot)}'
    yield "\n}\n"


def _open(descent: Descent, names: Sequence[str]) -> str:
    plan = descent.plan[0]
    head = run_head(descent.offset + plan.run + 1, plan.settings, plan.start.tolist(), names)
    return " " * RUN_INDENT + "{\n" + _members(head) + ",\n" + " " * (RUN_INDENT + 2) + '"steps": ['


def _live_steps(
    descent: Descent, names: Sequence[str], interrupted: Callable[[], bool]
) -> Iterator[dict[str, Any]]:
    settings = descent.plan[0].settings
    line_search = settings.line_search
    cursor = (
        LrAt(settings.schedule, settings.lr) if settings.schedule is not None else None
    )  # lr_t, scheduled
    for r in descent:
        yield step_json(
            names,
            r.step,
            r.point,
            r.value,
            r.gradient,
            r.norm,
            r.step_size,
            r.line_step,
            line_search,
            cursor.at(r.step) if cursor is not None else None,
        )
        if interrupted():
            raise KeyboardInterrupt  # here, after a written step: the run ends interrupted there


def _closed_run(run: DescentRun, names: Sequence[str]) -> str:
    head = run_head(run.number, run.settings, run.start.tolist(), names)
    steps = "".join(_joined(step_rows(run, names)))
    return (
        " " * RUN_INDENT
        + "{\n"
        + _members(head)
        + ",\n"
        + " " * (RUN_INDENT + 2)
        + '"steps": ['
        + steps
        + "\n"
        + " " * (RUN_INDENT + 2)
        + "],\n"
        + _members(run_tail(run, names))
        + "\n    }"
    )


def _joined(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Each step on a line of its own (compact JSON: a long run reads like a table), in pieces of
    FLUSH_EVERY lines."""
    indent = "\n" + " " * (RUN_INDENT + 4)
    batch: list[str] = []
    first = True
    try:
        for row in rows:
            batch.append(("" if first else ",") + indent + _compact(row))
            first = False
            if len(batch) >= FLUSH_EVERY:
                yield "".join(batch)
                batch = []
    except KeyboardInterrupt:
        if batch:  # the steps made before Ctrl-C are part of the run: write them first
            yield "".join(batch)
        raise
    if batch:
        yield "".join(batch)


def _compact(row: dict[str, Any]) -> str:
    try:  # the common case, at C speed: every number finite
        return json.dumps(row, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a diverged run's last row: non-finite numbers become null
        return dumps(row)


def _members(record: dict[str, Any]) -> str:
    """``record``'s members as they appear inside a run object (indented, no braces)."""
    text = json.dumps(_strict(record), ensure_ascii=False, allow_nan=False, indent=2)
    pad = " " * RUN_INDENT
    return "\n".join(pad + line for line in text[2:-2].split("\n"))


def _strict(record: dict[str, Any]) -> Any:
    from gradcli.views.render import jsonable

    return jsonable(record)
