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

    ``parameter`` names what the point is for in error messages (the CLI shows its flag).
    """
    option = "{" + parameter + "}"
    param = (parameter,)
    import sympy

    names = tuple(fn.names if isinstance(fn, Function) else fn)
    if not names:
        raise UsageError(
            f"{option}: the function has no variables",
            hint="use {vars} x to add one",
            parameters=(parameter, "vars"),
        )
    parts = [p.strip() for p in split_top_level(text.strip())]
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
                parameters=param,
            )
        raw = parts
    exact: list[Any] = []
    values: list[float] = []
    for name, part in zip(names, raw):
        plain = _plain_number(part)
        if plain is not None:  # '3', '-1.25', '1e-3': thousands of stdin starts skip the parser
            exact.append(plain[0])
            values.append(plain[1])
            continue
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


_PLAIN = re.compile(r"[+-]?([0-9]{1,30}\.?[0-9]{0,30}|\.[0-9]{1,30})([eE][+-]?[0-9]{1,3})?")


def _plain_number(text: str) -> tuple[Any, float] | None:
    """A plain decimal literal as (exact rational, float), or None to use the full parser."""
    text = text.strip()
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


def iter_points(
    texts: Sequence[str],
    fn: Function | Sequence[str],
    *,
    parameter: str = "at",
    stdin: TextIO | None = None,
) -> Iterator[tuple[int | None, Point | UsageError]]:
    """``(stdin line number or None, point)`` for repeated ``--at`` texts in order, each as soon as
    it is read.

    ``-`` reads one point per line from standard input. A line that is not a point comes with its
    :class:`UsageError` (naming the line) in place of the point instead of ending the stream, so a
    caller can report it, answer the other points, and fail at the end. A text typed on the command
    line raises as :func:`parse_point` does.
    """
    for text in texts:
        if text.strip() != "-":
            yield None, parse_point(text, fn, parameter=parameter)
            continue
        for number, line in read_lines(stdin):
            if line is None:
                yield number, UsageError(f"stdin line {number}: longer than {MAX_LINE} characters")
                continue
            try:
                yield number, parse_point(line, fn, parameter=parameter)
            except UsageError as exc:
                yield number, on_line(exc, number)


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
