"""The document ``gradcli plot`` prints about the figure it wrote: where, how large, what it shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gradcli.views.descent import machine_text, run_json
from gradcli.views.render import Document, Table
from gradcli.views.text import decimal, vector

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.plotting import Plot
    from gradcli.points import Point


def origins_of(runs: list[dict[str, Any]]) -> set[tuple[float, ...]]:
    return {tuple(r["start"].values()) for r in runs}


def figure_document(
    fn: Function,
    drawn: Function,
    fixed: dict[str, Any],
    points: list[Point],
    runs: list[Any],
    figure: Plot,
    output: str,
    fmt: str,
) -> Document:
    import numpy as np

    compiled = figure.compiled
    width, height = figure.figure.canvas.get_width_height()
    ranges = figure.ranges
    record: dict[str, Any] = {
        "function": machine_text(fn),
        "variables": list(fn.names),
        "output": output,
        "format": fmt,
        "kind": "animation" if fmt == "gif" or figure.frames else figure.kind,
        "pixels": [width, height],
        "range": {name: list(bounds) for name, bounds in ranges.items()},
        "slice": {name: float(value) for name, value in fixed.items()},
        "levels": None if figure.kind == "curve" else ("log" if figure.log_levels else "linear"),
        "points": [],
        "runs": [],
        "notes": list(figure.notes),
    }
    for p in points:
        x = np.asarray(p.values, dtype=float)
        record["points"].append(
            {
                "at": p.as_dict(),
                "value": float(compiled.value(x)),
                "gradient": [float(g) for g in compiled.gradient(x)],
            }
        )
    # each run as descend's JSON has it (views.descent.run_json), without the recorded steps
    record["runs"] = [run_json(run, drawn.names, steps=False) for run in runs]
    shown_range = ", ".join(
        f"{n} ∈ [{decimal(lo, 4, typographic=True)}, {decimal(hi, 4, typographic=True)}]"
        for n, (lo, hi) in ranges.items()
    )
    fields = [("function", str(fn)), ("wrote", f"{output}  ({fmt}, {width}×{height} px)")]
    fields.append(("range", shown_range))
    if fixed:
        fields.append(("slice", ", ".join(f"{n} = {v}" for n, v in fixed.items())))
    if record["levels"]:
        fields.append(("levels", f"{record['levels']}-spaced"))
    tables = []
    if runs:
        several = len(origins_of(record["runs"])) > 1
        rows = []
        for i, r in enumerate(record["runs"]):
            # newton, bfgs, lbfgs, cg have no learning rate (none among their hyperparameters)
            lr = decimal(r["lr"], 4, typographic=True) if "lr" in r["hyperparameters"] else "—"
            # runs compared across a knob (--clip-norm none,1) are told apart by their names
            settings = runs[i].settings
            row = [str(i + 1), settings.name if settings.compared else r["method"], lr]
            if several:
                row.append(vector(r["start"].values(), 3, typographic=True))
            end = vector(r["final"]["point"].values(), 3, typographic=True)
            row += [
                r["status"],
                str(r["iterations"]),
                end,
                decimal(r["final"]["value"], 4, typographic=True),
            ]
            rows.append(row)
        columns = ["run", "method", "lr", *(["start"] if several else [])]
        columns += ["status", "steps", "end", "f(end)"]
        tables.append(Table(columns, rows, title="descent runs drawn"))
        if not several:
            fields.append(
                ("from", vector(record["runs"][0]["start"].values(), 3, typographic=True))
            )
    return Document(record, fields=fields, tables=tables, notes=list(figure.notes), title=None)
