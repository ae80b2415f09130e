"""The document for ``critical``: the stationary points, the sets of them that are not isolated,
and — said plainly — how they were found and whether the list is known to be complete.

Every number and every sentence is made here; the core hands over structured values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradcli.calculus.results import CriticalResult, NumericSearch, StationarySet
from gradcli.views.columns import unique_columns
from gradcli.views.render import Document, Table
from gradcli.views.symbolic import _exact, _fields, _header, _latex, _shown, _sstr
from gradcli.views.text import decimal, number, pretty, vector

_METHODS = {
    "linear": "∇f = 0 solved exactly (linear algebra)",
    "elimination": "∇f = 0 solved exactly by elimination (resultants)",
    "roots": "∇f = 0 solved exactly (the real roots of a polynomial)",
    "factored": "∇f = 0 solved exactly, factor by factor",
    "sympy": "sympy.solve, which may leave out roots it cannot write down",
}
MAX_ROWS = 200

_GAVE_UP = {
    "size": "the system is too large to solve exactly",
    "form": "no exact method applies to this system",
}


def critical_document(result: CriticalResult, precision: int = 6) -> Document:
    fn = result.fn
    records = []
    rows = []
    for p in result.points:
        records.append(
            {
                "at": dict(zip(fn.names, p.values)),
                "value": p.value.value,
                "classification": p.classification,
                "eigenvalues": list(p.eigenvalues),
                "found_by": p.found_by,
                "exact": {
                    "at": [_sstr(c) for c in p.exact] if p.exact else None,
                    "value": _exact(p.value),
                },
            }
        )
        where = (
            "(" + ", ".join(number(c, v, precision) for c, v in zip(p.exact, p.values)) + ")"
            if p.exact
            else vector(p.values, precision)
        )
        # Newton leaves f ≈ 1e-31 at a zero minimum: show that float noise as the 0 it is.
        f_shown = _shown(p.value, precision) if abs(p.value.value) > 1e-14 else "0"
        rows.append([where, f_shown, vector(p.eigenvalues, 4), p.classification, p.found_by])
    counts: dict[str, int] = {}
    for p in result.points:
        counts[p.classification] = counts.get(p.classification, 0) + 1
    search = result.search
    record = {
        **_header(fn),
        "points": records,
        "families": [_set_record(s) for s in result.families],
        "method": result.method,
        "complete": result.complete,
        "scope": result.scope,
        "periodic": result.periodic,
        "outside": result.outside,
        "gave_up": result.gave_up,
        "range": {n: list(b) for n, b in zip(fn.names, result.search_range)},
        "counts": counts,
        "search": _search_record(search) if search else None,
        "search_failed": result.search_failed,
        "rejected": search.rejected if search else 0,
    }
    columns = ["point", "f", "Hessian eigenvalues", "classification", "found by"]
    if len({p.found_by for p in result.points}) == 1:  # one source: the method note says it
        columns.pop()
        rows = [row[:-1] for row in rows]
    tables = []
    if result.points:
        # Thousands of rows (sin(x)·sin(y) over [-1000, 1000]²) teach nothing on a screen and
        # take seconds to lay out; the machine formats carry every point.
        shown = rows[:MAX_ROWS]
        if len(rows) > MAX_ROWS:
            shown.append(["⋮"] + [""] * (len(columns) - 1))
        tables.append(Table(columns, shown, title=_title(result, counts)))
    latex = r"\nabla f = 0:\quad " + r",\quad ".join(
        [
            "(" + ", ".join(_latex(c) for c in p.exact) + ")"
            if p.exact
            else vector(p.values, precision)
            for p in result.points
        ]
        + [
            r" \wedge ".join(_latex(e) + " = 0" for e in s.equations)
            for s in result.families
            if s.equations
        ]
    )
    return Document(
        record=record,
        fields=_fields(fn),
        tables=tables,
        notes=_notes(result, precision),
        stream=records,
        csv_header=unique_columns(
            [
                *(("", n) for n in fn.names),
                "f",
                "classification",
                *(f"eigenvalue_{i + 1}" for i in range(len(fn.names))),
                "found_by",
            ]
        ),
        csv_rows=[
            [*p.values, p.value.value, p.classification, *p.eigenvalues, p.found_by]
            for p in result.points
        ],
        latex=latex,
    )


def _title(result: CriticalResult, counts: dict[str, int]) -> str:
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    k = len(result.points)
    isolated = "isolated " if result.families else ""
    return f"{k} {isolated}stationary point{'s' if k != 1 else ''} ({summary})"


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _span(result: CriticalResult) -> str:
    """[-4, 4]², or [-4, 4] × [-2, 2] when the intervals differ."""
    box = result.search_range
    intervals = [f"[{decimal(lo)}, {decimal(hi)}]" for lo, hi in box]
    if len(box) > 1 and len(set(box)) == 1:
        return intervals[0] + str(len(box)).translate(_SUPERSCRIPT)
    return " × ".join(intervals)


def _notes(result: CriticalResult, precision: int) -> list[str]:
    n = len(result.fn.variables)
    notes = []
    exact = [s for s in result.families if s.equations]
    kinds = {_kind(s, n) for s in exact}
    if len(exact) > 1 and len(kinds) == 1:  # x²y²: the curves x = 0 and y = 0, said once
        where = "; ".join(" and ".join(_equation(e) for e in s.equations) for s in exact)
        notes.append(f"{kinds.pop()}s of stationary points: {where} (all degenerate)")
    else:
        notes += [_set_text(s, n, precision) for s in exact]
    notes += [_set_text(s, n, precision) for s in result.families if not s.equations]
    if not result.points and not result.families:
        notes.append("no stationary points" + (" in the range" if result.scope == "range" else ""))
    method = _METHODS.get(result.method)
    if method:
        inside = result.method == "factored" and result.scope == "range"
        notes.append(f"method: {method}" + (" inside the range" if inside else ""))
    if result.gave_up == "time":
        notes.append(f"the exact solve did not finish within {decimal(result.seconds)} s")
    elif result.gave_up in _GAVE_UP:
        notes.append(f"the exact solve gave up: {_GAVE_UP[result.gave_up]}")
    if result.search:
        notes.append(_search_text(result.search, _span(result)))
    elif result.search_failed:
        notes.append("no numeric search: f's derivatives cannot be evaluated numerically here")
    if len(result.points) > MAX_ROWS:
        notes.append(
            f"the table shows the first {MAX_ROWS} of {len(result.points)} points;"
            " --format json or csv lists them all"
        )
    if result.outside:
        many = result.outside != 1
        notes.append(
            f"{result.outside} more stationary point{'s' if many else ''} outside the range "
            f"{'are' if many else 'is'} not listed"
        )
    if result.periodic:
        notes.append("the stationary points repeat periodically: those in the range are listed")
    if result.complete and result.scope == "everywhere":
        notes.append("complete: f has no other stationary points")
    elif result.complete:
        notes.append(f"complete within {_span(result)}")
    else:
        notes.append(
            f"possibly incomplete: points outside {_span(result)} or missed by the search may exist"
        )
    return notes


def _search_text(search: NumericSearch, span: str) -> str:
    design = "a grid" if search.design == "grid" else "a Halton design"
    text = (
        f"numeric search: Newton from {search.starts} starts ({design} over {span}); "
        f"{search.accepted} converged to a stationary point there"
    )
    if search.outside:
        text += f", {search.outside} to one outside the range"
    text += (
        f", {search.rejected} rejected (Newton did not converge: a flat tail, a divergence"
        " or too slow)"
    )
    if search.timed_out:
        text += f"; the search stopped at its time limit after {search.iterations} iterations"
    return text


def _kind(s: StationarySet, n: int) -> str:
    if s.dimension == n - 1 and n > 3:
        return "hypersurface"
    return {1: "curve", 2: "surface"}.get(s.dimension or 0, "set")


def _set_text(s: StationarySet, n: int, precision: int) -> str:
    if not s.equations and s.through is None:
        return "every point is a stationary point (∇f = 0 everywhere: f is constant)"
    if s.through is not None:
        return (
            f"∇f = 0 on a curve or surface through {vector(s.through, precision)} "
            f"(found numerically; {s.found} search result{'s' if s.found != 1 else ''} on it "
            f"{'are' if s.found != 1 else 'is'} not listed)"
        )
    where = " and ".join(_equation(e) for e in s.equations)
    return f"a {_kind(s, n)} of stationary points: {where} (all degenerate)"


def _equation(e: Any) -> str:
    """'x = y' where the equation is linear in a variable, else 'x·y - 1 = 0'."""
    import sympy as sp

    for v in sorted(e.free_symbols, key=lambda s: s.name):
        if e.is_polynomial(v) and sp.degree(e, v) == 1:
            a = e.coeff(v, 1)
            if a.is_number:
                return f"{pretty(v)} = {pretty(sp.expand(-(e - a * v) / a))}"
    return f"{pretty(e)} = 0"


def _set_record(s: StationarySet) -> dict[str, Any]:
    return {
        "equations": [_sstr(e) for e in s.equations],
        "dimension": s.dimension,
        "through": list(s.through) if s.through is not None else None,
        "found": s.found,
    }


def _search_record(search: NumericSearch) -> dict[str, Any]:
    return {
        "starts": search.starts,
        "design": search.design,
        "accepted": search.accepted,
        "outside": search.outside,
        "rejected": search.rejected,
        "iterations": search.iterations,
        "timed_out": search.timed_out,
    }


__all__: Sequence[str] = ["critical_document"]
