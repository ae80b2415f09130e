"""Documents for the symbolic results: one view per result, rendered by :mod:`gradcli.views.render`.

Machine formats carry floats at full precision and exact forms in sympy syntax (re-parseable);
the table view shows Unicode formulas and 'exact ≈ decimal' numbers to ``precision`` digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradcli.calculus.notation import step_footnote
from gradcli.calculus.results import (
    GradientPoint,
    GradientResult,
    LevelResult,
    PartialResult,
    Value,
)
from gradcli.function import Function
from gradcli.points import Point
from gradcli.views.columns import unique_columns
from gradcli.views.difference import check_record, check_rows, lesson_rows, rounded_step
from gradcli.views.nonsmooth import (
    classification_text,
    grad_kink,
    kink_record,
    level_kink,
    partial_kink,
)
from gradcli.views.printers import equations, latex, machine
from gradcli.views.render import Document, Table
from gradcli.views.text import decimal, number, pretty, vector


def _sstr(expr: Any) -> str:
    """Machine text: plain ``sympy.sympify`` reads it back as the same expression."""
    return machine(expr)


def _latex(expr: Any) -> str:
    return latex(expr)


def _exact(value: Value) -> str | None:
    return None if value.exact is None else _sstr(value.exact)


def _shown(value: Value, precision: int) -> str:
    return number(value.exact, value.value, precision)


def _header(fn: Function) -> dict[str, Any]:
    return {"function": _sstr(fn.expr), "variables": list(fn.names)}


def _fields(fn: Function) -> list[tuple[str, str]]:
    return [("function", str(fn)), ("variables", ", ".join(fn.names))]


def _at(point: Point) -> dict[str, float]:
    return point.as_dict()


def _vector_shown(values: Sequence[Value], precision: int) -> str:
    """(6, 2), or (2/3 ≈ 0.666667, 2): each component exact beside its decimal where they differ."""
    return "(" + ", ".join(number(v.exact, v.value, precision) for v in values) + ")"


def _sigmoid_fields(label: str, sigma: str, plain: str) -> list[tuple[str, str]]:
    """The σ form first (as lessons write it), then the same function as sympy simplifies it."""
    return [(label, f"{sigma}   where σ(u) = 1/(1 + e^(−u))"), ("", f"= {plain}")]


def _sigma_text(expr: Any) -> str:
    from gradcli.calculus.logistic import SigmoidPrinter

    return str(SigmoidPrinter().text(expr))


def _sigma_machine(expr: Any) -> str:
    from gradcli.calculus.logistic import machine_text

    return machine_text(expr)


def _footnotes(exprs: Sequence[Any]) -> list[str]:
    """What H(0) is in the formulas shown, where it is not heaviside's ½ (relu′ = H, H(0) = 0)."""
    note = step_footnote(exprs)
    return [note] if note else []


# --- partial ------------------------------------------------------------------------------------
def partial_document(result: PartialResult, precision: int = 6) -> Document:
    fn, name = result.fn, result.notation
    records = []
    for p in result.points:
        rec: dict[str, Any] = {
            "at": _at(p.at),
            "value": p.value.value,
            "derivative": p.derivative.value,
            "exact": {"value": _exact(p.value), "derivative": _exact(p.derivative)},
        }
        if p.check is not None:
            rec["check"] = check_record(p.check)
        if p.nonsmooth is not None:
            rec["nonsmooth"] = kink_record(p.nonsmooth, partial_kink(result, p), _sstr)
        records.append(rec)
    record = {
        **_header(fn),
        "wrt": [s.name for s in result.wrt],
        "order": len(result.wrt),
        "derivative": _sstr(result.derivative),
        "points": records,
    }
    if result.sigmoid_form is not None:
        record["derivative_sigmoid"] = _sigma_machine(result.sigmoid_form)
    lower = _lower_name(result)
    tables = []
    for p in result.points:
        rows = [["f", _shown(p.value, precision)], [name, _shown(p.derivative, precision)]]
        if p.check is not None:
            rows += lesson_rows(p.check, fn.names, lower)
        tables.append(Table(["at " + p.at.label(), ""], rows))
    # From the result, not its points: a stream's header is written before any point is read.
    check = result.checked or any(p.check is not None for p in result.points)
    own = ["f", "derivative"]
    if check:
        own += ["forward", "h_forward", "forward_error", "central", "h_central", "central_error"]
        own += ["forward_x1", "forward_f0", "forward_f1", "forward_dx", "forward_dy"]
    header = unique_columns([*(("", n) for n in fn.names), *own])
    csv_rows = []
    for p in result.points:
        row: list[Any] = [*p.at.values, p.value.value, p.derivative.value]
        if p.check is not None:
            c = p.check
            row += [
                c.forward,
                c.h_forward,
                c.forward_error,
                c.central,
                c.h_central,
                c.central_error,
            ]
            step = c.forward_step
            row += [step.x1, step.f0, step.f1, step.dx, step.dy] if step else [None] * 5
        csv_rows.append(row)
    wrt_latex = " ".join(rf"\partial {_latex(s)}" for s in reversed(result.wrt))
    order = len(result.wrt)
    top = r"\partial f" if order == 1 else rf"\partial^{{{order}}} f"
    latex = rf"\frac{{{top}}}{{{wrt_latex}}} = "
    if result.sigmoid_form is not None:
        latex += _latex(result.sigmoid_form) + " = "
    latex += _latex(result.derivative)
    notes = [partial_kink(result, p) for p in result.points if p.nonsmooth is not None]
    notes += _footnotes([result.derivative])
    if check:
        rounded = next((n for p in result.points if p.check and (n := rounded_step(p.check))), None)
        if rounded:
            notes.append(rounded)
        notes.append(
            "forward: the slope of a small step, error ~ h; central: a step both ways, error ~ h²"
        )
    plain = pretty(result.derivative)
    fields = [*_fields(fn), (name, plain)]
    if result.sigmoid_form is not None:
        fields = [*_fields(fn), *_sigmoid_fields(name, _sigma_text(result.sigmoid_form), plain)]
    return Document(
        record=record,
        fields=fields,
        tables=tables,
        notes=notes,
        stream=records,
        csv_header=header,
        csv_rows=csv_rows,
        latex=latex,
    )


def _lower_name(result: PartialResult) -> str:
    """The function whose slope the check takes: f, or ∂f/∂y for ∂²f/∂x∂y."""
    from gradcli.calculus.notation import derivative_name

    lower = [s.name for s in result.wrt[:-1]]
    return derivative_name(lower, partial=len(result.fn.variables) != 1)


# --- grad ---------------------------------------------------------------------------------------
def _grad_record(result: GradientResult, p: GradientPoint) -> dict[str, Any]:
    fn = result.fn
    rec: dict[str, Any] = {
        "at": _at(p.at),
        "value": p.value.value,
        "gradient": [g.value for g in p.gradient],
        "norm": p.norm.value,
        "stationary": p.stationary,
        "ascent": list(p.ascent) if p.ascent else None,
        "descent": list(p.descent) if p.descent else None,
        "exact": {
            "value": _exact(p.value),
            "gradient": [_exact(g) for g in p.gradient],
            "norm": _exact(p.norm),
        },
    }
    if p.classification or p.classified_by == "skipped":  # skipped: unclassified, too large
        rec["classification"] = p.classification
        rec["classified_by"] = p.classified_by
    rec["differentiable"] = p.nonsmooth is None or p.nonsmooth.order > 1
    if p.nonsmooth is not None:
        rec["nonsmooth"] = kink_record(p.nonsmooth, grad_kink(result, p), _sstr)
    if p.eigenvalues is not None:
        rec["eigenvalues"] = list(p.eigenvalues)
    if p.hessian is not None:
        rec["hessian"] = [list(row) for row in p.hessian]
    if p.directional is not None:
        rec["directional"] = {
            "direction": list(p.directional.direction),
            "value": p.directional.value.value,
            "exact": _exact(p.directional.value),
        }
    if p.check is not None:
        rec["check"] = [{"variable": n, **check_record(c)} for n, c in zip(fn.names, p.check)]
    return rec


def _grad_rows(fn: Function, p: GradientPoint, precision: int) -> list[list[str]]:
    one = len(fn.names) == 1
    rows = [["f", _shown(p.value, precision)]]
    if one:
        rows.append([f"{_prime(fn)}  (slope)", _shown(p.gradient[0], precision)])
    else:
        rows.append(["∇f", _vector_shown(p.gradient, precision)])
        rows.append(["‖∇f‖", _shown(p.norm, precision)])
    if p.stationary:
        kind = p.classification or "stationary point"
        rows.append(["stationary", classification_text(kind, p.classified_by, True)])
    elif p.classification:  # an extremum at a kink, where the gradient shown is not 0
        rows.append(["kink", classification_text(p.classification, p.classified_by, False)])
    if not one and p.ascent is not None and p.descent is not None:
        rows.append(["steepest ascent", vector(p.ascent, precision) + "  (∇f/‖∇f‖)"])
        rows.append(["steepest descent", vector(p.descent, precision) + "  (−∇f/‖∇f‖)"])
    if p.eigenvalues is not None:
        rows.append(["Hessian eigenvalues", vector(p.eigenvalues, precision)])
    if p.hessian is not None:
        rows.append(["Hessian", "[" + ", ".join(vector(r, precision) for r in p.hessian) + "]"])
    if p.directional is not None:
        d = p.directional
        rows.append(
            [
                f"D_u f, u = {vector(d.direction, precision)}",
                _shown(d.value, precision) + "  (∇f·u)",
            ]
        )
    if p.check is not None:
        for name, c in zip(fn.names, p.check):
            rows += check_rows(_prime(fn) if one else f"∂f/∂{name}", c, precision)
    return rows


def _prime(fn: Function) -> str:
    """f′(t): a one-variable derivative named with its real variable, never a stock x."""
    return f"f′({fn.names[0]})"


def gradient_document(result: GradientResult, precision: int = 6) -> Document:
    fn = result.fn
    one = len(fn.names) == 1
    records = [_grad_record(result, p) for p in result.points]
    record: dict[str, Any] = {
        **_header(fn),
        "gradient": [_sstr(g) for g in result.gradient],
        "points": records,
    }
    label = _prime(fn) if one else "∇f"
    grad_text = _components(result.gradient, pretty)
    fields = [*_fields(fn), (label, grad_text)]
    lhs = rf"f'({_latex(fn.variables[0])})" if one else r"\nabla f"
    forms = [result.gradient]
    if result.sigmoid_form is not None:
        record["gradient_sigmoid"] = [_sigma_machine(g) for g in result.sigmoid_form]
        sigma = _components(result.sigmoid_form, _sigma_text)
        fields = [*_fields(fn), *_sigmoid_fields(label, sigma, grad_text)]
        forms.insert(0, result.sigmoid_form)
    latex_lines = [lhs + " = " + " = ".join(_latex_vector(form) for form in forms)]
    if result.hessian is not None:
        record["hessian"] = [[_sstr(h) for h in row] for row in result.hessian]
        fields.append(
            (
                "Hessian",
                "[" + "; ".join(", ".join(pretty(h) for h in row) for row in result.hessian) + "]",
            )
        )
        latex_lines.append(
            r"H_f = \begin{pmatrix} "
            + r" \\ ".join(" & ".join(_latex(h) for h in row) for row in result.hessian)
            + r" \end{pmatrix}"
        )
    tables = [
        Table(["at " + p.at.label(), ""], _grad_rows(fn, p, precision)) for p in result.points
    ]
    header = unique_columns(
        [
            *(("", n) for n in fn.names),
            "f",
            *(("grad_", n) for n in fn.names),
            "grad_norm",
            "stationary",
            "classification",
        ]
    )
    csv_rows = [
        [
            *p.at.values,
            p.value.value,
            *(g.value for g in p.gradient),
            p.norm.value,
            p.stationary,
            p.classification or "",
        ]
        for p in result.points
    ]
    return Document(
        record=record,
        fields=fields,
        tables=tables,
        notes=[grad_kink(result, p) for p in result.points if p.nonsmooth is not None]
        + _footnotes([*result.gradient, *(h for row in result.hessian or () for h in row)]),
        stream=records,
        csv_header=header,
        csv_rows=csv_rows,
        latex=equations(latex_lines),
    )


def _components(exprs: Sequence[Any], show: Any) -> str:
    """One derivative as it is, several as a vector: 2t, or (2x, 2y)."""
    if len(exprs) == 1:
        return str(show(exprs[0]))
    return "(" + ", ".join(show(g) for g in exprs) + ")"


def _latex_vector(exprs: Sequence[Any]) -> str:
    if len(exprs) == 1:
        return _latex(exprs[0])
    return r"\begin{pmatrix} " + r" \\ ".join(_latex(g) for g in exprs) + r" \end{pmatrix}"


# --- level --------------------------------------------------------------------------------------
def level_document(result: LevelResult, precision: int = 6) -> Document:
    import sympy

    fn = result.fn
    eq = result.equation
    record: dict[str, Any] = {
        **_header(fn),
        "level": result.level.value,
        "exact_level": _exact(result.level),
        "equation": f"{_sstr(eq.lhs)} = {_sstr(eq.rhs)}",
        "branches": [
            {"variable": v.name, "expression": _sstr(e)}
            | ({} if result.through is None else {"through_point": i in result.through})
            for i, (v, e) in enumerate(result.branches)
        ],
    }
    fields = [*_fields(fn), ("level", f"c = {_shown(result.level, precision)}")]
    fields.append(("level set", f"{pretty(eq.lhs)} = {pretty(eq.rhs)}"))
    if result.branches:
        fields.append(("solved", _branches_text(result.branches, result.through)))
    latex = [rf"{_latex(eq.lhs)} = {_latex(eq.rhs)}"]
    latex += [rf"{_latex(v)} = {_latex(e)}" for v, e in result.branches]
    rows: list[list[str]] = []
    notes = list(result.notes)
    if notes:  # what the core found (a constant f, a stationary P, branches not solved, ...)
        record["notes"] = list(notes)
    kink = result.nonsmooth is not None
    if result.at is not None and result.gradient is not None:
        record["at"] = _at(result.at)
        record["gradient"] = [g.value for g in result.gradient]
        record["differentiable"] = not kink
        if result.nonsmooth is not None:
            note = level_kink(result)
            record["nonsmooth"] = kink_record(result.nonsmooth, note, _sstr)
            notes.append(note)
        rows.append(["∇f", _vector_shown(result.gradient, precision)])
        if result.tangent is not None:
            record["tangent"] = list(result.tangent)
            record["dot"] = result.dot
            record["perpendicular"] = result.dot is not None and abs(result.dot) < 1e-9
            rows.append(["unit tangent t", vector(result.tangent, precision) + "  (∇f turned 90°)"])
            # At a kink, t is only ∇f turned: it says nothing about the curve (see the note).
            claim = "  (at a kink: see the note)" if kink else "  → ∇f ⟂ the level curve"
            rows.append(["∇f · t", decimal(result.dot or 0.0, precision) + claim])
        if result.tangent_equation is not None:
            te = result.tangent_equation
            label = (
                "tangent line"
                if len(fn.names) == 2
                else "tangent plane"
                if len(fn.names) == 3
                else "tangent hyperplane"
            )
            record["tangent_equation"] = f"{_sstr(te.lhs)} = {_sstr(te.rhs)}"
            rows.append([label, f"{pretty(te.lhs)} = {pretty(te.rhs)}  (∇f·(X − P) = 0)"])
            latex.append(rf"\text{{{label}: }} {_latex(te.lhs)} = {_latex(te.rhs)}")
        if result.branch_angle is not None:
            record["branch_angle"] = result.branch_angle
            rows.append(
                [
                    "angle(∇f, branch slope)",
                    f"{decimal(result.branch_angle, 8)}°  (slope of the solved curve, found without ∇f)",
                ]
            )
    tables = []
    if rows:
        tables.append(Table(["at " + (result.at.label() if result.at else ""), ""], rows))
    if result.samples:
        record["samples"] = [
            {
                "point": dict(zip(fn.names, s.point)),
                "gradient": list(s.gradient),
                "tangent": list(s.tangent),
                "angle": s.angle,
            }
            for s in result.samples
        ]
        tables.append(
            Table(
                ["point", "∇f", "tangent (from the curve)", "angle(∇f, tangent)"],
                [
                    [
                        vector(s.point, precision),
                        vector(s.gradient, precision),
                        vector(s.tangent, precision),
                        f"{decimal(s.angle, 8)}°",
                    ]
                    for s in result.samples
                ],
                title=f"{len(result.samples)} points on the level set",
            )
        )
        notes.append(
            "each tangent is the chord through the curve's crossings of a tiny circle around the point"
        )
    del sympy
    return Document(
        record=record,
        fields=fields,
        tables=tables,
        notes=notes,
        stream=record.get("samples", [record]),
        csv_header=[
            *fn.names,
            *(f"grad_{n}" for n in fn.names),
            *(f"tangent_{n}" for n in fn.names),
            "angle",
        ]
        if result.samples
        else None,
        csv_rows=[[*s.point, *s.gradient, *s.tangent, s.angle] for s in result.samples]
        if result.samples
        else None,
        latex=equations(latex),
    )


def _branches_text(branches: Sequence[tuple[Any, Any]], through: Sequence[int] | None) -> str:
    """The solved branches; with a point, which of them passes through it (not every branch of
    x³ − 3xy + y³ = c does, and the tangent belongs to the one that does)."""
    import sympy

    from gradcli.limits import bounded

    some = through is not None and 0 < len(through) < len(branches)
    if len(branches) == 2:
        (v1, e1), (v2, e2) = branches
        # y = ±√(…) when the two branches are opposite; simplify is bounded, like every sympy step
        opposite = bounded(0.5, lambda: bool(sympy.simplify(e1 + e2) == 0), False)
        if v1 == v2 and opposite:
            plus = 0 if not str(e1).startswith("-") else 1
            text = f"{v1.name} = ±{pretty(branches[plus][0 + 1])}"
            if some and through is not None:
                text += f"  (P is on the {'+' if plus in through else '−'} branch)"
            return text
    parts = [f"{v.name} = {pretty(e)}" for v, e in branches]
    if through is not None and not through:
        return "; ".join(parts) + "  (none of these passes through P: the curve has other parts)"
    if some and through is not None:
        parts = [p + ("  ← through P" if i in through else "") for i, p in enumerate(parts)]
    return "; ".join(parts)
