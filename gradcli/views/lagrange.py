"""The document for ``critical --subject-to``: the constrained stationary points with their
multipliers and bordered-Hessian verdicts, the points the multiplier rule cannot see, and — said
plainly — how they were found and whether the list is complete.

Shaped like ``critical``'s (views/critical.py): the same keys where they mean the same thing
(``points[].at``, ``value``, ``classification``, ``found_by``, ``method``, ``complete``), plus
``constraints``, ``multipliers`` and each point's ``lambda``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradcli.calculus.lagrange import ConstrainedPoint, Constraint, LagrangeResult
from gradcli.views.columns import unique_columns
from gradcli.views.critical import _METHODS, _search_record, _set_text
from gradcli.views.render import Document, Table
from gradcli.views.symbolic import _exact, _fields, _header, _latex, _shown, _sstr
from gradcli.views.text import decimal, number, pretty, vector

MAX_ROWS = 200
_WORDS = {
    "minimum": "constrained minimum",
    "maximum": "constrained maximum",
    "saddle": "saddle on the constraint",
    "degenerate": "degenerate (test silent)",
    "isolated": "isolated feasible point",
    "singular": "LICQ fails: ∇g dependent",
}


def _machine_name(name: str) -> str:
    """λ → lambda, λ2 → lambda_2: ASCII keys and CSV columns."""
    return "lambda" if name == "λ" else "lambda_" + name[1:]


def constraint_text(c: Constraint) -> str:
    """The constraint as typed, in the one Unicode printer: y² = x³ (not −x³ + y² = 0)."""
    if c.left is None:
        return f"{pretty(c.expr)} = 0"
    return f"{pretty(c.left)} = {pretty(c.right)}"


def lagrange_document(result: LagrangeResult, precision: int = 6) -> Document:
    fn = result.fn
    names = result.multipliers
    keys = [_machine_name(n) for n in names]
    every = [*result.points, *result.singular]
    records = [_record(p, fn.names, keys) for p in every]
    rows = [_row(p, precision) for p in every]
    counts: dict[str, int] = {}
    for p in every:
        counts[p.classification] = counts.get(p.classification, 0) + 1
    search = result.search
    record = {
        **_header(fn),
        "constraints": [_sstr(c.expr) + " = 0" for c in result.constraints],
        "multipliers": keys,
        "points": records,
        "families": [_family(s) for s in result.families],
        "method": result.method,
        "complete": result.complete,
        "scope": result.scope,
        "gave_up": result.gave_up,
        "range": {n: list(b) for n, b in zip(fn.names, result.search_range)},
        "counts": counts,
        "search": _search_record(search) if search else None,
        "licq_fails_on": [
            {"constraint": k + 1, "where": _sstr(base) + " = 0"} for k, base in result.repeated
        ],
        "test": "bordered Hessian: the last n - m leading principal minors",
    }
    lam = "λ" if len(names) == 1 else "λ = (" + ", ".join(names) + ")"
    columns = ["point", "f", lam, "bordered minors", "classification", "found by"]
    if len({p.found_by for p in every}) <= 1:
        columns.pop()
        rows = [r[:-1] for r in rows]
    tables = []
    if every:
        shown = rows[:MAX_ROWS]
        if len(rows) > MAX_ROWS:
            shown.append(["⋮"] + [""] * (len(columns) - 1))
        tables.append(Table(columns, shown, title=_title(result, counts)))
    fields = _fields(fn)
    for k, c in enumerate(result.constraints):
        label = "subject to" if k == 0 else ""
        fields.append((label, constraint_text(c)))
    fields.append(("solving", _system(len(names))))
    return Document(
        record=record,
        fields=fields,
        tables=tables,
        notes=_notes(result),
        stream=records,
        csv_header=unique_columns(
            [
                *(("", n) for n in fn.names),
                "f",
                *keys,
                "classification",
                *(f"minor_{i + 1}" for i in range(max(0, len(fn.names) - len(names)))),
                "found_by",
            ]
        ),
        csv_rows=[
            [
                *p.values,
                p.value.value,
                *_padded([v.value for v in p.multipliers], len(keys)),
                p.classification,
                *_padded(list(p.minors), max(0, len(fn.names) - len(names))),
                p.found_by,
            ]
            for p in every
        ],
        latex=_latex_text(result, precision),
    )


def _padded(values: list[float], count: int) -> list[float | None]:
    return [*values, *([None] * (count - len(values)))]


def _system(m: int) -> str:
    if m == 1:
        return "∇f = λ∇g, g = 0   (the stationary points of L = f − λg)"
    return "∇f = Σ λₖ∇gₖ, every gₖ = 0   (the stationary points of L = f − Σ λₖgₖ)"


def _record(p: ConstrainedPoint, names: Sequence[str], keys: Sequence[str]) -> dict[str, Any]:
    return {
        "at": dict(zip(names, p.values)),
        "value": p.value.value,
        "lambda": dict(zip(keys, (v.value for v in p.multipliers))) if p.multipliers else None,
        "classification": p.classification,
        "minors": list(p.minors),
        "tangent_eigenvalues": list(p.tangent_eigenvalues),
        "test": p.test,
        "found_by": p.found_by,
        "exact": {
            "at": [_sstr(c) for c in p.exact] if p.exact else None,
            "value": _exact(p.value),
            "lambda": [_exact(v) for v in p.multipliers] if p.multipliers else None,
        },
    }


def _row(p: ConstrainedPoint, precision: int) -> list[str]:
    where = (
        "(" + ", ".join(number(c, v, precision) for c, v in zip(p.exact, p.values)) + ")"
        if p.exact
        else vector(p.values, precision)
    )
    f = _shown(p.value, precision) if abs(p.value.value) > 1e-14 else "0"
    if not p.multipliers:
        lam = "—"
    elif len(p.multipliers) == 1:
        lam = _shown(p.multipliers[0], precision)
    else:
        lam = "(" + ", ".join(_shown(v, precision) for v in p.multipliers) + ")"
    minors = vector(p.minors, 4) if p.minors else "—"
    word = _WORDS.get(p.classification, p.classification)
    if p.test == "tangent":
        word += " †"
    return [where, f, lam, minors, word, p.found_by]


def _title(result: LagrangeResult, counts: dict[str, int]) -> str:
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    k = len(result.points) + len(result.singular)
    return f"{k} constrained stationary point{'s' if k != 1 else ''} ({summary})"


def _family(s: Any) -> dict[str, Any]:
    return {
        "equations": [_sstr(e) for e in s.equations],
        "dimension": s.dimension,
        "through": list(s.through) if s.through is not None else None,
        "found": s.found,
    }


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _span(result: LagrangeResult) -> str:
    """[-5, 5]², or [-4, 4] × [-2, 2] when the intervals differ."""
    box = result.search_range
    intervals = [f"[{decimal(lo)}, {decimal(hi)}]" for lo, hi in box]
    if len(box) > 1 and len(set(box)) == 1:
        return intervals[0] + str(len(box)).translate(_SUPERSCRIPT)
    return " × ".join(intervals)


def _notes(result: LagrangeResult) -> list[str]:
    n, m = len(result.fn.variables), len(result.constraints)
    notes = []
    for s in result.families:
        if s.equations:
            notes.append(
                _set_text(s, n + m, 6).replace("stationary points", "constrained stationary points")
            )
        elif s.through is not None:
            notes.append(
                f"∇f = λ∇g on a curve of the constraint through {vector(s.through)} (found "
                f"numerically; {s.found} search result{'s' if s.found != 1 else ''} on it not listed)"
            )
        else:
            notes.append("every point of the constraint set is a constrained stationary point")
    if not result.points and not result.singular and not result.families:
        where = " in the range" if result.scope == "range" else ""
        if result.repeated:  # the rule is blind on the whole constraint: claim nothing about f
            notes.append(f"the Lagrange system has no solutions{where}")
        else:
            notes.append(
                f"no constrained stationary points{where}: f has no local extremum on the "
                "constraint" + ("" if result.complete else " that the search could find")
            )
    if any(p.minors for p in result.points):
        k = n - m
        sign_min = "−" if m % 2 else "+"
        sign_max = "−" if n % 2 else "+"
        which = "minor" if k == 1 else f"{k} minors (orders {2 * m + 1}…{m + n})"
        rule = (
            f"{sign_min}: minimum, {sign_max}: maximum"
            if k == 1
            else f"all {sign_min}: minimum; alternating, the last {sign_max}: maximum"
        )
        notes.append(f"test: the bordered Hessian [[0, J], [Jᵀ, ∇²L]], its last {which} — {rule}")
    if any(p.test == "tangent" for p in result.points):
        notes.append(
            "† a minor is 0, so the minors test is silent: the Hessian of L on the constraint's "
            "tangent space decided"
        )
    for p in result.singular:
        notes.append(
            f"∇g = 0 at {vector(p.values)} on the constraint: the multiplier rule cannot see this "
            "point (LICQ fails); compare f there with its neighbours on the constraint"
        )
    for k, base in result.repeated:
        which = f"constraint {k + 1}" if m > 1 else "the constraint"
        notes.append(
            f"∇g = 0 wherever {pretty(base)} = 0: {which} is written squared, so LICQ fails on "
            f"all of it — write it as {pretty(base)} = 0"
        )
    method = _METHODS.get(result.method)
    if method:
        notes.append("method: " + method.replace("∇f = 0", "the Lagrange system"))
    if result.gave_up == "time":
        notes.append(f"the exact solve did not finish within {decimal(result.seconds)} s")
    elif result.gave_up == "size":
        notes.append("the exact solve gave up: the system is too large to solve exactly")
    if result.search:
        found = result.search
        notes.append(
            f"numeric search: Newton on the Lagrange system from {found.starts} starts over "
            f"{_span(result)}; {found.accepted} converged there, {found.rejected} rejected"
            + ("; stopped at its time limit" if found.timed_out else "")
        )
    if result.complete and result.scope == "everywhere":
        notes.append("complete: the Lagrange system has no other real solutions")
    elif result.complete:
        notes.append(f"complete within {_span(result)}")
    else:
        notes.append(
            f"possibly incomplete: points outside {_span(result)} or missed by the search may exist"
        )
    return notes


def _latex_text(result: LagrangeResult, precision: int) -> str:
    lhs = (
        r"\nabla f = \lambda \nabla g"
        if len(result.constraints) == 1
        else (r"\nabla f = \sum_k \lambda_k \nabla g_k")
    )
    parts = []
    for p in result.points:
        where = (
            "(" + ", ".join(_latex(c) for c in p.exact) + ")"
            if p.exact
            else vector(p.values, precision)
        )
        lams = ", ".join(
            _latex(v.exact) if v.exact is not None else decimal(v.value, precision)
            for v in p.multipliers
        )
        parts.append(rf"{where}\ (\lambda = {lams})")
    return lhs + r":\quad " + r",\quad ".join(parts)


# --- descend --subject-to / --bounds ------------------------------------------------------------
__all__: Sequence[str] = [
    "constraint_text",
    "lagrange_document",
]
