"""The one render path: strict JSON, CSV that round-trips, tables at a fixed width."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from gradcli.views.render import Document, Table, dumps, jsonable, render


def doc() -> Document:
    return Document(
        record={"value": math.nan, "list": [1.0, math.inf, -math.inf], "ok": 0.1},
        fields=[("function", "f(x) = x**2")],
        tables=[Table(["step", "x"], [["0", "1"], ["1", "0.8"], ["99", "0"]], gap_after=1)],
        notes=["a note"],
        stream=[{"a": 1.0}, {"a": math.nan}],
        csv_header=["x", "f"],
        csv_rows=[[0.1, 1 / 3], [math.nan, 2.0]],
        latex=r"\frac{1}{2}",
    )


def test_json_is_strict_with_null_for_non_finite() -> None:
    out = io.StringIO()
    render(doc(), "json", out)

    def refuse(name: str) -> None:
        raise ValueError(name)

    data = json.loads(out.getvalue(), parse_constant=refuse)
    assert data == {"value": None, "list": [1.0, None, None], "ok": 0.1}


def test_ndjson_streams_one_strict_object_per_line() -> None:
    out = io.StringIO()
    render(doc(), "ndjson", out)
    assert out.getvalue().splitlines() == ['{"a": 1.0}', '{"a": null}']


def test_csv_round_trips_full_precision() -> None:
    out = io.StringIO()
    render(doc(), "csv", out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["x", "f"]
    assert float(rows[1][1]) == 1 / 3
    assert rows[2][0] == ""


def test_table_at_fixed_width_shows_fields_gap_and_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    render(doc(), "table", out)
    text = out.getvalue()
    assert "function  f(x) = x**2" in text
    assert "⋮" in text
    assert "a note" in text
    assert "\x1b[" not in text  # not a terminal and NO_COLOR: plain text
    assert max(len(line) for line in text.splitlines()) <= 60


def test_jsonable_handles_numpy_scalars() -> None:
    import numpy as np

    assert jsonable({"a": np.float64(1.5), "b": np.array([1.0, np.nan])}) == {
        "a": 1.5,
        "b": [1.0, None],
    }
    assert dumps({"x": float("inf")}) == '{"x": null}'
