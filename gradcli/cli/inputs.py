"""What every command reads: EXPR (typed, '-' for stdin, '@name' for a preset), points, and the
document it emits."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TextIO, TypeVar

from gradcli.errors import GradcliError, UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.points import Point
    from gradcli.views.render import Document

STDIN_LIMIT = 1 << 20
MAX_BAD_LINES = 10  # reported one by one; after that the input is garbage, not a typo: stop
T = TypeVar("T")


def stdin_stream(what: str) -> TextIO:
    """Standard input, when '-' asked for it; a usage error (exit 2) when there is none to read.

    A process started with stdin closed (``0<&-``) has ``sys.stdin`` None. (A folder as stdin is
    refused by the Python interpreter itself, before gradcli runs.)
    """
    stream = sys.stdin
    if stream is None or getattr(stream, "closed", False):
        raise UsageError(f"'-' reads {what} from standard input, but it is closed")
    return stream


def read_stdin_text(what: str) -> str:
    stream = stdin_stream(what)
    try:
        data = stream.read(STDIN_LIMIT + 1)
    except UnicodeDecodeError:
        raise UsageError(f"{what} on stdin is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} from standard input: {exc.strerror or exc}") from None
    if len(data) > STDIN_LIMIT:
        raise UsageError(f"{what} on stdin is too large (more than {STDIN_LIMIT} characters)")
    return data.strip()


def load_function(text: str, vars: str | None = None, let: str | None = None) -> Function:
    """EXPR as typed ('-' = stdin, '@name' = a preset) -> a parsed :class:`Function`."""
    return parse_function(function_text(text), vars, let)


def function_text(text: str) -> str:
    """EXPR as typed -> the expression to parse: '-' read from stdin, '@name' expanded (and the
    expansion echoed on stderr)."""
    if text.strip() == "-":
        text = read_stdin_text("the expression")
    if text.strip().startswith("@"):
        from gradcli.presets import expand

        expanded = expand(text.strip())
        if expanded is not None:
            from gradcli.cli.app import write_stderr
            from gradcli.views.render import printable

            write_stderr(f"gradcli: {printable(text.strip())} = {printable(expanded)}\n")
            text = expanded
    return text


def parse_function(text: str, vars: str | None = None, let: str | None = None) -> Function:
    """:func:`gradcli.expr.parse`, with how ambiguous spellings were read on stderr."""
    from gradcli.expr import parse

    fn = parse(text, vars=vars, let=let)
    write_notes(reading_notes(fn))
    return fn


def reading_notes(fn: Function) -> list[str]:
    """How ambiguous spellings were read ('xy' is one variable): the stderr lines, one each."""
    from gradcli.views.render import printable

    return [f"gradcli: note: {printable(note.message)}\n" for note in fn.notes]


def write_notes(lines: list[str]) -> None:
    if lines:
        from gradcli.cli.app import write_stderr

        for line in lines:
            write_stderr(line)


def load_points(texts: list[str] | None, fn: Function, option: str = "--at") -> list[Point]:
    """The points given with ``option`` (repeatable, '-' for stdin); errors name that flag."""
    from gradcli.points.lines import parse_points

    texts = texts or []
    stdin = stdin_stream("points") if reads_stdin(texts) else None
    return parse_points(texts, fn, parameter=_parameter(option), stdin=stdin)


def reads_stdin(texts: list[str] | None) -> bool:
    return any(t.strip() == "-" for t in texts or [])


def _parameter(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


class PointStream:
    """The points of ``--at`` (with '-' for one per line of stdin), answered as they are read.

    ``answers(compute)`` yields ``compute(point)`` for each point in order. A bad line (not a point)
    or a point where the answer is undefined (a :class:`~gradcli.errors.GradcliError` from
    ``compute``) is reported at once on stderr, with its line number, and skipped: the good answers
    are all still written. :meth:`finish` then exits with the worst code seen (2 for a bad line, 1
    for an undefined value), so a script still learns that something was wrong. After
    :data:`MAX_BAD_LINES` bad lines the rest of stdin is not read: a megabyte of garbage gets a
    few lines of errors, not a megabyte of them.
    """

    def __init__(self, texts: list[str] | None, fn: Function, option: str = "--at") -> None:
        self.texts = texts or []
        self.fn = fn
        self.option = option
        self.stdin = stdin_stream("points") if reads_stdin(self.texts) else None
        self.failed: int = 0
        self.bad = 0  # lines that were not points

    def answers(self, compute: Callable[[Point], T]) -> Iterator[T]:
        from gradcli.cli.app import report_error
        from gradcli.points.lines import iter_points, on_line

        parameter = _parameter(self.option)
        for line, point in iter_points(self.texts, self.fn, parameter=parameter, stdin=self.stdin):
            if isinstance(point, GradcliError):
                self.bad += 1
                if self.bad > MAX_BAD_LINES:
                    raise UsageError(
                        f"stdin line {line}: more than {MAX_BAD_LINES} lines are not points; "
                        "stopped reading"
                    )
                report_error(point)
                self.failed = max(self.failed, point.exit_code)
                continue
            try:
                yield compute(point)
            except GradcliError as exc:
                if line is None:
                    raise  # a point typed on the command line fails the command, as ever
                report_error(on_line(exc, line))
                self.failed = max(self.failed, exc.exit_code)

    def finish(self) -> None:
        """Exit with the worst code seen once every answer is written (nothing if all were good)."""
        if self.failed:
            import typer

            raise typer.Exit(self.failed)


STREAMED = ("ndjson", "csv")  # the formats written one record per point, as the points are read


def streamed(document: Callable[[list[T]], Document], answers: Iterable[T], fmt: str) -> Document:
    """A document whose NDJSON records or CSV rows are made one answer at a time, as ``answers``
    yields them (each answer is viewed through ``document`` on its own): the first is written
    before the second point is read, and a bad line costs only itself."""
    from dataclasses import replace

    head = document([])
    ones = (document([answer]) for answer in answers)
    if fmt == "csv":
        rows = (row for one in ones for row in one.csv_rows or ())
        return replace(head, csv_rows=rows, flush_rows=True)
    return replace(head, stream=(record for one in ones for record in one.stream or ()))


def check_at(check: bool, h: float | None, at: list[str] | None) -> bool:
    """Whether to compare with finite differences: --check, or a step given with --h (a step is
    asked for to see its slope). Either needs a point to take the slope at: without --at it
    would silently do nothing, so it is refused."""
    check = check or h is not None
    if check and not at:
        flag = "{h}" if h is not None else "{check}"
        raise UsageError(
            f"{flag} takes the slope of a small step at a point, and no point is given",
            hint="add {at} P, e.g. {at} 2",
            parameters=("h", "check", "at"),
        )
    return check


def stdin_users(expr: str, *point_lists: list[str] | None) -> None:
    """Refuse reading stdin twice (EXPR '-' and a '-' point list)."""
    users = int(expr.strip() == "-") + sum(
        1 for texts in point_lists for t in (texts or []) if t.strip() == "-"
    )
    if users > 1:
        raise UsageError("only one of EXPR and the point options can read stdin ('-')")


def emit(doc: Document, fmt: str, command: str) -> None:
    """Write ``doc`` in ``fmt``: the format is checked first, then the figures the command wrote
    are put in place (a refused format leaves every target untouched), then the output follows."""
    from gradcli.cli.process import commit_files
    from gradcli.views.render import check_format, render

    check_format(fmt, doc.formats(), command)
    commit_files()
    render(doc, fmt)
