"""Projected gradient descent: after every update x ← P(x), where P is the nearest point of a set
that has a simple one — a sphere (a circle in 2-D), possibly centred off the origin and over some
of the variables; a hyperplane a·x = c (a line in 2-D: P moves x along a by (a·x − c)/‖a‖²); or a
box of bounds (P clamps each coordinate).

The shape is recognised from the constraint's sympy expression, by its polynomial coefficients:
nothing is evaluated. Any other constraint is refused (its nearest point has no closed form; the
Lagrange points of ``critical --subject-to`` answer it instead).

A run converges when the *projected* gradient vanishes — the part of ∇f along the set (tangent to
the sphere; at a face of the box, without the component that pushes out of it) — since at a
constrained minimum ∇f itself does not vanish. That is the ‖∇f‖ the records carry; the gradient
itself is recorded whole. The update uses the whole ∇f: x ← P(x − lr·∇f), the textbook method.

Both lanes run the same operations in the same order (Python floats or numpy rows), so a run's
numbers do not depend on the lane that stepped it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gradcli.errors import MathError, UsageError, few_names
from gradcli.optimize.runs import SQ_TINY
from gradcli.optimize.settings import CURVATURE_METHODS

Array = np.ndarray[Any, Any]
Coords = Any  # n floats (scalar lane) or n (R,) arrays (vector lane)

RECOGNISE_SECONDS = 1.0
_SUBJECT = ("subject_to",)
_BOUNDS = ("bounds",)


def refuse_curvature(methods: Sequence[str]) -> None:
    """Projection is a step of the first-order loop (x ← P(x − lr·∇f)); the curvature methods'
    line searches know nothing of it, so they would walk off the set: refuse them by name."""
    bad = list(dict.fromkeys(m for m in methods if m in CURVATURE_METHODS))
    if bad:
        raise UsageError(
            f"projected descent steps the first-order methods only; {', '.join(bad)} "
            f"{'has' if len(bad) == 1 else 'have'} no projected form here",
            hint="drop that --method, or ask critical --subject-to for the constrained optimum",
        )


@dataclass(frozen=True)
class Projection:
    """The nearest-point map of a simple set, and the projected gradient's squared norm."""

    kind: str  # "sphere" | "plane" | "box"
    text: str  # as typed: "x^2 + y^2 = 1", "x=-1:1,y=0:2" (views/lagrange.py words it)
    indices: tuple[int, ...] = ()  # sphere, plane: the variables it constrains
    centre: tuple[float, ...] = ()
    radius: float = 0.0
    normal: tuple[float, ...] = ()  # plane: a (over indices) in a·x = c
    offset: float = 0.0  # plane: c
    lower: tuple[float, ...] = ()  # box: one per variable (−inf: unbounded)
    upper: tuple[float, ...] = ()
    ascent: bool = False  # a box's projected gradient depends on the direction of travel
    names: tuple[str, ...] = ()  # the variables' names, for words (set by views)

    # --- what a descent asks -------------------------------------------------------------------
    def oriented(self, ascent: Sequence[bool]) -> Projection:
        """This projection for runs that all descend or all ascend."""
        directions = set(ascent)
        if len(directions) > 1 and self.kind == "box":
            raise UsageError(
                "a box projects runs that all descend or all ascend, not both at once",
                parameters=_BOUNDS,
            )
        return replace(self, ascent=bool(directions and directions.pop()))

    def points(self, xs: Array) -> Array:
        """The starts, projected: ``(S, n) → (S, n)`` (the same arithmetic as the steps')."""
        columns = self.project(tuple(np.ascontiguousarray(xs[:, i]) for i in range(xs.shape[1])))
        return np.stack(columns, axis=1) if len(columns) else xs

    def hooks(
        self, measure: Callable[[Any], Any], advance: Callable[[Any, Any, Any], Any]
    ) -> tuple[Callable[[Any], Any], Callable[[Any, Any, Any], Any]]:
        """A lane's ``_measure`` and ``_advance`` with the projection in: ‖∇f‖² becomes the
        projected gradient's, and every update lands on the set."""
        project, tangent = self.project, self.tangent_sq

        def measured(x: Coords) -> Any:
            f, g, _ = measure(x)
            return f, g, tangent(x, g)

        def advanced(x: Coords, prev_x: Coords, deltas: Coords) -> Coords:
            return project(advance(x, prev_x, deltas))

        return measured, advanced

    def settle(self, runs: Sequence[Any]) -> None:
        """Runs that ended on the set carry no Hessian verdict: ∇f need not vanish there, so the
        unconstrained test (and the plateau probe along −∇f) would judge the wrong problem."""
        from gradcli.optimize.runs import EndPoint, Plateau

        floor = math.sqrt(SQ_TINY)  # tangent_sq's floor for an exact 0: said as the 0 it is
        for run in runs:
            run.classification = None
            run.eigenvalues = None
            run.findings = [n for n in run.findings if not isinstance(n, (EndPoint, Plateau))]
            if len(run.norms) and run.norms[-1] == floor:
                run.norms = np.where(run.norms == floor, 0.0, run.norms)
                run.reason = run.reason.replace("‖∇f‖ = 1e-150", "‖∇f‖ = 0")

    # --- the arithmetic, on either lane ----------------------------------------------------------
    def project(self, x: Coords) -> Coords:
        vector = bool(len(x)) and isinstance(x[0], np.ndarray)
        if self.kind == "box":
            return self._clamp(x, vector)
        out = list(x)
        if self.kind == "plane":
            k = self._excess(x)
            for i, a in zip(self.indices, self.normal):
                out[i] = x[i] - k * a
            return tuple(out)
        d, norm = self._offsets(x, vector)
        r = self.radius
        for i, c, di in zip(self.indices, self.centre, d):
            out[i] = c + r * (di / norm)
        return tuple(out)

    def _excess(self, x: Coords) -> Any:
        """(a·x − c)/‖a‖²: how far along a the plane's nearest point lies back from x."""
        a = self.normal
        return (_dot([x[i] for i in self.indices], a) - self.offset) / _squared(a)

    def _offsets(self, x: Coords, vector: bool) -> tuple[list[Any], Any]:
        """x − c over the sphere's variables, and its length; at the centre itself (no nearest
        point: every point of the sphere is as near) the first axis's direction is taken."""
        d = [x[i] - c for i, c in zip(self.indices, self.centre)]
        s = _dot(d, d)
        if vector:
            centre = s == 0
            if centre.any():
                d[0] = np.where(centre, 1.0, d[0])
                s = np.where(centre, 1.0, s)
            return d, np.sqrt(s)
        if s == 0:  # a nan offset is no centre: it stays nan, and the run is called diverged
            d[0], s = 1.0, 1.0
        return d, math.sqrt(s)

    def _clamp(self, x: Coords, vector: bool) -> Coords:
        out = list(x)
        for i, (lo, hi) in enumerate(zip(self.lower, self.upper)):
            if lo == -math.inf and hi == math.inf:
                continue
            if vector:
                out[i] = np.minimum(np.maximum(x[i], lo), hi)
            else:
                # max(nan, lo) is nan (its comparisons are false): a diverged run stays diverged
                out[i] = min(max(x[i], lo), hi)
        return tuple(out)

    def tangent_sq(self, x: Coords, g: Coords) -> Any:
        """‖projected ∇f‖² at x (on the set), summed in variable order like the lanes' ‖∇f‖²;
        floored at 1e-300, below which the lanes would recompute the norm from ∇f itself."""
        vector = bool(len(x)) and isinstance(x[0], np.ndarray)
        t = list(g)
        if self.kind == "plane":  # ∇f without its part along the normal
            a = self.normal
            along = _dot([g[i] for i in self.indices], a) / _squared(a)
            for k, i in enumerate(self.indices):
                t[i] = g[i] - along * a[k]
        elif self.kind == "sphere":
            d, norm = self._offsets(x, vector)
            u = [di / norm for di in d]
            along = _dot([g[i] for i in self.indices], u)
            for k, i in enumerate(self.indices):
                t[i] = g[i] - along * u[k]
        else:
            sign = -1.0 if self.ascent else 1.0
            for i, (lo, hi) in enumerate(zip(self.lower, self.upper)):
                push = g[i] * sign  # the update moves x_i by −lr·push
                blocked = ((x[i] <= lo) & (push > 0)) | ((x[i] >= hi) & (push < 0))
                t[i] = np.where(blocked, 0.0, g[i]) if vector else (0.0 if blocked else g[i])
        if not t:
            return 0.0
        sq = _dot(t, t)
        if vector:
            return np.where(sq < SQ_TINY, SQ_TINY, sq)
        return SQ_TINY if sq < SQ_TINY else sq

    def record(self, names: Sequence[str]) -> dict[str, Any]:
        """The set, as JSON (what ``descend --format json`` says the runs were projected onto)."""
        if self.kind == "plane":
            return {
                "kind": "plane",
                "text": self.text,
                "variables": [names[i] for i in self.indices],
                "normal": list(self.normal),
                "offset": self.offset,
            }
        if self.kind == "sphere":
            return {
                "kind": "sphere",
                "text": self.text,
                "variables": [names[i] for i in self.indices],
                "centre": list(self.centre),
                "radius": self.radius,
            }
        return {
            "kind": "box",
            "text": self.text,
            "bounds": {
                n: [_finite(lo), _finite(hi)] for n, lo, hi in zip(names, self.lower, self.upper)
            },
        }


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _squared(a: Sequence[float]) -> float:
    """‖a‖² of the plane's normal (floats)."""
    return float(_dot(a, a))


def _dot(values: Sequence[Any], weights: Sequence[Any]) -> Any:
    """Σ values_k·weights_k in order, from the first product (floats or numpy rows: the same
    operations in the same order on both lanes, so the same bits)."""
    total = values[0] * weights[0]
    for k in range(1, len(values)):
        total += values[k] * weights[k]
    return total


# --- recognising a sphere -------------------------------------------------------------------------
def simple_set(expr: Any, variables: Sequence[Any], text: str) -> Projection:
    """The sphere Σ a(x_i − c_i)² = a·r² or the hyperplane a·x = c that ``expr = 0`` is, or a
    UsageError naming the shapes that project simply. Read from the polynomial's coefficients:
    degree 1, or equal squares and no cross terms."""
    import sympy as sp

    used = [v for v in variables if v in expr.free_symbols]
    refusal = UsageError(
        "descend projects onto a circle or sphere, (x−a)² + (y−b)² = r², a line or plane, "
        f"a·x = c, or a box ({{bounds}}); {text!r} is none of these",
        hint="critical --subject-to finds its constrained stationary points exactly",
        parameters=(*_SUBJECT, *_BOUNDS),
    )
    if not used or expr.free_symbols - set(variables):
        raise refusal
    from gradcli.limits import TimeUp, time_limit

    try:  # (x + y)^200 = 1 expands to hundreds of terms: a bound, and it is no sphere anyway
        with time_limit(RECOGNISE_SECONDS):
            poly = sp.Poly(sp.expand(expr), *used)
    except (sp.PolynomialError, TimeUp):
        raise refusal from None
    if poly.total_degree() not in (1, 2) or not all(c.is_number for c in poly.coeffs()):
        raise refusal
    index = {v: i for i, v in enumerate(variables)}
    if poly.total_degree() == 1:  # a·x + b = 0: the plane a·x = −b
        normal = [float(poly.coeff_monomial(v)) for v in used]
        offset = -float(poly.coeff_monomial(1))
        if not all(math.isfinite(v) for v in [*normal, offset]):
            raise refusal
        return Projection(
            "plane", text, indices=tuple(index[v] for v in used), normal=tuple(normal),
            offset=offset,
        )  # fmt: skip
    square = [poly.coeff_monomial(v**2) for v in used]
    a = square[0]
    if a == 0 or any(s != a for s in square):
        raise refusal
    for p in range(len(used)):
        for q in range(p + 1, len(used)):
            if poly.coeff_monomial(used[p] * used[q]) != 0:
                raise refusal
    centre = [-poly.coeff_monomial(v) / (2 * a) for v in used]
    r2 = sum(c * c for c in centre) - poly.coeff_monomial(1) / a
    r2_value = float(r2)
    if not r2_value > 0:
        raise MathError(
            f"the constraint {text} has no real points"
            if r2_value < 0
            else f"the constraint {text} is a single point, not a sphere",
            hint="no point satisfies it, so there is nothing to descend on"
            if r2_value < 0
            else "fix the variables with --let instead",
        )
    return Projection(
        "sphere",
        text,
        indices=tuple(index[v] for v in used),
        centre=tuple(float(c) for c in centre),
        radius=math.sqrt(r2_value),
    )


# --- a box from --bounds --------------------------------------------------------------------------
def parse_bounds(text: str, names: Sequence[str]) -> Projection:
    """``-1:1`` (every variable), ``x=-1:1,y=0:2`` (the rest unbounded) or an open end,
    ``x=0:`` (x ≥ 0). The ends are constants: ``-pi:pi``, ``0:sqrt(2)``."""
    from gradcli.expr import split_top_level
    from gradcli.points import constant_float

    def interval(spec: str, what: str) -> tuple[float, float]:
        lo_text, sep, hi_text = spec.partition(":")
        if not sep:
            raise UsageError(
                f"{{bounds}} {what}: expected LO:HI, got {spec!r}",
                hint="e.g. {bounds} x=-1:1,y=0:2 or {bounds} -1:1",
                parameters=_BOUNDS,
            )
        ends = []
        for part, default in ((lo_text, -math.inf), (hi_text, math.inf)):
            if not part.strip():
                ends.append(default)
                continue
            try:
                ends.append(constant_float(part, "a bound"))
            except UsageError as exc:
                raise UsageError(
                    f"{{bounds}} {what} {spec!r}: {exc.one_line()}", parameters=_BOUNDS
                ) from None
        lo, hi = ends
        if math.isnan(lo) or math.isnan(hi) or not lo <= hi or lo == math.inf or hi == -math.inf:
            raise UsageError(f"{{bounds}} {what} {spec!r}: need LO ≤ HI", parameters=_BOUNDS)
        return lo, hi

    spec = text.strip()
    box = {n: (-math.inf, math.inf) for n in names}
    if "=" not in spec:
        every = interval(spec, "")
        box = {n: every for n in names}
    else:
        for part in split_top_level(spec):
            name, eq, rest = part.partition("=")
            name = name.strip()
            if not eq or name not in box:
                raise UsageError(
                    f"{{bounds}}: {name!r} is not a variable",
                    hint=f"variables: {few_names(names)}",
                    parameters=_BOUNDS,
                )
            box[name] = interval(rest.strip(), name)
    if all(lo == -math.inf and hi == math.inf for lo, hi in box.values()):
        raise UsageError("{bounds} bounds nothing: give LO or HI", parameters=_BOUNDS)
    return Projection(
        "box",
        spec,
        lower=tuple(box[n][0] for n in names),
        upper=tuple(box[n][1] for n in names),
    )


__all__ = ["Projection", "parse_bounds", "simple_set"]
