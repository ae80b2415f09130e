"""Points and ranges: '3,1', 'x=3,y=1', 'pi/4,sqrt(2)', or '-' for one point per line on standard input; axis
ranges '-3:3' for every variable or 'x=-4:4,y=-2:2' per variable.

Coordinates are parsed by the same safe parser as expressions (:func:`gradcli.expr.parse_constant`),
so exact inputs stay exact: '1/3' is the rational 1/3, and results at it print as '2/3 ≈ 0.666667'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gradcli.errors import ParseError, UsageError, few_names
from gradcli.expr import parse_constant, split_top_level
from gradcli.function import Function

if TYPE_CHECKING:
    import sympy


class Point:
    """A point in the function's variable order: exact sympy numbers and their float values.

    A coordinate typed as a plain decimal ('0.5', '-1.25e-3') is kept as its text and becomes an
    exact number only when something asks for ``exact``: a descent from 10,000 starts computes in
    floats and never shows one (turning 20,000 decimals into sympy rationals was a third of its
    time), while ``grad`` at '0.5' shows values at exactly 1/2.
    """

    __slots__ = ("_decimals", "_exact", "_is_exact", "names", "text", "values")

    def __init__(
        self,
        names: tuple[str, ...],
        exact: tuple[sympy.Expr, ...] | None,
        values: tuple[float, ...],
        text: str = "",
        *,
        decimals: tuple[str | None, ...] = (),
    ) -> None:
        """``exact`` may be None when ``decimals`` holds every coordinate's plain decimal text;
        otherwise a coordinate whose ``decimals`` entry is a text is built from that text."""
        self.names = names
        self.values = values
        self.text = text
        self._exact = exact
        self._decimals = decimals
        self._is_exact: bool | None = None

    @property
    def exact(self) -> tuple[sympy.Expr, ...]:
        if self._exact is None or any(d is not None for d in self._decimals):
            given = self._exact or (None,) * len(self.names)
            self._exact = tuple(
                _decimal_exact(d) if d is not None else c for c, d in zip(given, self._decimals)
            )
            self._decimals = ()
        return self._exact

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        return (self.names, self.values, self.text, self.exact) == (
            other.names,
            other.values,
            other.text,
            other.exact,
        )

    def __hash__(self) -> int:
        return hash((self.names, self.values, self.text))

    def __repr__(self) -> str:
        return f"Point(names={self.names!r}, exact={self.exact!r}, values={self.values!r}, text={self.text!r})"

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.values))

    def subs(self, variables: Sequence[sympy.Symbol]) -> dict[sympy.Symbol, sympy.Expr]:
        return dict(zip(variables, self.exact))

    @property
    def is_exact(self) -> bool:
        """Whether every coordinate is an exact number (decided once: a gradient evaluated at a
        point of 1,000 coordinates asks 1,001 times)."""
        if self._is_exact is None:
            if self._exact is None and all(d is not None for d in self._decimals):
                self._is_exact = True  # a decimal as typed is an exact rational
            else:
                self._is_exact = all(not c.has_free() and not _has_float(c) for c in self.exact)
        return self._is_exact

    def label(self) -> str:
        import sympy

        def short(c: Any, v: float) -> str:
            text = str(sympy.sstr(c))
            return text if len(text) <= 24 else f"{v:.6g}"

        return "(" + ", ".join(short(c, v) for c, v in zip(self.exact, self.values)) + ")"


def _has_float(expr: Any) -> bool:
    import sympy

    return bool(expr.atoms(sympy.Float))


def _named_example(names: Sequence[str]) -> str:
    """x=…,y=…, or the first few and an ellipsis for many variables (one short line at any size)."""
    return ",".join(f"{n}=…" for n in names[:4]) + (",…" if len(names) > 4 else "")


def _expected(names: Sequence[str]) -> str:
    return (
        f"{len(names)} coordinate{'s' if len(names) != 1 else ''} ({few_names(names, count=False)})"
    )


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
            hint=f"write {_named_example(names)}",
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
                    hint=f"the variables are {few_names(names)}",
                    parameters=param,
                )
            if key in given:
                raise UsageError(f"{option} {text!r}: {key} is given twice", parameters=param)
            given[key] = value
        missing = [n for n in names if n not in given]
        if missing:
            raise UsageError(
                f"{option} {text!r}: missing {few_names(missing)}; expected {_expected(names)}",
                parameters=param,
            )
        raw = [given[n] for n in names]
    else:
        if len(parts) != len(names):
            raise UsageError(
                f"{option} {text!r}: got {len(parts)} coordinate{'s' if len(parts) != 1 else ''}, "
                f"expected {_expected(names)}",
                hint=f"write {_example(names)} or {_named_example(names)}",
                parameters=param,
            )
        raw = parts
    return _point(names, raw, text, parameter)


def _example(names: Sequence[str]) -> str:
    return ",".join("31254"[: len(names)]) if len(names) <= 5 else "3,1,…"


def _point(names: tuple[str, ...], raw: Sequence[str], text: str, parameter: str) -> Point:
    """The point whose coordinates, in ``names`` order, are the texts ``raw``."""
    option = "{" + parameter + "}"
    param = (parameter,)
    exact: list[Any] = []
    values: list[float] = []
    decimals: list[str | None] = []
    for name, part in zip(names, raw):
        plain = _plain_number(part)
        if plain is not None:  # '3', '-1.25', '1e-3': thousands of stdin starts skip the parser
            exact.append(None)
            decimals.append(plain[0])
            values.append(plain[1])
            continue
        if not part.strip():
            raise UsageError(f"{option} {text!r}: coordinate {name} is empty", parameters=param)
        import sympy

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
        decimals.append(None)
        values.append(number)
    return Point(
        names=names,
        exact=None if all(d is not None for d in decimals) else tuple(exact),
        values=tuple(values),
        text=text.strip(),
        decimals=tuple(decimals),
    )


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


def _plain_number(text: str) -> tuple[str, float] | None:
    """A plain decimal literal as (its text, signed and without spaces; its float), or None to
    use the full parser. The exact value is made from the text only where it is needed
    (:func:`_decimal_exact`).

    A Unicode minus (−2, as gradcli's tables and typeset pages print it) is a minus."""
    text = text.strip().replace("−", "-")
    if not _PLAIN.fullmatch(text):
        return None
    number = float(text)
    if not math.isfinite(number) or (number != 0 and not 1e-300 < abs(number) < 1e300):
        return None  # out of the safe range: let the parser give its error
    return text, number


def _decimal_exact(text: str) -> Any:
    """The exact rational a plain decimal stands for: '0.1' is 1/10, as the user wrote it."""
    from gradcli.expr import literal

    exact = literal(text.lstrip("+-"))
    return -exact if text.startswith("-") else exact


# --- ranges ------------------------------------------------------------------------------------
_RANGE = ("range",)


def constant_float(text: str, what: str) -> float:
    """A range's or a bound's end as a float: a plain decimal read directly, as the parser would
    read it (the same correctly rounded float; −0 is 0, as sympy has it), anything else (``pi``,
    ``sqrt(2)``) through :func:`gradcli.expr.parse_constant` — its errors included."""
    plain = _plain_number(text)
    if plain is not None:
        return plain[1] + 0.0
    return float(parse_constant(text, what=what))


def _interval(text: str, what: str) -> tuple[float, float]:
    lo_text, sep, hi_text = text.partition(":")
    if not sep:
        raise UsageError(
            f"{what}: expected LO:HI, got {text!r}", hint="e.g. {range} -3:3", parameters=_RANGE
        )
    try:
        lo = constant_float(lo_text, "a range end")
        hi = constant_float(hi_text, "a range end")
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
                hint=f"variables: {few_names(names)}",
                parameters=_RANGE,
            )
        given[name] = _interval(spec.strip(), f"{{range}} {name}")
    default = (-5.0, 5.0)
    return tuple(given.get(n, default) for n in names)
