"""The set a projected descent stays on, in words: the heading line and JSON key of `descend`
and `plot` (--subject-to a circle, sphere, line or plane; --bounds a box) and a figure's legend
entry. Light on purpose (no sympy): a recalled f's descent or plot words its set without it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from gradcli.optimize.projection import Projection
from gradcli.views.render import Document
from gradcli.views.text import decimal, vector


def projection_words(projection: Projection) -> str:
    """The set a projected descent stays on: 'x² + y² = 1 (circle, centre (0, 0), radius 1)'."""
    if projection.kind == "plane":
        count = len(projection.indices)
        if count == 1:  # a·x_i = c: the variable held at one value
            value = projection.offset / projection.normal[0]
            return (
                f"{projection.text} ({projection.names[projection.indices[0]]} = {decimal(value)})"
            )
        shape = {2: "line", 3: "plane"}.get(count, "hyperplane")
        return f"{projection.text} ({shape}: normal {vector(projection.normal)})"
    if projection.kind == "sphere":
        shape = "circle" if len(projection.indices) == 2 else "sphere"
        centre = vector(projection.centre)
        return f"{projection.text} ({shape}: centre {centre}, radius {decimal(projection.radius)})"
    names = projection.names
    parts = []
    for name, lo, hi in zip(names, projection.lower, projection.upper):
        if lo == -math.inf and hi == math.inf:
            continue
        if lo == -math.inf:
            parts.append(f"{name} ≤ {decimal(hi)}")
        elif hi == math.inf:
            parts.append(f"{name} ≥ {decimal(lo)}")
        else:
            parts.append(f"{name} ∈ [{decimal(lo)}, {decimal(hi)}]")
    return ", ".join(parts) + " (box)"


def feasible_label(projection: Projection, names: Sequence[str]) -> str:
    """The set's legend entry on a figure of projected runs: 'subject to x ∈ [-1, 1] (box)'."""
    return f"subject to {projection_words(replace(projection, names=tuple(names)))}"


def add_projection(doc: Document, projection: Projection, names: Sequence[str]) -> Document:
    """A descent document with the set its runs were projected onto: a heading line and a note
    (tables), a ``constraint`` key (JSON, also when the JSON text is streamed)."""

    projection = replace(projection, names=tuple(names))
    record = projection.record(names)
    doc.record["constraint"] = record
    labels = [label for label, _ in doc.fields]
    # after the variables (descend's heading), else after the function (plot's report)
    after = "variables" if "variables" in labels else "function"
    at = labels.index(after) + 1 if after in labels else 0
    doc.fields.insert(at, ("subject to", projection_words(projection)))
    doc.notes.append(
        "projected gradient descent: x ← P(x − lr·∇f), P the nearest point of the set; "
        "‖∇f‖ is the projected gradient's (∇f along the set), 0 at a constrained optimum"
    )
    if doc.json_text is not None:
        doc.json_text = _with_key(doc.json_text, json.dumps(record, ensure_ascii=False))
    return doc


def _with_key(pieces: Iterable[str], value: str) -> Iterator[str]:
    """The streamed JSON with ``"constraint"`` after its head (the first piece: function and
    variables, ending in a comma)."""
    it = iter(pieces)
    first = next(it, None)
    if first is None:
        return
    yield first
    yield f'  "constraint": {value},\n'
    yield from it


__all__ = ["add_projection", "feasible_label", "projection_words"]
