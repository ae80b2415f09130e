"""One render path for every command and format.

Commands never print. Each turns its result into a :class:`Document` — a format-neutral view with the
JSON record, heading fields, tables, notes, an optional row stream for CSV and a record stream for
NDJSON, and LaTeX where the result is symbolic — and :func:`render` writes it in the asked format.
rich is imported only for the table format, so machine formats never pass through its wrapping.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from gradcli.errors import UsageError

FORMATS = ("table", "json", "ndjson", "csv", "latex")


@dataclass
class Table:
    """A table for people: pre-formatted cells; ``gap_after`` draws a '⋮' row after that row index."""

    columns: list[str]
    rows: list[list[str]]
    title: str | None = None
    gap_after: int | None = None
    gap_label: str = "⋮"


@dataclass
class Document:
    """A result, viewed once, rendered in any format.

    ``record`` is the JSON document. ``fields`` are ``(label, text)`` heading lines of the table view.
    ``stream`` yields the NDJSON records (one object per line, written as produced); ``csv_header`` and
    ``csv_rows`` the CSV rows. Either stream may be a lazy iterator so long computations stream.
    """

    record: dict[str, Any]
    fields: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stream: Iterable[dict[str, Any]] | None = None
    csv_header: list[str] | None = None
    csv_rows: Iterable[Sequence[Any]] | None = None
    latex: str | None = None
    title: str | None = None
    # The producer promises csv_rows hold only int, str, finite float or None: written as they are.
    csv_plain: bool = False
    # The JSON text in pieces, written as produced (a long descent streams; ``record`` is then
    # only its heading). None: ``record`` is the JSON.
    json_text: Iterable[str] | None = None

    def formats(self) -> tuple[str, ...]:
        """The formats this document can be rendered in."""
        available = ["table", "json"]
        if self.stream is not None:
            available.append("ndjson")
        if self.csv_header is not None:
            available.append("csv")
        if self.latex is not None:
            available.append("latex")
        return tuple(available)


def check_format(fmt: str, available: Sequence[str], command: str) -> None:
    """Refuse a format the command cannot produce (exit 2), before any work is done."""
    if fmt not in available:
        raise UsageError(
            f"--format {fmt} is not available for {command}",
            hint=f"choose one of: {', '.join(available)}",
        )


def jsonable(value: Any) -> Any:
    """Strict-JSON form: non-finite floats become null, numpy scalars and tuples plain Python."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    # numpy scalars and arrays without importing numpy here
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if hasattr(value, "__float__"):
        return jsonable(float(value))
    return str(value)


def dumps(value: Any) -> str:
    """One strict JSON text (``allow_nan=False`` guarantees no NaN/Infinity ever leaks)."""
    return json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False)


def csv_cell(value: Any) -> Any:
    """Floats keep full precision (repr); non-finite values are written as empty cells."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if hasattr(value, "item"):
        return csv_cell(value.item())
    return "" if value is None else value


_PLAIN = (int, str)
_INFINITIES = (math.inf, -math.inf)


def _csv_row(row: Sequence[Any]) -> Sequence[Any]:
    """The row itself when csv can write it as is (the common case on a 100,000-step stream);
    otherwise a copy with non-finite floats blanked and numpy scalars unwrapped."""
    for v in row:
        if v.__class__ is float:
            if v != v or v in _INFINITIES:
                return [csv_cell(c) for c in row]
        elif v.__class__ not in _PLAIN and v is not None:
            return [csv_cell(c) for c in row]
    return row


def render(doc: Document, fmt: str, out: TextIO | None = None) -> None:
    """Write ``doc`` to ``out`` (stdout by default) in format ``fmt``."""
    out = out if out is not None else sys.stdout
    if fmt == "json" and doc.json_text is not None:
        for piece in doc.json_text:
            out.write(piece)
    elif fmt == "json":
        out.write(json.dumps(jsonable(doc.record), ensure_ascii=False, allow_nan=False, indent=2))
        out.write("\n")
    elif fmt == "ndjson":
        for rec in doc.stream if doc.stream is not None else [doc.record]:
            out.write(dumps(rec) + "\n")
            out.flush()  # streamed: a reader sees each record as soon as it exists
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(doc.csv_header or [])
        rows = doc.csv_rows or ()
        writer.writerows(rows if doc.csv_plain else map(_csv_row, rows))
    elif fmt == "latex":
        out.write((doc.latex or "") + "\n")
    else:
        _render_table(doc, out)
    out.flush()


def make_console(out: TextIO, *, stderr: bool = False) -> Any:
    """A rich Console honouring NO_COLOR and plain text when not on a terminal."""
    from rich.console import Console

    if os.environ.get("NO_COLOR"):
        # No escape codes at all: rich's no_color still emits bold and italics.
        return Console(file=out, color_system=None, highlight=False, soft_wrap=False, stderr=stderr)
    return Console(file=out, highlight=False, soft_wrap=False, stderr=stderr)


def _render_table(doc: Document, out: TextIO) -> None:
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    console = make_console(out)
    if doc.title:
        console.print(Text(doc.title, style="bold"))
    if doc.fields:
        width = max(len(label) for label, _ in doc.fields)
        for label, text in doc.fields:
            line = Text(label.ljust(width), style="bold cyan")
            line.append("  ")
            line.append(text)
            console.print(line)
    for table in doc.tables:
        rich_table = RichTable(
            title=table.title,
            box=box.SIMPLE_HEAD,
            title_justify="left",
            title_style="bold",
            header_style="bold",
            pad_edge=False,
            show_edge=False,
        )
        for col in table.columns:
            rich_table.add_column(col, overflow="fold")
        for i, row in enumerate(table.rows):
            rich_table.add_row(*row)
            if table.gap_after is not None and i == table.gap_after:
                rich_table.add_row(
                    *[table.gap_label if j == 0 else "⋮" for j in range(len(table.columns))],
                    style="dim",
                )
        console.print()
        console.print(rich_table)
    if doc.notes:
        console.print()
        for note in doc.notes:
            console.print(Text(note, style="italic"))


def stream_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """NDJSON lines for ``records`` (used by tests and by streaming commands)."""
    for rec in records:
        yield dumps(rec)
