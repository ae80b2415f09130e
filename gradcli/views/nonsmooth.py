"""Words for the facts :mod:`gradcli.calculus.kinks` finds: that f is not differentiable at a point,
which convention the number shown follows, and how a stationary point at a kink was classified."""

from __future__ import annotations

from typing import Any

from gradcli.calculus.notation import derivative_name
from gradcli.calculus.results import (
    GradientPoint,
    GradientResult,
    LevelResult,
    Nonsmooth,
    PartialPoint,
    PartialResult,
)
from gradcli.views.text import pretty

# PyTorch autograd's value at each kind of kink (checked with torch 2.13, float64; docs/CLI.md).
CONVENTIONS = {
    "abs": "|u|′ = 0 at u = 0",
    "relu": "relu′(0) = 0",
    "max": "a tie in max gives each tied argument half the derivative",
    "min": "a tie in min gives each tied argument half the derivative",
    "sign": "sign′ = 0",
    "heaviside": "H′ = 0",
    "delta": "δ = 0",
}
NEIGHBOURHOOD = {
    "minimum": "a minimum: f is nowhere lower at the nearby points checked",
    "maximum": "a maximum: f is nowhere higher at the nearby points checked",
    "saddle": "neither minimum nor maximum: f is higher and lower at nearby points",
    "unclassified": "not classified (f is not twice differentiable here)",
}


def kink_note(nonsmooth: Nonsmooth, where: str, broken: str, shown: str, delta: bool) -> str:
    """'f is not differentiable at (0, 0): a kink of |x|; the gradient shown is the convention
    |u|′ = 0 at u = 0, as PyTorch autograd computes it'.

    ``broken`` names what is not differentiable (f, ∇f, ∂f/∂x) and ``shown`` the number that
    stands in for the missing derivative (the gradient, the Hessian, ∂²f/∂x²); ``delta``: its
    formula holds a Dirac delta (the derivative of a jump), which is taken as 0 too.
    """
    kinks = ", ".join(pretty(k.expr) for k in nonsmooth.kinks)
    rules = [CONVENTIONS[k.kind] for k in nonsmooth.kinks]
    if delta:
        rules.append(CONVENTIONS["delta"] + " (the derivative of a jump)")
    conventions = "; ".join(dict.fromkeys(rules))
    tail = " (f is not twice differentiable)" if nonsmooth.order == 2 and broken == "∇f" else ""
    return (
        f"{broken} is not differentiable at {where}{tail}: a kink of {kinks}; the {shown} shown is "
        f"the convention {conventions}, as PyTorch autograd computes it"
    )


def classification_text(kind: str, by: str | None, stationary: bool) -> str:
    """The 'stationary' row of a point: ∇f = 0 and what kind of point it is, and how we know."""
    if by == "skipped":  # too many variables for the Hessian test (calculus.derivatives)
        from gradcli.symbolic import MAX_HESSIAN_VARIABLES

        return (
            f"∇f = 0: a stationary point, not classified (the Hessian test is limited to "
            f"{MAX_HESSIAN_VARIABLES} variables)"
        )
    if by == "neighbourhood":
        words = NEIGHBOURHOOD.get(kind, kind)
        return f"∇f = 0 (by convention): {words}" if stationary else words
    kind = "degenerate stationary point" if kind == "degenerate" else kind
    return f"∇f = 0: a {kind}"


def kink_record(nonsmooth: Nonsmooth, note: str, sstr: Any) -> dict[str, Any]:
    """The JSON object for a point at a kink: which derivative does not exist (``order``: 1 means
    f is not differentiable), the kinks (machine text) and the note the table shows."""
    return {
        "order": nonsmooth.order,
        "kinks": [{"kind": k.kind, "at": sstr(k.expr)} for k in nonsmooth.kinks],
        "note": note,
    }


def grad_kink(result: GradientResult, p: GradientPoint) -> str:
    """The note for a gradient point at a kink."""
    import sympy

    assert p.nonsmooth is not None
    one = len(result.fn.names) == 1
    delta = p.hessian is not None and any(
        h.has(sympy.DiracDelta) for row in result.hessian or () for h in row
    )
    if p.nonsmooth.order == 1:
        shown = ("slope" if one else "gradient") + (" (and Hessian)" if p.hessian else "")
        return kink_note(p.nonsmooth, p.at.label(), "f", shown, delta)
    return kink_note(p.nonsmooth, p.at.label(), "f'" if one else "∇f", "Hessian", delta)


def partial_kink(result: PartialResult, p: PartialPoint) -> str:
    """The note for a partial derivative at a point where it does not exist."""
    assert p.nonsmooth is not None
    names = [s.name for s in result.wrt[: p.nonsmooth.order - 1]]
    broken = derivative_name(names, partial=len(result.fn.variables) != 1)
    import sympy

    delta = bool(result.derivative.has(sympy.DiracDelta))
    return kink_note(p.nonsmooth, p.at.label(), broken, "value", delta)


def level_kink(result: LevelResult) -> str:
    """The note for a level set through a point where f is not differentiable: ∇f and the tangent
    built from it are conventions there, and the level set itself may turn a corner."""
    assert result.nonsmooth is not None and result.at is not None
    kinks = ", ".join(pretty(k.expr) for k in result.nonsmooth.kinks)
    conventions = "; ".join(dict.fromkeys(CONVENTIONS[k.kind] for k in result.nonsmooth.kinks))
    shown = "∇f shown follows" if result.tangent_equation is None else "∇f and tangent shown follow"
    return (
        f"f is not differentiable at {result.at.label()}: a kink of {kinks}; the {shown} "
        f"the convention {conventions}, as PyTorch autograd computes it. The level set may turn a "
        "corner here, where it has no tangent and ∇f need not be perpendicular to it"
    )
