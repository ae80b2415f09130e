"""What every command reads: EXPR (typed, '-' for stdin, '@name' for a preset), points, and the
document it emits."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from gradcli.errors import UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.points import Point
    from gradcli.views.render import Document

STDIN_LIMIT = 1 << 20


def read_stdin_text(what: str) -> str:
    data = sys.stdin.read(STDIN_LIMIT + 1)
    if len(data) > STDIN_LIMIT:
        raise UsageError(f"{what} on stdin is too large (more than {STDIN_LIMIT} characters)")
    return data.strip()


def load_function(text: str, vars: str | None = None, let: str | None = None) -> Function:
    """EXPR as typed ('-' = stdin, '@name' = a preset) -> a parsed :class:`Function`."""
    from gradcli.expr import parse

    if text.strip() == "-":
        text = read_stdin_text("the expression")
    if text.strip().startswith("@"):
        from gradcli.presets import expand

        expanded = expand(text.strip())
        if expanded is not None:
            sys.stderr.write(f"gradcli: {text.strip()} = {expanded}\n")
            text = expanded
    return parse(text, vars=vars, let=let)


def load_points(texts: list[str] | None, fn: Function, option: str = "--at") -> list[Point]:
    """The points given with ``option`` (repeatable, '-' for stdin); errors name that flag."""
    from gradcli.points import parse_points

    return parse_points(texts or [], fn, parameter=option.lstrip("-").replace("-", "_"))


def stdin_users(expr: str, *point_lists: list[str] | None) -> None:
    """Refuse reading stdin twice (EXPR '-' and a '-' point list)."""
    users = int(expr.strip() == "-") + sum(
        1 for texts in point_lists for t in (texts or []) if t.strip() == "-"
    )
    if users > 1:
        raise UsageError("only one of EXPR and the point options can read stdin ('-')")


def emit(doc: Document, fmt: str, command: str) -> None:
    from gradcli.views.render import check_format, render

    check_format(fmt, doc.formats(), command)
    render(doc, fmt)
