"""Points from lines of text: standard input read line by line ('-' for --at or --from), in every
form gradcli itself writes (points as typed, gradcli's CSV with its header, its NDJSON records).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO, TypeVar

from gradcli.errors import GradcliError, ParseError, UsageError, few_names
from gradcli.expr import parse_constant
from gradcli.function import Function
from gradcli.points import Point, _point, parse_point

E = TypeVar("E", bound=GradcliError)

MAX_LINE = 10_000  # characters in one line of points on stdin; a longer one is refused, not slurped


def read_lines(stream: TextIO | None = None) -> Iterator[tuple[int, str | None]]:
    """Non-blank, non-comment lines of standard input with their 1-based line numbers, each as soon
    as it is read (a pipe that delivers one point a second gets one answer a second).

    A line longer than :data:`MAX_LINE` is skipped without keeping it and comes as ``(number,
    None)``. Text that is not UTF-8, or a read that fails, raises :class:`UsageError`.
    """
    source = stream if stream is not None else sys.stdin
    number = 0
    while True:
        try:
            line = source.readline(MAX_LINE + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE and not line.endswith("\n"):
                while line and not line.endswith("\n"):  # the rest of the long line, in pieces
                    line = source.readline(MAX_LINE)
                yield number, None
                continue
        except UnicodeDecodeError:
            raise UsageError(f"stdin line {number + 1}: not UTF-8 text") from None
        except OSError as exc:
            raise UsageError(f"cannot read standard input: {exc.strerror or exc}") from None
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


class InputEnded(UsageError):
    """A line after which the rest of the input cannot be points (a CSV header without the
    function's variables): reported, and no further line is read."""


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names_variable(column: str, name: str) -> bool:
    """Whether a CSV column holds variable ``name``: gradcli writes it as ``name``, or as
    ``var_name`` where the bare name would repeat one of its own columns (f, lr, step …)."""
    while column != name and column.startswith("var_"):
        column = column[4:]
    return column == name


class PointLines:
    """Points from lines of text, one per line, in every form gradcli itself writes.

    A line is a point as typed (``3,1``, ``(3, 1)``, ``x=3,y=1``, ``3 1``), an NDJSON record of
    gradcli's (its ``at`` or ``point`` object: ``grad``/``partial``/``level``/``descend --format
    ndjson``), or a row of gradcli's CSV: a header line of column names that include the variables
    (``x,y,f,grad_x,…`` from grad, ``run,method,lr,step,x,y,…`` from descend) switches to CSV, and
    each later row is read by those columns. A new header switches again (concatenated files).

    Call :meth:`read` once per line, in order; it returns the point, or None for a header line. A
    line that is not a point raises :class:`UsageError`; a header without the variables raises
    :class:`InputEnded`. ``descend --from -`` and ``--at -`` read stdin with it (through
    :func:`iter_points`); any other reader can feed it lines itself.
    """

    def __init__(self, fn: Function | Sequence[str], *, parameter: str = "at") -> None:
        self.names = tuple(fn.names if isinstance(fn, Function) else fn)
        self.fn = fn
        self.parameter = parameter
        self.columns: tuple[int, ...] | None = None  # the variables' columns, once a header is read
        self.width = 0  # the header's number of columns

    def read(self, line: str) -> Point | None:
        text = line.strip()
        if text.startswith("{"):
            return self._record(text)
        fields = _csv_fields(text) if "," in text or self.columns is not None else [text]
        if self._is_header(fields):
            self._header(fields)
            return None
        if self.columns is None:
            return parse_point(text, self.fn, parameter=self.parameter)
        if len(fields) != self.width:
            raise UsageError(
                f"{{{self.parameter}}} {text!r}: {len(fields)} CSV fields, the header has "
                f"{self.width}",
                parameters=(self.parameter,),
            )
        return _point(self.names, [fields[k] for k in self.columns], text, self.parameter)

    def _is_header(self, fields: Sequence[str]) -> bool:
        """Column names: every field a name, and at least one that is not a constant (pi, e)."""
        if not all(_NAME.fullmatch(f) for f in fields):
            return False
        if any(f in self.names for f in fields):
            return True
        for f in fields:
            try:
                parse_constant(f)
            except ParseError:
                return True
        return False

    def _header(self, fields: Sequence[str]) -> None:
        n, names = len(self.names), list(self.names)
        runs = [
            k
            for k in range(len(fields) - n + 1)
            if all(_names_variable(f, v) for f, v in zip(fields[k : k + n], names))
        ]
        if runs:
            # The variables' block; descend's CSV has 'lr' (and 'f') among its own columns too,
            # so the block right after 'step' wins there.
            after_step = [k for k in runs if k > 0 and fields[k - 1] == "step"]
            first = (after_step or runs)[0]
            self.columns = tuple(range(first, first + n))
        else:
            missing = [v for v in self.names if v not in fields]
            twice = [v for v in self.names if fields.count(v) > 1]
            if missing or twice:
                problem = (
                    f"has no column {few_names(missing)}"
                    if missing
                    else f"names {few_names(twice)} more than once"
                )
                raise InputEnded(
                    f"{{{self.parameter}}}: the CSV header {problem} "
                    f"(its columns: {few_names(fields, 12)})",
                    hint=f"the variables are {few_names(self.names)}",
                    parameters=(self.parameter,),
                )
            self.columns = tuple(list(fields).index(v) for v in self.names)
        self.width = len(fields)

    def _record(self, text: str) -> Point:
        import json

        param = (self.parameter,)
        try:
            record = json.loads(text)
        except ValueError:
            raise UsageError(
                f"{{{self.parameter}}} {text[:60]!r}: not a JSON object", parameters=param
            ) from None
        where = record.get("at", record.get("point", record)) if isinstance(record, dict) else None
        if not isinstance(where, dict) or not all(v in where for v in self.names):
            raise UsageError(
                f"{{{self.parameter}}} {text[:60]!r}: a JSON record needs "
                f"{few_names(self.names)} (in 'at' or 'point')",
                parameters=param,
            )
        raw = []
        for v in self.names:
            c = where[v]
            if isinstance(c, bool) or not isinstance(c, int | float | str):
                raise UsageError(
                    f"{{{self.parameter}}} {text[:60]!r}: coordinate {v} is {json.dumps(c)}",
                    parameters=param,
                )
            raw.append(repr(c) if isinstance(c, float) else str(c))
        return _point(self.names, raw, text, self.parameter)


def _csv_fields(text: str) -> list[str]:
    import csv

    return [f.strip() for f in next(csv.reader([text]), [])] or [""]


def iter_points(
    texts: Sequence[str],
    fn: Function | Sequence[str],
    *,
    parameter: str = "at",
    stdin: TextIO | None = None,
) -> Iterator[tuple[int | None, Point | UsageError]]:
    """``(stdin line number or None, point)`` for repeated ``--at`` texts in order, each as soon as
    it is read.

    ``-`` reads one point per line from standard input, in any form :class:`PointLines` reads
    (gradcli's own CSV and NDJSON included). A line that is not a point comes with its
    :class:`UsageError` (naming the line) in place of the point instead of ending the stream, so a
    caller can report it, answer the other points, and fail at the end; after an
    :class:`InputEnded` error nothing more is read. A text typed on the command line raises as
    :func:`parse_point` does.
    """
    for text in texts:
        if text.strip() != "-":
            yield None, parse_point(text, fn, parameter=parameter)
            continue
        lines = PointLines(fn, parameter=parameter)
        for number, line in read_lines(stdin):
            if line is None:
                yield number, UsageError(f"stdin line {number}: longer than {MAX_LINE} characters")
                continue
            try:
                point = lines.read(line)
            except UsageError as exc:
                yield number, on_line(exc, number)
                if isinstance(exc, InputEnded):
                    return
                continue
            if point is not None:
                yield number, point


def on_line(error: E, number: int) -> E:
    """``error`` about what was read on stdin line ``number``, saying so (any kind of error: a
    value undefined at that line's point is reported the same way)."""
    return type(error)(
        f"stdin line {number}: {error.template}",
        hint=error.hint_template,
        parameters=error.parameters,
    )


def parse_points(
    texts: Sequence[str],
    fn: Function | Sequence[str],
    *,
    parameter: str = "at",
    stdin: TextIO | None = None,
) -> list[Point]:
    """Parse repeated points (``--at``); ``-`` reads one point per line from standard input.

    The first point that cannot be read raises its :class:`UsageError`.
    """
    points: list[Point] = []
    for _, point in iter_points(texts, fn, parameter=parameter, stdin=stdin):
        if isinstance(point, UsageError):
            raise point
        points.append(point)
    return points
