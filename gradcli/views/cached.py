"""The documents of ``grad`` and ``partial`` answered from the result cache.

What does not depend on the point (the function, its derivatives as text, the table's heading
lines, the CSV header, the LaTeX) was made by :mod:`gradcli.views.symbolic` in an earlier run and
stored as :func:`head`; what does is made here from :mod:`gradcli.cache.answers`, cell by cell as
``gradient_document`` and ``partial_document`` make it, with the exact numbers written as sympy's
printers write them. No sympy: these are rationals and c·√z, written here, and values such as
sin(13/10)/2 (:class:`~gradcli.cache.answers.Inexact`), whose forms
:mod:`gradcli.cache.forms` writes where it can promise them: :func:`printable` says whether a
format would show a form not known for certain, and then the fast path leaves the point to the
full path.
``tests/test_cache.py`` and ``tests/test_cache_transcendental.py`` render both documents and
compare the bytes with the full path's.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

from gradcli.cache.answers import Coordinates, Exact, GradAnswer, Inexact, Number, PartialAnswer
from gradcli.views.render import Document, Table
from gradcli.views.text import EXACT_MAX_LENGTH, decimal, vector


def head(doc: Document) -> dict[str, Any]:
    """The point-independent parts of a document made for no points, as JSON data."""
    return {
        "record": doc.record,
        "fields": [list(f) for f in doc.fields],
        "notes": list(doc.notes),
        "csv_header": doc.csv_header,
        "latex": doc.latex,
    }


def formats(stored: dict[str, Any]) -> tuple[str, ...]:
    return _document(stored, [], [], [], streamed=False).formats()


def printable(answers: list[GradAnswer] | list[PartialAnswer], fmt: str) -> bool:
    """Whether ``fmt`` can be written without an exact form this module does not know for
    certain. JSON and NDJSON hold every exact form: each must be the one form the full path
    prints. A table shows one only when it has at most EXACT_MAX_LENGTH characters, so a value
    whose possible forms are all longer is shown as its decimal alone, whichever the full path
    chose. CSV and LaTeX hold none (LaTeX is point-free)."""
    if fmt in ("csv", "latex"):
        return True
    if fmt != "table":
        numbers = [x for a in answers for x in a.numbers]
        return all(not isinstance(x, Inexact) or x.form is not None for x in numbers)
    shown = [x for a in answers for x in _shown(a) if isinstance(x, Inexact)]
    return all(x.form is not None or _hidden(x) for x in shown)


def _hidden(x: Inexact) -> bool:
    """Whether every form the full path may print for ``x`` is too long for a table."""
    return bool(x.forms) and all(len(f.pretty) > EXACT_MAX_LENGTH for f in x.forms)


def _shown(a: GradAnswer | PartialAnswer) -> tuple[Number, ...]:
    """The numbers a table shows: a 1-variable gradient has no row for its norm."""
    if isinstance(a, GradAnswer) and len(a.gradient) == 1:
        return (a.value, *a.gradient)
    return a.numbers


# --- exact numbers as text --------------------------------------------------------------------------
def _rational(c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"


def machine(x: Number) -> str | None:
    """sympy's ``sstr``: 25/4, 2*sqrt(10), sqrt(689)/8, 3*sqrt(2)/4; None for a form not known
    here (:func:`printable` keeps JSON, which holds it, from being written)."""
    if isinstance(x, Inexact):
        return None if x.form is None else x.form.machine
    if x.z == 1:
        return _rational(x.c)
    p, q = x.c.numerator, x.c.denominator
    text = f"sqrt({x.z})" if p == 1 else f"{p}*sqrt({x.z})"
    return text if q == 1 else f"{text}/{q}"


def pretty(x: Exact) -> str:
    """gradcli's Unicode printer: 25/4, 2√10, √689/8, 3√2/4."""
    if x.z == 1:
        return _rational(x.c)
    p, q = x.c.numerator, x.c.denominator
    text = f"√{x.z}" if p == 1 else f"{p}√{x.z}"
    return text if q == 1 else f"{text}/{q}"


def number(x: Number, precision: int) -> str:
    """:func:`gradcli.views.text.number` for c·√z: '6', '25/4 ≈ 6.25', '2√10 ≈ 6.32456'; the
    decimal alone for an exact form longer than EXACT_MAX_LENGTH (see :func:`printable`)."""
    dec = decimal(x.value, precision)
    if isinstance(x, Inexact):
        if x.form is None:
            return dec  # right where every form is long; printable() keeps other tables unwritten
        text = x.form.pretty
    elif x.is_integer:
        return str(x.c.numerator) if abs(x.c.numerator) < 10**15 else dec
    else:
        text = pretty(x)
    if len(text) > EXACT_MAX_LENGTH or text == dec:
        return dec
    return f"{text} ≈ {dec}"


def label(at: Coordinates) -> str:
    """Point.label(): each coordinate as sympy writes it, or 6 digits when that is long."""
    parts = []
    for c, v in zip(at.exact, at.values):
        text = _rational(c)
        parts.append(text if len(text) <= 24 else f"{v:.6g}")
    return "(" + ", ".join(parts) + ")"


def _at(names: list[str], at: Coordinates) -> dict[str, float]:
    return dict(zip(names, at.values))


# --- grad ------------------------------------------------------------------------------------------
def gradient_document(
    stored: dict[str, Any], answers: list[GradAnswer], precision: int, *, streamed: bool
) -> Document:
    names: list[str] = stored["record"]["variables"]
    records = [_grad_record(names, a) for a in answers]
    tables = [Table(["at " + label(a.at), ""], _grad_rows(names, a, precision)) for a in answers]
    csv_rows = [
        [
            *a.at.values,
            a.value.value,
            *(g.value for g in a.gradient),
            a.norm.value,
            False,
            "",
        ]
        for a in answers
    ]
    return _document(stored, records, tables, csv_rows, streamed=streamed)


def _grad_record(names: list[str], a: GradAnswer) -> dict[str, Any]:
    return {
        "at": _at(names, a.at),
        "value": a.value.value,
        "gradient": [g.value for g in a.gradient],
        "norm": a.norm.value,
        "stationary": False,
        "ascent": list(a.ascent),
        "descent": [-c for c in a.ascent],
        "exact": {
            "value": machine(a.value),
            "gradient": [machine(g) for g in a.gradient],
            "norm": machine(a.norm),
        },
        "differentiable": True,
    }


def _grad_rows(names: list[str], a: GradAnswer, precision: int) -> list[list[str]]:
    rows = [["f", number(a.value, precision)]]
    if len(names) == 1:
        rows.append([f"f′({names[0]})  (slope)", number(a.gradient[0], precision)])
        return rows
    shown = "(" + ", ".join(number(g, precision) for g in a.gradient) + ")"
    rows.append(["∇f", shown])
    rows.append(["‖∇f‖", number(a.norm, precision)])
    descent = tuple(-c for c in a.ascent)
    rows.append(["steepest ascent", vector(a.ascent, precision) + "  (∇f/‖∇f‖)"])
    rows.append(["steepest descent", vector(descent, precision) + "  (−∇f/‖∇f‖)"])
    return rows


# --- partial ---------------------------------------------------------------------------------------
def partial_document(
    stored: dict[str, Any], answers: list[PartialAnswer], precision: int, *, streamed: bool
) -> Document:
    names: list[str] = stored["record"]["variables"]
    name: str = stored["name"]
    records = [
        {
            "at": _at(names, a.at),
            "value": a.value.value,
            "derivative": a.derivative.value,
            "exact": {"value": machine(a.value), "derivative": machine(a.derivative)},
        }
        for a in answers
    ]
    tables = [
        Table(
            ["at " + label(a.at), ""],
            [["f", number(a.value, precision)], [name, number(a.derivative, precision)]],
        )
        for a in answers
    ]
    csv_rows = [[*a.at.values, a.value.value, a.derivative.value] for a in answers]
    return _document(stored, records, tables, csv_rows, streamed=streamed)


def _document(
    stored: dict[str, Any],
    records: list[dict[str, Any]],
    tables: list[Table],
    csv_rows: list[list[Any]],
    *,
    streamed: bool,
) -> Document:
    record = copy.copy(stored["record"])
    record["points"] = records  # in the place the stored record keeps for it
    return Document(
        record=record,
        fields=[(str(a), str(b)) for a, b in stored["fields"]],
        tables=tables,
        notes=list(stored["notes"]),
        stream=records,
        csv_header=stored["csv_header"],
        csv_rows=csv_rows,
        latex=stored["latex"],
        flush_rows=streamed,
    )
