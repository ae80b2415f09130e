"""Documents for the named test functions (``gradcli functions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gradcli.views.render import Document, Table
from gradcli.views.text import decimal, vector

if TYPE_CHECKING:
    from gradcli.presets import Preset


def _range_text(preset: Preset, precision: int) -> str:
    (x0, x1), (y0, y1) = preset.range
    x = f"[{decimal(x0, precision, typographic=True)}, {decimal(x1, precision, typographic=True)}]"
    return f"{x} × [{decimal(y0, precision, typographic=True)}, {decimal(y1, precision, typographic=True)}]"


def _record(preset: Preset) -> dict[str, Any]:
    globals_ = set(preset.global_minima)
    return {
        "name": preset.name,
        "title": preset.title,
        "formula": preset.formula,
        "description": preset.description,
        "range": {"x": list(preset.range[0]), "y": list(preset.range[1])},
        "start": {"x": preset.start[0], "y": preset.start[1]},
        "minima": [
            {"at": {"x": m[0], "y": m[1]}, "value": v, "global": m in globals_}
            for m, v in zip(preset.minima, preset.values)
        ],
        "notes": preset.notes,
    }


def _latex_formula(preset: Preset) -> str:
    import sympy

    from gradcli.expr import parse

    return f"f(x, y) = {sympy.latex(parse(preset.formula).expr)}"


def list_document(presets: tuple[Preset, ...], precision: int = 6, latex: bool = False) -> Document:
    """All presets: a table of name, formula, range, start and minima; JSON ``{"functions": [...]}``."""
    rows = [
        [
            p.name,
            p.formula,
            _range_text(p, precision),
            vector(p.start, precision, typographic=True),
            "\n".join(vector(m, precision, typographic=True) for m in p.minima) or "none",
        ]
        for p in presets
    ]
    table = Table(columns=["name", "formula", "range", "start", "minima"], rows=rows)
    tex = None
    if latex:
        lines = [rf"\text{{{p.title}}} &: {_latex_formula(p)}" for p in presets]
        tex = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
    return Document(
        record={"functions": [_record(p) for p in presets]},
        tables=[table],
        notes=["Use one as @name in any EXPR, e.g. gradcli grad @himmelblau --at 0,0"],
        latex=tex,
    )


def detail_document(preset: Preset, precision: int = 6, latex: bool = False) -> Document:
    """One preset: its formula, description, range, start, notes and a table of its minima."""
    globals_ = set(preset.global_minima)
    rows = [
        [
            str(i),
            decimal(m[0], precision, typographic=True),
            decimal(m[1], precision, typographic=True),
            decimal(v, precision, typographic=True),
            "global" if m in globals_ else "local",
        ]
        for i, (m, v) in enumerate(zip(preset.minima, preset.values), start=1)
    ]
    fields = [
        ("name", f"@{preset.name}"),
        ("formula", preset.formula),
        ("about", preset.description),
        ("range", _range_text(preset, precision)),
        ("start", vector(preset.start, precision, typographic=True)),
    ]
    tables = []
    if rows:
        tables.append(Table(columns=["#", "x", "y", "f", "kind"], rows=rows, title="minima"))
    else:
        fields.append(("minima", "none"))
    return Document(
        record=_record(preset),
        fields=fields,
        tables=tables,
        notes=[preset.notes] if preset.notes else [],
        latex=_latex_formula(preset) if latex else None,
        title=preset.title,
    )
