"""Frozen results returned by the core (:mod:`gradcli.calculus`); rendering lives elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gradcli.function import Function
from gradcli.points import Point


@dataclass(frozen=True)
class Value:
    """A number at a point: its exact sympy form (``None`` when the inputs were inexact) and float."""

    exact: Any
    value: float


@dataclass(frozen=True)
class DifferenceStep:
    """One slope of a small step, as a lesson computes it: from x0 to x1 in one variable (the
    others held), Δx = x1 − x0, Δy = f(x1) − f(x0), slope = Δy/Δx.

    ``dx`` is the step the floats really took: x0 + h is rounded to the nearest double, so it can
    differ from the h that was asked for (2.001 − 2 = 0.00099999999999989). The slope divides by
    it, so every number shown is the arithmetic of the two points shown.
    """

    x0: float
    x1: float
    f0: float
    f1: float

    @property
    def dx(self) -> float:
        return self.x1 - self.x0

    @property
    def dy(self) -> float:
        return self.f1 - self.f0

    @property
    def slope(self) -> float:
        return self.dy / self.dx


@dataclass(frozen=True)
class FiniteDifference:
    """The slope-by-a-small-step estimates of a derivative, beside the exact value: forward (x to
    x + h) and central (x − h to x + h), each with the two points it used."""

    exact: float
    h_forward: float  # the steps asked for (given with --h, or chosen); the steps taken are in
    forward: float  # forward_step.dx and central_step.dx / 2
    h_central: float
    central: float
    variable: str = ""  # the variable that moves
    forward_step: DifferenceStep | None = None
    central_step: DifferenceStep | None = None

    @property
    def forward_error(self) -> float:
        return abs(self.forward - self.exact)

    @property
    def central_error(self) -> float:
        return abs(self.central - self.exact)


@dataclass(frozen=True)
class Kink:
    """A place where f (or a derivative of it) is not smooth: ``expr``'s argument is 0 here, or two
    of its arguments tie (max, min)."""

    kind: str  # abs | relu | max | min | sign | heaviside | delta
    expr: Any  # the sub-expression, e.g. Abs(x) or Max(x, y)


@dataclass(frozen=True)
class Nonsmooth:
    """At this point the derivative of order ``order`` does not exist (1: f is not differentiable;
    2: f is, once, but its gradient is not), because of ``kinks``. The numbers shown there follow
    PyTorch autograd's conventions (see :mod:`gradcli.calculus.kinks`)."""

    order: int
    kinks: tuple[Kink, ...]


@dataclass(frozen=True)
class PartialPoint:
    at: Point
    value: Value
    derivative: Value
    check: FiniteDifference | None = None
    nonsmooth: Nonsmooth | None = (
        None  # the derivative does not exist here; the value is a convention
    )


@dataclass(frozen=True)
class PartialResult:
    fn: Function
    wrt: tuple[Any, ...]  # Symbols, in differentiation order
    derivative: Any
    points: list[PartialPoint]
    # The derivative written with σ (gradcli.calculus.logistic.Sigmoid) when f is built from
    # sigmoid, as lessons write it; None otherwise. ``derivative`` is the same function.
    sigmoid_form: Any = None
    checked: bool = False  # each point carries a finite-difference check (the CSV has its columns)

    @property
    def notation(self) -> str:
        """∂f/∂x, ∂²f/∂x², ∂²f/∂x∂y (the leftmost variable is differentiated last); df/dx when f
        has one variable and the derivative is a first one."""
        # Imported here so that results stay importable without sympy (notation's printer needs it).
        from gradcli.calculus.notation import derivative_name

        partial = len(self.wrt) != 1 or len(self.fn.variables) != 1
        return derivative_name([sym.name for sym in self.wrt], partial=partial)


@dataclass(frozen=True)
class Directional:
    direction: tuple[float, ...]  # the unit vector actually used
    value: Value


@dataclass(frozen=True)
class GradientPoint:
    at: Point
    value: Value
    gradient: tuple[Value, ...]
    norm: Value
    ascent: tuple[float, ...] | None  # None when ∇f = 0
    descent: tuple[float, ...] | None
    stationary: bool
    # minimum | maximum | saddle | degenerate (when stationary) | unclassified (at a kink, when f
    # looks the same all around)
    classification: str | None = None
    hessian: tuple[tuple[float, ...], ...] | None = None
    eigenvalues: tuple[float, ...] | None = None
    directional: Directional | None = None
    check: tuple[FiniteDifference, ...] | None = None
    nonsmooth: Nonsmooth | None = None  # f is not (twice) differentiable here
    classified_by: str | None = None  # "hessian", or "neighbourhood" (f compared around a kink)


@dataclass(frozen=True)
class GradientResult:
    fn: Function
    gradient: tuple[Any, ...]
    points: list[GradientPoint]
    hessian: tuple[tuple[Any, ...], ...] | None = None
    # ∇f written with σ when f is built from sigmoid (None otherwise): each component is the
    # same function as in ``gradient``; a component without σ in it is the plain one.
    sigmoid_form: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class CriticalPoint:
    exact: tuple[Any, ...] | None  # None when found numerically only
    values: tuple[float, ...]
    value: Value
    eigenvalues: tuple[float, ...]
    classification: str
    found_by: str  # "symbolic" | "numeric"


@dataclass(frozen=True)
class StationarySet:
    """Where ∇f = 0 on more than isolated points: a curve, a surface, or every point.

    ``equations`` are sympy expressions that are all zero on the set (none: every point is
    stationary). A set found only numerically has no equations but a point ``through`` it and the
    number of search results that landed on it.
    """

    equations: tuple[Any, ...]
    dimension: int | None  # 1 for a curve, 2 for a surface, n for all of space; None if unknown
    through: tuple[float, ...] | None = None
    found: int = 0  # numeric results on this set (not listed as points)


@dataclass(frozen=True)
class NumericSearch:
    """What the multi-start Newton search did: every start ends accepted, outside or rejected."""

    starts: int
    design: str  # "grid" | "halton" (a deterministic quasi-random design in high dimension)
    accepted: int  # starts where Newton converged quadratically to a root of ∇f in the range
    outside: int  # starts that converged to a stationary point outside the range
    rejected: int  # starts where Newton did not converge (flat tails, divergence, too slow)
    iterations: int
    timed_out: bool  # the time budget ended the search before every start had settled


@dataclass(frozen=True)
class CriticalResult:
    fn: Function
    points: list[CriticalPoint]
    families: list[StationarySet]  # stationary sets that are not isolated points
    method: (
        str  # "linear" | "roots" | "elimination" | "factored" | "sympy" | "none": the solve used
    )
    complete: bool  # True only when the method proves the list is complete (within ``scope``)
    search_range: tuple[tuple[float, float], ...]
    notes: list[str] = field(default_factory=list)
    scope: str = "everywhere"  # where ``complete`` holds: "everywhere" | "range"
    search: NumericSearch | None = None  # None when no numeric search was needed or possible
    search_failed: bool = False  # f's derivatives could not be evaluated numerically
    outside: int = 0  # exact stationary points left out because they lie outside the range
    periodic: bool = False  # the solutions repeat without end; only those in the range are listed
    gave_up: str | None = None  # why the exact solve stopped: "time" | "size" | "form" | None
    seconds: float = 0.0  # the exact solve's time bound


@dataclass(frozen=True)
class LevelSample:
    point: tuple[float, ...]
    gradient: tuple[float, ...]
    tangent: tuple[float, ...]  # found from the curve itself, not from ∇f
    angle: float  # degrees between ∇f and the tangent


@dataclass(frozen=True)
class LevelResult:
    fn: Function
    level: Value
    equation: Any  # sympy Eq(f, c)
    branches: list[tuple[Any, Any]]  # (variable, expression) explicit solutions
    at: Point | None = None
    gradient: tuple[Value, ...] | None = None
    tangent: tuple[float, ...] | None = None  # 2-D unit tangent at P
    dot: float | None = None  # ∇f · tangent
    tangent_equation: Any = None  # the tangent line (2-D) or plane (3-D+) through P, as Eq
    branch_angle: float | None = None  # angle of ∇f to the slope of the solved branch through P
    through: tuple[int, ...] | None = None  # which solved branches pass through P (2-D, with P)
    samples: list[LevelSample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # f is not differentiable at P (a kink): ∇f, and the tangent built from it, are conventions
    nonsmooth: Nonsmooth | None = None
