"""Safe expression parsing: user text -> :class:`~gradcli.function.Function`. The only parser.

No user text ever reaches Python ``eval``/``exec`` (``sympify`` and ``parse_expr`` eval their input,
and restricting their globals does not stop attribute access). Instead:

1. :mod:`~gradcli.expr.tokens` reads the text with a tokenizer of our own, rejects every character
   and name outside the grammar (:mod:`~gradcli.expr.grammar`) with a caret and a reason, and
   rewrites the accepted conveniences into plain Python syntax, keeping a map back to the columns;
   on the way, :mod:`~gradcli.expr.bars` pairs ``|x|`` bars and :mod:`~gradcli.expr.notation` reads
   the notation of lessons (``f(x, y) = ...``, ``sin^2(x)``, ``σ(z)``) and notes glued names such
   as ``xy`` as notes (:class:`~gradcli.function.ReadingNote`) on the result (it never prints);
2. :mod:`~gradcli.expr.build` lets ``ast.parse`` build a syntax tree only (nothing is compiled or
   run), checks every node against an allowlist and builds the sympy expression bottom-up, with the
   size of every constant tracked so that ``9**9**9**9`` is refused before sympy computes anything.

This module is the public face: parse a function, a constant, ``let`` substitutions and a variable
order. Errors name the ``let`` and ``vars`` parameters as ``{let}``/``{vars}`` placeholders, which
the CLI fills with its flags.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from gradcli.errors import ParseError, UsageError, few_names
from gradcli.expr.build import build_function, build_sympy, literal
from gradcli.expr.grammar import CONSTANT_NAMES, FUNCTION_NAMES, FUNCTIONS_DOC, MAX_LENGTH, NAME_RE

# Not public: kept importable here because the tests check the table against FUNCTIONS_DOC.
from gradcli.expr.grammar import function_table as _function_table  # noqa: F401
from gradcli.function import Function, ReadingNote

__all__ = [
    "FUNCTIONS_DOC",
    "FUNCTION_NAMES",
    "MAX_LENGTH",
    "ReadingNote",
    "literal",
    "natural_key",
    "parse",
    "parse_constant",
    "parse_let",
    "parse_vars",
    "split_top_level",
]

_NATURAL_RE = re.compile(r"(\d+)")


def natural_key(name: str) -> list[Any]:
    """Sort key putting x2 before x10."""
    return [int(part) if part.isdigit() else part for part in _NATURAL_RE.split(name)]


def parse_constant(text: str, *, what: str = "value", parameters: tuple[str, ...] = ()) -> Any:
    """A constant expression ('pi/4', 'sqrt(2)', '-1e-3', '1/3') as an exact sympy number.

    Refuses variables, and values that are not finite real numbers. ``what`` names the value in
    errors; it may hold placeholders of ``parameters`` (``what="{let} a", parameters=("let",)``).
    """
    import sympy

    expr, symbols = build_sympy(text.strip())
    if symbols:
        name = sorted(symbols)[0]
        raise ParseError(
            f"{what} must be a number or a constant expression, not the variable {name!r}",
            source=text,
            column=max(text.find(name), 0),
            parameters=parameters,
        )
    value = complex(sympy.N(expr, 17))
    if value.imag != 0 or not math.isfinite(value.real):
        raise ParseError(
            f"{what} {text.strip()!r} is not a finite real number", parameters=parameters
        )
    return expr


def parse_let(text: str | None) -> dict[str, Any]:
    """``"a=2,b=0.5"`` (the ``let`` parameter as text) -> {'a': 2, 'b': 1/2}."""
    result: dict[str, Any] = {}
    if not text:
        return result
    for part in split_top_level(text):
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not NAME_RE.fullmatch(name) or name.startswith("_"):
            raise UsageError(
                f"{{let}} expects name=value pairs, got {part.strip()!r}",
                hint="e.g. {let} a=2,b=0.5",
                parameters=("let",),
            )
        if name in CONSTANT_NAMES or name in FUNCTION_NAMES:
            raise UsageError(f"{{let}} cannot redefine {name!r}", parameters=("let",))
        try:
            result[name] = parse_constant(value, what=f"{{let}} {name}", parameters=("let",))
        except ParseError as exc:
            if exc.template.startswith("{let}"):
                raise
            # the caret is under the value: say which --let pair it belongs to
            raise ParseError(
                f"{{let}} {name}: {exc.template}",
                hint=exc.hint_template,
                source=exc.source,
                column=exc.column,
                parameters=("let", *exc.parameters),
            ) from None
    return result


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets: 'atan2(1,2),3' -> ['atan2(1,2)', '3']."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_vars(text: str | None) -> list[str] | None:
    """``"y,x"`` (the ``vars`` parameter as text) -> ['y', 'x']; None when not given."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if (
            not NAME_RE.fullmatch(name)
            or name.startswith("_")
            or name in CONSTANT_NAMES | FUNCTION_NAMES
        ):
            raise UsageError(
                f"{{vars}}: {name!r} is not a valid variable name",
                parameters=("vars",),
            )
    if len(set(names)) != len(names):
        raise UsageError("{vars} names a variable twice", parameters=("vars",))
    if not names:
        raise UsageError("{vars} is empty", parameters=("vars",))
    return names


def _exact(value: Any) -> Any:
    """A ``let`` value handed in from Python: plain numbers become exact, as if typed (0.1 is 1/10)."""
    import sympy

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int):
        return sympy.Integer(value)
    if not math.isfinite(value):
        raise UsageError(f"{{let}} values must be finite, got {value!r}", parameters=("let",))
    return sympy.Rational(repr(value))


def parse(
    text: str,
    vars: Sequence[str] | str | None = None,
    let: dict[str, Any] | str | None = None,
) -> Function:
    """Parse user text into a :class:`Function` with real variables in natural order.

    ``vars`` fixes the variable order (and may add variables the formula does not use); ``let``
    substitutes constants (``{'a': 2}`` or ``"a=2,b=1/2"``) before anything else. The text may
    name its result, ``y = 5x``, or its variables too, ``f(x, y) = x^2 + y^2`` (which fixes the
    order as ``vars`` does). The function's ``notes`` say how ambiguous spellings were read.
    """
    import sympy

    lets = (
        parse_let(let)
        if isinstance(let, str) or let is None
        else {name: _exact(value) for name, value in let.items()}
    )
    known = vars.split(",") if isinstance(vars, str) else (vars or ())
    reading = build_function(text, lets, letters=[n.strip() for n in known])
    expr, symbols = reading.expr, reading.symbols
    order = (
        parse_vars(vars) if isinstance(vars, str) else (list(vars) if vars is not None else None)
    )
    head = reading.head
    if head is not None and head.variables is not None:
        order = _head_order(head.name, head.variables, order, lets, reading.columns, symbols, text)
    if order is None:
        names = sorted(symbols, key=natural_key)
    else:
        missing = [s for s in sorted(symbols, key=natural_key) if s not in order]
        if missing:
            raise UsageError(
                f"the expression uses {few_names(missing)}, which {{vars}} does not list",
                hint=f"{{vars}} {','.join([*order, *missing])}"
                if len(order) + len(missing) <= 6
                else "list them in {vars} too, or leave {vars} out for the natural order",
                parameters=("vars",),
            )
        names = list(order)
    variables = tuple(symbols.get(n) or sympy.Symbol(n, real=True) for n in names)
    return Function(expr=expr, variables=variables, source=text, notes=reading.notes)


def _head_order(
    name: str,
    listed: Sequence[str],
    order: list[str] | None,
    lets: dict[str, Any],
    columns: dict[str, int],
    symbols: dict[str, Any],
    text: str,
) -> list[str]:
    """The variable order ``f(x, y) = ...`` gives: its list without the ``let`` constants, which must
    agree with ``vars`` if that is given too, and must hold every variable of the formula."""
    own = [n for n in listed if n not in lets]
    if order is not None and order != own:
        raise UsageError(
            f"{{vars}} {','.join(order) if len(order) <= 6 else few_names(order, count=False)} "
            f"and {name}({few_names(own, count=False)}) left of '=' disagree on the variables",
            hint="give the order once",
            parameters=("vars",),
        )
    missing = [s for s in sorted(symbols, key=natural_key) if s not in own]
    if missing:
        first = min(missing, key=lambda s: columns.get(s, 0))
        hint = (
            f"{name}({', '.join([*own, *missing])}) = ..., or give it a value with {{let}}"
            if len(own) + len(missing) <= 6
            else f"add it to {name}(…), or give it a value with {{let}}"
        )
        if len(first) > 1 and all(c in own for c in first):  # 'f(x, y) = xy': a product, surely
            hint = f"write {'*'.join(first)} for a product"
        raise ParseError(
            f"the formula uses {first}, which {name}({few_names(own, count=False)}) does not list",
            source=text,
            column=columns.get(first, 0),
            hint=hint,
            parameters=("let",),
        )
    return own
