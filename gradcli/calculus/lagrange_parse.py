"""Reading equality constraints for ``--subject-to``: ``g = c`` with an expression on each side
(or an expression alone, meaning ``= 0``), each side read by gradcli's own parser — nothing the user
typed reaches eval or sympify — and the problem's variables: f's and the constraints' together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gradcli.errors import ParseError, UsageError
from gradcli.expr import natural_key, parse
from gradcli.function import Function

_PARAMETER = ("subject_to",)


@dataclass(frozen=True)
class Constraint:
    """One equality constraint ``expr = 0`` (``expr`` is g − c), with the text as typed."""

    expr: Any
    text: str
    left: Any = None  # the two sides as typed (right 0 for an expression alone), for display
    right: Any = None


def _equals_sign(text: str) -> list[int]:
    """Columns of the '=' signs that are not part of '==', '<=', '>=' or '!='."""
    out = []
    for i, c in enumerate(text):
        if c != "=":
            continue
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if before not in ("=", "<", ">", "!") and after != "=":
            out.append(i)
    return out


def _side(text: str, start: int, stop: int, vars: Any, let: Any) -> Function:
    piece = text[start:stop]
    try:
        return parse(piece, vars=vars, let=let)
    except UsageError as exc:  # point the caret into the whole constraint, name the option
        column = None if exc.column is None else exc.column + start
        raise type(exc)(
            "{subject_to}: " + exc.template,
            hint=exc.hint_template,
            source=text if exc.source is not None else None,
            column=column,
            parameters=(*exc.parameters, *_PARAMETER),
        ) from None


def parse_constraint(text: str, vars: Any = None, let: Any = None) -> Constraint:
    """``"x^2 + y^2 = 1"`` → the constraint x² + y² − 1 = 0; an expression alone means ``= 0``."""
    signs = _equals_sign(text)
    if len(signs) > 1:
        raise ParseError(
            "{subject_to}: a constraint has one '=' sign",
            source=text,
            column=signs[1],
            hint="give each constraint its own {subject_to}",
            parameters=_PARAMETER,
        )
    if signs:
        (k,) = signs
        if not text[:k].strip() or not text[k + 1 :].strip():
            raise ParseError(
                "{subject_to}: an expression is needed on each side of '='",
                source=text,
                column=k,
                hint='e.g. {subject_to} "x^2 + y^2 = 1"',
                parameters=_PARAMETER,
            )
        left = _side(text, 0, k, vars, let)
        right = _side(text, k + 1, len(text), vars, let)
        sides = (left.expr, right.expr)
    else:
        import sympy

        sides = (_side(text, 0, len(text), vars, let).expr, sympy.Integer(0))
    expr = sides[0] - sides[1]
    if not expr.free_symbols:
        raise UsageError(
            f"{{subject_to}} {text!r} involves no variable: it constrains nothing",
            parameters=_PARAMETER,
        )
    return Constraint(expr, text.strip(), *sides)


def constrained(
    fn: Function, texts: Sequence[str], vars: Any = None, let: Any = None
) -> tuple[Function, tuple[Constraint, ...]]:
    """f over the variables of f and of the constraints (natural order, or ``vars``'s), and the
    constraints. A variable only a constraint mentions is a variable of the problem: f = x on
    x + y = 1 is a problem in x and y."""
    constraints = tuple(parse_constraint(t, vars, let) for t in texts)
    if not constraints:
        raise UsageError("{subject_to} needs a constraint", parameters=_PARAMETER)
    symbols = {v.name: v for v in fn.variables}
    for c in constraints:
        for s in c.expr.free_symbols:
            symbols.setdefault(s.name, s)
    if vars is not None:  # parse has already refused a name that --vars does not list
        return fn, constraints
    names = sorted(symbols, key=natural_key)
    variables = tuple(symbols[n] for n in names)
    return Function(fn.expr, variables, fn.source, fn.notes), constraints


__all__ = ["Constraint", "constrained", "parse_constraint"]
