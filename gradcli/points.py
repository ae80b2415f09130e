"""Points and ranges: '3,1', 'x=3,y=1', 'pi/4,sqrt(2)', or '-' for one point per line on standard input; axis
ranges '-3:3' for every variable or 'x=-4:4,y=-2:2' per variable.

Coordinates are parsed by the same safe parser as expressions (:func:`gradcli.expr.parse_constant`),
so exact inputs stay exact: '1/3' is the rational 1/3, and results at it print as '2/3 ≈ 0.666667'.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from gradcli.errors import GradcliError, ParseError, UsageError
from gradcli.expr import parse_constant, split_top_level
from gradcli.function import Function

if TYPE_CHECKING:
    import sympy

E = TypeVar("E", bound=GradcliError)


@dataclass(frozen=True)
class Point:
    """A point in the function's variable order: exact sympy numbers and their float values."""

    names: tuple[str, ...]
    exact: tuple[sympy.Expr, ...]
    values: tuple[float, ...]
    text: str = ""

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.values))

    def subs(self, variables: Sequence[sympy.Symbol]) -> dict[sympy.Symbol, sympy.Expr]:
        return dict(zip(variables, self.exact))

    @property
    def is_exact(self) -> bool:
        return all(not c.has_free() and not _has_float(c) for c in self.exact)

    def label(self) -> str:
        import sympy

        def short(c: Any, v: float) -> str:
            text = str(sympy.sstr(c))
            return text if len(text) <= 24 else f"{v:.6g}"

        return "(" + ", ".join(short(c, v) for c, v in zip(self.exact, self.values)) + ")"


def _has_float(expr: Any) -> bool:
    import sympy

    return bool(expr.atoms(sympy.Float))


def _expected(names: Sequence[str]) -> str:
    return f"{len(names)} coordinate{'s' if len(names) != 1 else ''} ({', '.join(names)})"


def parse_point(text: str, fn: Function | Sequence[str], *, parameter: str = "at") -> Point:
    """Parse one point for ``fn``'s variables, positionally or by name.

    Accepts the forms people copy from a page or from gradcli's own output: ``3,1``, ``x=3,y=1``,
    ``(3, 1)``, ``[3, 1]``, ``(−2, −2)`` (a Unicode minus), and ``3 1`` (spaces between the
    coordinates, when there is no comma). ``parameter`` names what the point is for in error
    messages (the CLI shows its flag).
    """
    option = "{" + parameter + "}"
    param = (parameter,)
    names = tuple(fn.names if isinstance(fn, Function) else fn)
    if not names:
        raise UsageError(
            f"{option}: the function has no variables",
            hint="use {vars} x to add one",
            parameters=(parameter, "vars"),
        )
    parts = coordinates(text, len(names))
    if parts == [""]:
        raise UsageError(f"{option}: empty point; expected {_expected(names)}", parameters=param)
    named = [p for p in parts if "=" in p]
    if named and len(named) != len(parts):
        raise UsageError(
            f"{option} {text!r}: mix of named and positional coordinates",
            hint=f"write {','.join(f'{n}=…' for n in names)}",
            parameters=param,
        )
    if named:
        given: dict[str, str] = {}
        for part in parts:
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in names:
                raise UsageError(
                    f"{option} {text!r}: {key!r} is not a variable of f",
                    hint=f"the variables are {', '.join(names)}",
                    parameters=param,
                )
            if key in given:
                raise UsageError(f"{option} {text!r}: {key} is given twice", parameters=param)
            given[key] = value
        missing = [n for n in names if n not in given]
        if missing:
            raise UsageError(
                f"{option} {text!r}: missing {', '.join(missing)}; expected {_expected(names)}",
                parameters=param,
            )
        raw = [given[n] for n in names]
    else:
        if len(parts) != len(names):
            raise UsageError(
                f"{option} {text!r}: got {len(parts)} coordinate{'s' if len(parts) != 1 else ''}, "
                f"expected {_expected(names)}",
                hint=f"write {_example(names)} or {','.join(f'{n}=…' for n in names)}",
                parameters=param,
            )
        raw = parts
    return _point(names, raw, text, parameter)


def _example(names: Sequence[str]) -> str:
    return ",".join("31254"[: len(names)]) if len(names) <= 5 else "3,1,…"


def _point(names: tuple[str, ...], raw: Sequence[str], text: str, parameter: str) -> Point:
    """The point whose coordinates, in ``names`` order, are the texts ``raw``."""
    import sympy

    option = "{" + parameter + "}"
    param = (parameter,)
    exact: list[Any] = []
    values: list[float] = []
    for name, part in zip(names, raw):
        plain = _plain_number(part)
        if plain is not None:  # '3', '-1.25', '1e-3': thousands of stdin starts skip the parser
            exact.append(plain[0])
            values.append(plain[1])
            continue
        if not part.strip():
            raise UsageError(f"{option} {text!r}: coordinate {name} is empty", parameters=param)
        try:
            value = parse_constant(part, what="a coordinate")
        except ParseError as exc:
            raise UsageError(
                f"{option} {text!r}: coordinate {name}: {exc.message}",
                hint=exc.hint,
                parameters=param,
            ) from None
        number = float(sympy.N(value, 17))
        if not math.isfinite(number):
            raise UsageError(
                f"{option} {text!r}: coordinate {name} is not finite", parameters=param
            )
        exact.append(value)
        values.append(number)
    return Point(names=names, exact=tuple(exact), values=tuple(values), text=text.strip())


def coordinates(text: str, count: int) -> list[str]:
    """The coordinate texts of a point as typed, before any is parsed.

    ``(3, 1)`` and ``[3, 1]`` lose their outer brackets (that is how gradcli and most pages print a
    point); commas outside brackets separate coordinates. Without a comma, whitespace does, when it
    leaves plain numbers or ``name=value`` pairs, or exactly ``count`` pieces: ``3 1`` is the point
    (3, 1), while ``2 pi`` for a function of one variable stays the product 2π.
    """
    text = _unwrap(text.strip())
    parts = [p.strip() for p in split_top_level(text)]
    if len(parts) != 1:
        return parts
    text = re.sub(r"\s*=\s*", "=", text)
    pieces = _split_spaces(text)
    if len(pieces) > 1 and (
        len(pieces) == count
        or all(_plain_number(p) is not None for p in pieces)
        or all("=" in p for p in pieces)
    ):
        return pieces
    return [text]


_NESTING = {"(": 1, "[": 1, ")": -1, "]": -1}


def _unwrap(text: str) -> str:
    """``text`` without one pair of brackets around all of it: '(3, 1)' -> '3, 1'; '(1)+(2)' stays."""
    if len(text) < 2 or (text[0], text[-1]) not in (("(", ")"), ("[", "]")):
        return text
    depth = 0
    for k, ch in enumerate(text):
        depth += _NESTING.get(ch, 0)
        if depth == 0 and k < len(text) - 1:
            return text  # the first bracket closes before the end: '(1)+(2)'
    return text[1:-1].strip()


def _split_spaces(text: str) -> list[str]:
    """Split on whitespace outside brackets: 'sqrt(2) 1' -> ['sqrt(2)', '1']."""
    pieces: list[str] = []
    depth = start = 0
    for k, ch in enumerate(text + " "):
        depth += _NESTING.get(ch, 0)
        if ch.isspace() and depth == 0:
            if text[start:k].strip():
                pieces.append(text[start:k].strip())
            start = k + 1
    return pieces or [""]


_PLAIN = re.compile(r"[+-]?([0-9]{1,30}\.?[0-9]{0,30}|\.[0-9]{1,30})([eE][+-]?[0-9]{1,3})?")


def _plain_number(text: str) -> tuple[Any, float] | None:
    """A plain decimal literal as (exact rational, float), or None to use the full parser.

    A Unicode minus (−2, as gradcli's tables and typeset pages print it) is a minus."""
    text = text.strip().replace("−", "-")
    if not _PLAIN.fullmatch(text):
        return None
    number = float(text)
    if not math.isfinite(number) or (number != 0 and not 1e-300 < abs(number) < 1e300):
        return None  # out of the safe range: let the parser give its error
    from gradcli.expr import literal

    unsigned = text.lstrip("+-")
    exact = literal(unsigned)
    return (-exact if text.startswith("-") else exact), number


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
        runs = [k for k in range(len(fields) - n + 1) if list(fields[k : k + n]) == names]
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
                    f"has no column {', '.join(missing)}"
                    if missing
                    else f"names {', '.join(twice)} more than once"
                )
                raise InputEnded(
                    f"{{{self.parameter}}}: the CSV header {problem} "
                    f"(its columns: {', '.join(fields)})",
                    hint=f"the variables are {', '.join(self.names)}",
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
                f"{', '.join(self.names)} (in 'at' or 'point')",
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


# --- ranges ------------------------------------------------------------------------------------
_RANGE = ("range",)


def _interval(text: str, what: str) -> tuple[float, float]:
    lo_text, sep, hi_text = text.partition(":")
    if not sep:
        raise UsageError(
            f"{what}: expected LO:HI, got {text!r}", hint="e.g. {range} -3:3", parameters=_RANGE
        )
    try:
        lo = float(parse_constant(lo_text, what="a range end"))
        hi = float(parse_constant(hi_text, what="a range end"))
    except ParseError as exc:
        raise UsageError(f"{what} {text!r}: {exc.message}", parameters=_RANGE) from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise UsageError(f"{what} {text!r}: need finite LO < HI", parameters=_RANGE)
    return lo, hi


def parse_range(text: str, names: Sequence[str]) -> tuple[tuple[float, float], ...]:
    """One (lo, hi) per variable, in ``names`` order."""
    text = text.strip()
    if "=" not in text:
        interval = _interval(text, "{range}")
        return tuple(interval for _ in names)
    given: dict[str, tuple[float, float]] = {}
    for part in text.split(","):
        name, _, spec = part.partition("=")
        name = name.strip()
        if name not in names:
            raise UsageError(
                f"{{range}}: {name!r} is not a variable",
                hint=f"variables: {', '.join(names)}",
                parameters=_RANGE,
            )
        given[name] = _interval(spec.strip(), f"{{range}} {name}")
    default = (-5.0, 5.0)
    return tuple(given.get(n, default) for n in names)
