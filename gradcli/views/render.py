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
import unicodedata
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
    # Rows arrive slowly (one per point read from stdin): each CSV row is flushed as it is written,
    # so a reader sees it at once. Off for fast streams, where a flush per row would cost.
    flush_rows: bool = False
    # The JSON text in pieces, written as produced (a long descent streams; ``record`` is then
    # only its heading). None: ``record`` is the JSON.
    json_text: Iterable[str] | None = None
    # The CSV rows after the header as text already written the way csv writes them, in pieces
    # (many rows each: a long descent's 100,000 rows cost a third less than through csv). None:
    # ``csv_rows`` are the rows.
    csv_text: Iterable[str] | None = None

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


def dumps(value: Any, *, ascii_only: bool = False) -> str:
    """One strict JSON text (``allow_nan=False`` guarantees no NaN/Infinity ever leaks).

    ``ascii_only`` escapes every non-ASCII character (``\\u2207``): the same JSON for a stream that
    cannot carry Unicode. Invisible characters (controls, bidi overrides) are always escaped, so
    JSON on a terminal cannot act on it.
    """
    return _escape_invisible(json.dumps(jsonable(value), ensure_ascii=ascii_only, allow_nan=False))


def _json_text(value: Any, *, ascii_only: bool) -> str:
    text = json.dumps(jsonable(value), ensure_ascii=ascii_only, allow_nan=False, indent=2)
    return _escape_invisible(text)


def _ascii_json(piece: str) -> str:
    """A piece of JSON text for a stream that cannot encode Unicode: every non-ASCII character
    (they occur only inside strings) as its \\u escape, so the JSON value is unchanged."""
    if piece.isascii():
        return _escape_invisible(piece)
    return _escape_invisible("".join(c if c.isascii() else _json_escape(c) for c in piece))


def _escape_invisible(text: str) -> str:
    # json.dumps escapes C0 controls but leaves DEL, C1 controls (0x9b is a terminal's CSI) and
    # format characters such as U+202E as they are. They occur only inside strings, where a \\u
    # escape means the same character: the JSON value is unchanged.
    if text.isprintable() or text.replace("\n", "").isprintable():
        return text
    return "".join(_json_escape(c) if c != "\n" and _hidden(c) else c for c in text)


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _hidden(char: str) -> bool:
    """A character that does something on a terminal instead of showing: controls, bidi
    overrides, invisible format characters, line separators (a plain space is shown)."""
    return not char.isprintable() and char != " " and unicodedata.category(char) != "Zs"


def printable(text: str, keep: str = "") -> str:
    """``text`` with every invisible character shown as an escape (``\\x1b``, ``\\u202e``, ``\\n``).

    For user text echoed to a terminal: an expression or a file name holding ESC, a right-to-left
    override or a NUL is shown as typed, and cannot clear the screen or reorder the line. ``keep``
    lists characters that stay as they are (a table cell's own line breaks).
    """
    if text.isprintable():
        return text
    return "".join(_visible(c) if _hidden(c) and c not in keep else c for c in text)


def _visible(char: str) -> str:
    escaped = repr(char)[1:-1]  # '\\x1b', '\\n', '\\u202e', '\\U000e0001'
    return escaped if escaped != char else f"\\u{ord(char):04x}"


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
    ascii_only = not _can_encode(out)
    if fmt == "json" and doc.json_text is not None:
        for piece in doc.json_text:
            out.write(_ascii_json(piece) if ascii_only else piece)
    elif fmt == "json":
        out.write(_json_text(doc.record, ascii_only=ascii_only))
        out.write("\n")
    elif fmt == "ndjson":
        for rec in doc.stream if doc.stream is not None else [doc.record]:
            out.write(dumps(rec, ascii_only=ascii_only) + "\n")
            out.flush()  # streamed: a reader sees each record as soon as it exists
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(doc.csv_header or [])
        rows = doc.csv_rows or ()
        if doc.csv_text is not None:
            for piece in doc.csv_text:
                out.write(piece)
        elif doc.flush_rows:
            out.flush()  # the header, before the first point is even read
            for row in rows:
                writer.writerow(row if doc.csv_plain else _csv_row(row))
                out.flush()
        else:
            writer.writerows(rows if doc.csv_plain else map(_csv_row, rows))
    elif fmt == "latex":
        out.write((doc.latex or "") + "\n")
    else:
        _render_table(doc, out)
    out.flush()


def _can_encode(out: TextIO) -> bool:
    """Whether ``out`` can carry the symbols gradcli writes ('∇', '‖', '≈'): not a latin-1 or an
    ASCII stream (``LC_ALL=C`` on an old system, ``PYTHONIOENCODING=ascii``)."""
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        "∇‖≈√∂²·×−".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


_ASCII = {
    "∇": "grad ",
    "∂": "d",
    "‖": "|",
    "≈": "~",
    "√": "sqrt",
    "·": "*",
    "×": "x",
    "−": "-",
    "–": "-",
    "—": "--",
    "→": "->",
    "←": "<-",
    "…": "...",
    "⋮": ":",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "π": "pi",
    "∞": "inf",
    "°": " deg",
    "±": "+/-",
    "²": "^2",
    "³": "^3",
    "⁻": "^-",
    "ᵀ": "^T",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
}


def ascii_text(text: str) -> str:
    """``text`` spelled in ASCII for a stream that cannot carry Unicode: '∇f' -> 'grad f',
    '≈' -> '~', 'é' -> 'e', anything else as an escape ('\\u2a2f')."""
    if text.isascii():
        return text
    return "".join(c if c.isascii() else _ascii_for(c) for c in text)


def _ascii_for(char: str) -> str:
    if char in _ASCII:
        return _ASCII[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if plain and plain.isprintable():
        return plain  # é -> e, ﬁ -> fi
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


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
    # Spelled in ASCII before rich measures it, where the stream cannot carry Unicode: the columns
    # line up with '|grad f|' as they do with '‖∇f‖'.
    plain = _can_encode(out)

    def shown(text: str, keep: str = "") -> str:
        return printable(text, keep) if plain else ascii_text(printable(text, keep))

    if doc.title:
        console.print(Text(shown(doc.title), style="bold"))
    if doc.fields:
        width = max(len(shown(label)) for label, _ in doc.fields)
        for label, text in doc.fields:
            line = Text(shown(label).ljust(width), style="bold cyan")
            line.append("  ")
            line.append(shown(text))  # user text (a file name in 'wrote') shown escaped
            console.print(line)
    for table in doc.tables:
        rich_table = RichTable(
            title=shown(table.title) if table.title else None,
            box=box.SIMPLE_HEAD,
            title_justify="left",
            title_style="bold",
            header_style="bold",
            pad_edge=False,
            show_edge=False,
        )
        for col in table.columns:
            rich_table.add_column(shown(col), overflow="fold")
        for i, row in enumerate(table.rows):
            rich_table.add_row(*(shown(cell, "\n") for cell in row))  # a cell may have lines
            if table.gap_after is not None and i == table.gap_after:
                rich_table.add_row(
                    *[shown(table.gap_label if j == 0 else "⋮") for j in range(len(table.columns))],
                    style="dim",
                )
        console.print()
        console.print(rich_table)
    if doc.notes:
        console.print()
        for note in doc.notes:
            console.print(Text(shown(note), style="italic"))


def stream_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """NDJSON lines for ``records`` (used by tests and by streaming commands)."""
    for rec in records:
        yield dumps(rec)
