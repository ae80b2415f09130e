"""Constrained stationary points: ∇f = Σ λ_k ∇g_k with every g_k = 0 (Lagrange multipliers).

The Lagrange system is the gradient of L(x, λ) = f(x) − Σ λ_k g_k(x) in the n + m unknowns
(x, λ), so the unconstrained machinery answers it: the exact solve of ``critical``
(:func:`gradcli.calculus.critical_exact.solve_exact`, within a bound) and, where that cannot
prove its list complete, a multi-start Newton search on ∇L = 0 started over the range of x
(:mod:`gradcli.calculus.lagrange_search`). Each point is classified with the bordered Hessian
(:func:`classify`), and the places the multiplier rule cannot see — where the ∇g_k are linearly
dependent on the constraint (LICQ fails) — are looked for and said.

Constraints are read by gradcli's own parser (``g = c`` with an expression on each side, or an
expression alone meaning ``= 0``): nothing the user typed reaches eval or sympify.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradcli.calculus.critical_exact import (
    ExactOutcome,
    inside_box,
    real_floats,
    solve_exact,
)
from gradcli.calculus.critical_search import lengths
from gradcli.calculus.evaluate import SOLVE_SECONDS, evaluate, require_variables
from gradcli.calculus.lagrange_parse import Constraint, constrained, parse_constraint
from gradcli.calculus.lagrange_search import bordered, classify, search
from gradcli.calculus.results import NumericSearch, StationarySet, Value
from gradcli.errors import MathError, UsageError
from gradcli.function import Function
from gradcli.limits import TimeUp, time_limit, work_clock
from gradcli.numeric import compile_function
from gradcli.points import Point

DEFAULT_RANGE = (-5.0, 5.0)
TOTAL_SECONDS = 4.5  # exact solve and numeric search together, as in ``critical``
MIN_SEARCH_SECONDS = 1.0
SINGULAR_SECONDS = 0.75  # the exact search for points where ∇g = 0 on the constraint
AUX_SECONDS = 0.75  # factoring the constraints: no real point? written squared?
MAX_UNKNOWNS = 24  # n + m: the Lagrange system's Hessian is evaluated at every start
MAX_PROBES = 20  # numeric degenerate points probed for a curve of solutions
CONTINUUM_SECONDS = 0.5
SHOWN_LENGTH = 40  # longer exact coordinates are shown as decimals (as in ``critical``)
_PARAMETER = ("subject_to",)


@dataclass(frozen=True)
class ConstrainedPoint:
    """A solution of the Lagrange system, or (``classification`` "singular") a point of the
    constraint set where the ∇g_k are dependent, which the multiplier rule cannot see."""

    exact: tuple[Any, ...] | None
    values: tuple[float, ...]
    value: Value
    multipliers: tuple[Value, ...]  # λ_k, exact where known; empty for a singular point
    # minimum | maximum | saddle | degenerate | isolated (n = m) | singular (LICQ fails)
    classification: str
    minors: tuple[
        float, ...
    ] = ()  # the last n − m leading principal minors of the bordered Hessian
    tangent_eigenvalues: tuple[float, ...] = ()  # Hessian of L on the constraint's tangent space
    test: str = "minors"  # what decided: "minors" | "tangent" (a minor vanished) | "none"
    found_by: str = "symbolic"  # "symbolic" | "numeric"


@dataclass(frozen=True)
class LagrangeResult:
    fn: Function  # f over every variable of f and of the constraints
    constraints: tuple[Constraint, ...]
    multipliers: tuple[str, ...]  # the multipliers' names: ("λ",) or ("λ1", "λ2", ...)
    points: list[ConstrainedPoint]
    singular: list[ConstrainedPoint]  # LICQ fails here: candidates the multiplier rule misses
    families: list[StationarySet]  # curves of constrained stationary points (equations in x, λ)
    method: str
    complete: bool
    search_range: tuple[tuple[float, float], ...]
    scope: str = "everywhere"
    search: NumericSearch | None = None
    gave_up: str | None = None
    seconds: float = SOLVE_SECONDS
    repeated: tuple[tuple[int, Any], ...] = ()  # (k, factor): g_k has factor², so ∇g_k = 0 on it
    notes: list[str] = field(default_factory=list)


# --- solving ------------------------------------------------------------------------------------
def multiplier_names(m: int) -> tuple[str, ...]:
    return ("λ",) if m == 1 else tuple(f"λ{k + 1}" for k in range(m))


def lagrange_points(
    fn: Function,
    constraints: Sequence[Constraint],
    bounds: Sequence[tuple[float, float]] | None = None,
) -> LagrangeResult:
    """The stationary points of f on {g_k = 0}: ∇f = Σ λ_k ∇g_k, classified by the bordered
    Hessian. ``bounds`` (one (lo, hi) per variable) is where the numeric search looks (default
    −5..5); given, every point listed lies in it. Raises :class:`MathError` when a constraint
    provably has no real points."""
    import sympy as sp

    started = work_clock()
    require_variables(fn)
    n, m = len(fn.variables), len(constraints)
    if m > n:
        raise UsageError(
            f"{m} constraints on {n} variable{'s' if n != 1 else ''}: the multiplier rule needs "
            "at most as many constraints as variables",
            parameters=_PARAMETER,
        )
    if n + m > MAX_UNKNOWNS:
        raise UsageError(
            f"the Lagrange system has {n + m} unknowns; at most {MAX_UNKNOWNS} are handled",
            hint="fix some variables with {let}",
            parameters=("let",),
        )
    repeated = _analyse(constraints, fn.variables)
    names = multiplier_names(m)
    lams = tuple(sp.Symbol(name, real=True) for name in names)
    lagrangian = fn.expr - sum((lam * c.expr for lam, c in zip(lams, constraints)), sp.Integer(0))
    big = Function(lagrangian, (*fn.variables, *lams), fn.source)
    compiled = compile_function(big)
    given = bounds is not None
    box = tuple(bounds) if bounds is not None else tuple(DEFAULT_RANGE for _ in range(n))
    # The multipliers are unbounded: the exact side's range for them only limits how far a
    # factored (periodic) solve enumerates.
    wide = (*box, *((-1e6, 1e6) for _ in range(m)))
    exact = _exact(compiled.gradient_exprs, big.variables, wide)
    float_inputs = bool(lagrangian.atoms(sp.Float))
    found: list[tuple[tuple[Any, ...] | None, np.ndarray[Any, Any], str]] = []
    for coords in exact.points:
        values = real_floats(coords)
        if values is None or (given and not inside_box(values[:n], box)):
            continue
        found.append((None if float_inputs else tuple(coords), np.array(values), "symbolic"))
    summary = None
    sets = list(exact.sets)
    if sets and found:  # sympy lists points of a curve beside the curve: the curve says them
        zs = np.array([z for _, z, _ in found])
        found = [f for f, on in zip(found, _on_sets(big, sets, zs)) if not on]
    # before the search, so that the search's share of the total budget pays for it
    singular = _singular_points(fn, constraints, box if given else None)
    if not exact.complete:
        deadline = max(work_clock() + MIN_SEARCH_SECONDS, started + TOTAL_SECONDS)
        outcome = search(compiled, n, box, deadline)
        if outcome is not None:
            summary = outcome.summary
            known = np.array([z for _, z, _ in found]).reshape(-1, n + m)
            on_sets = _on_sets(big, sets, outcome.points)
            for z, on in zip(outcome.points, on_sets):
                near = lengths(known - z) <= 1e-6 * (1 + lengths(z[None])[0])
                if not near.any() and not on:
                    found.append((None, z, "numeric"))
    made = [_point(fn, compiled, n, coords, z, by) for coords, z, by in found]
    points = [p for p in made if p is not None]
    points, through = _continuum(compiled, points, n, started + TOTAL_SECONDS)
    if through:
        sets.append(StationarySet((), None, through=through[0], found=len(through)))
    points.sort(key=lambda p: p.values)
    singular = [  # ∇f = 0 there too: the Lagrange system has it already (with every λ)
        q for q in singular if not any(np.allclose(p.values, q.values, atol=1e-9) for p in points)
    ]
    return LagrangeResult(
        fn=fn,
        constraints=tuple(constraints),
        multipliers=names,
        points=points,
        singular=singular,
        families=sets,
        method=exact.method,
        complete=exact.complete,
        search_range=box,
        scope="range" if given else "everywhere",
        search=summary,
        gave_up=exact.gave_up,
        repeated=repeated,
    )


def _exact(
    components: Sequence[Any], variables: Sequence[Any], box: Any, seconds: float = SOLVE_SECONDS
) -> ExactOutcome:
    try:
        with time_limit(seconds):
            return solve_exact(components, variables, box)
    except TimeUp:
        return ExactOutcome(gave_up="time")
    except Exception:  # sympy's solvers raise many internal error types; the search still answers
        return ExactOutcome(gave_up="form")


def _point(
    fn: Function,
    compiled: Any,
    n: int,
    coords: tuple[Any, ...] | None,
    z: np.ndarray[Any, Any],
    found_by: str,
) -> ConstrainedPoint | None:
    """One Lagrange solution (x, λ), classified; None where f or its derivatives are undefined."""
    with np.errstate(all="ignore"):
        kkt = compiled.hessian(z[None])[0]
        value = float(fn_value(compiled, z))
    if not (np.all(np.isfinite(kkt)) and np.isfinite(value)):
        return None
    verdict = classify(*bordered(kkt, n))
    exact = coords if coords is not None and _short(coords) else None
    shown = Value(None, value)
    lams = tuple(Value(None, float(v)) for v in z[n:])
    if exact is not None:
        point = Point(fn.names, exact[:n], tuple(float(v) for v in z[:n]))
        with contextlib.suppress(MathError):  # undefined exactly: the float stands
            shown = evaluate(fn.expr, fn, point)
        lams = tuple(Value(c, float(v)) for c, v in zip(exact[n:], z[n:]))
    return ConstrainedPoint(
        exact=exact[:n] if exact is not None else None,
        values=tuple(float(v) for v in z[:n]),
        value=shown,
        multipliers=lams,
        classification=verdict.kind,
        minors=verdict.minors,
        tangent_eigenvalues=verdict.eigenvalues,
        test=verdict.test,
        found_by=found_by,
    )


def fn_value(compiled: Any, z: np.ndarray[Any, Any]) -> float:
    """f at the solution: L = f there, since every g_k = 0."""
    return float(compiled.value(z[None])[0])


def _short(coords: Sequence[Any]) -> bool:
    import sympy as sp

    return all(not c.has(sp.CRootOf) and len(sp.sstr(c)) <= SHOWN_LENGTH for c in coords)


def _on_sets(
    big: Function, sets: Sequence[StationarySet], points: np.ndarray[Any, Any]
) -> list[bool]:
    """Whether each numeric (x, λ) lies on a set of solutions the exact solve already found."""
    from gradcli.symbolic import lambdify

    flags = [False] * len(points)
    for s in sets:
        if not s.equations or not len(points):
            return [bool(len(points))] * len(points) if not s.equations else flags
        try:
            check = lambdify(big.variables, list(s.equations))
            with np.errstate(all="ignore"):  # √(1 − y²) at y = 1 + 1e-16 is complex, not nan
                values = [
                    np.abs(np.broadcast_to(v, len(points)))
                    for v in check(*points.T.astype(complex))
                ]
        except Exception:  # a set that cannot be evaluated claims no point
            continue
        scale = 1e-6 * (1 + np.abs(points).max(axis=1))
        on = np.all([v <= scale for v in values], axis=0)
        flags = [a or bool(b) for a, b in zip(flags, on)]
    return flags


def _continuum(
    compiled: Any, points: list[ConstrainedPoint], n: int, deadline: float
) -> tuple[list[ConstrainedPoint], list[tuple[float, ...]]]:
    """Numeric degenerate points that lie on a curve of solutions (f constant on the constraint),
    set apart: the curve is said once, not as a thousand rows."""
    from gradcli.calculus.critical_search import on_a_continuum

    kept: list[ConstrainedPoint] = []
    through: list[tuple[float, ...]] = []
    probes = 0
    deadline = max(deadline, work_clock() + CONTINUUM_SECONDS)
    for p in points:
        if p.found_by != "numeric" or p.classification != "degenerate" or probes >= MAX_PROBES:
            kept.append(p)
            continue
        probes += 1
        z = np.array([*p.values, *(v.value for v in p.multipliers)])
        kkt = compiled.hessian(z[None])[0]
        eig, vectors = np.linalg.eigh((kkt + kkt.T) / 2)
        small = np.abs(eig) <= 1e-9 * max(1.0, float(np.abs(eig).max()))
        null = vectors[:, small] if small.any() else vectors[:, [int(np.argmin(np.abs(eig)))]]
        if on_a_continuum(compiled, z, null, deadline):
            through.append(p.values)
        else:
            kept.append(p)
    if through:  # every other numeric degenerate point is on it too, as far as anyone can tell
        kept = [
            p for p in kept if not (p.found_by == "numeric" and p.classification == "degenerate")
        ]
    return kept, through


# --- where the multiplier rule is blind -----------------------------------------------------------
def _analyse(constraints: Sequence[Constraint], variables: Sequence[Any]) -> tuple[Any, ...]:
    """Each constraint factored once, all within one bound: a MathError when one provably has no
    real point (every factor is never zero, as x² + y² + 1; or g is a definite quadratic whose
    extreme value has g's sign, as x² + 2y² = −3), and the (k, h) where g_k = h²·…, ∇g_k = 0
    wherever h = 0, so LICQ fails on that whole piece (a constraint written squared)."""
    import sympy as sp

    deadline = work_clock() + AUX_SECONDS
    repeated = []
    for k, c in enumerate(constraints):
        left = deadline - work_clock()
        if left < 0.05:
            break
        why = None
        try:
            with time_limit(left):
                _, factors = sp.factor_list(c.expr)
                if all(_never_zero(base, variables) for base, _ in factors):
                    why = f"{sp.sstr(c.expr)} is never zero"
                else:
                    own = [v for v in variables if v in c.expr.free_symbols]
                    why = _definite_quadratic(c.expr, own)
        except TimeUp:
            continue
        except Exception:  # a form sympy cannot analyse: no proof either way, the solve will say
            continue
        if why:
            raise MathError(
                f"the constraint {c.text} has no real solutions: {why}",
                hint="no point satisfies it, so there is nothing to optimise on",
            )
        repeated += [
            (k, base)
            for base, power in factors
            if power >= 2 and base.free_symbols & set(variables)
        ]
    return tuple(repeated)


def _never_zero(base: Any, variables: Sequence[Any]) -> bool:
    import sympy as sp

    if not base.free_symbols & set(variables):
        return bool(base != 0)
    return bool(isinstance(base, sp.exp) or base.is_positive or base.is_negative)


def _definite_quadratic(g: Any, variables: Sequence[Any]) -> str | None:
    import sympy as sp

    if not variables or not g.is_polynomial(*variables):
        return None
    poly = sp.Poly(g, *variables)
    if poly.total_degree() != 2:
        return None
    hess = sp.hessian(g, variables)
    grad = [sp.diff(g, v) for v in variables]
    eig = [float(e) for e in np.linalg.eigvalsh(np.array(hess.evalf(), dtype=float))]
    if not (all(e > 0 for e in eig) or all(e < 0 for e in eig)):
        return None
    (centre,) = sp.linsolve(grad, list(variables))
    extreme = sp.nsimplify(g.subs(dict(zip(variables, centre))))
    if (eig[0] > 0 and extreme > 0) or (eig[0] < 0 and extreme < 0):
        word = "smallest" if eig[0] > 0 else "largest"
        return f"the {word} value of {sp.sstr(g)} is {sp.sstr(extreme)}"
    return None


def _singular_points(
    fn: Function,
    constraints: Sequence[Constraint],
    box: Sequence[tuple[float, float]] | None,
) -> list[ConstrainedPoint]:
    """Isolated points of a single constraint where ∇g = 0 and g = 0: the stationary points of g
    lying on g = 0 (solved exactly, within a bound). With several constraints, the Lagrange points
    themselves are checked (classification "singular" comes from :func:`classify`)."""
    import sympy as sp

    if len(constraints) != 1:
        return []
    g = constraints[0].expr
    variables = fn.variables
    grad = [sp.diff(g, v) for v in variables]
    outcome = _exact(
        grad, variables, box or tuple(DEFAULT_RANGE for _ in variables), SINGULAR_SECONDS
    )
    out = []
    for coords in outcome.points:
        values = real_floats(coords)
        if values is None or (box is not None and not inside_box(values, box)):
            continue
        try:
            on = abs(complex(sp.N(g.subs(dict(zip(variables, coords))), 30))) < 1e-20
        except (TypeError, ValueError):
            on = False
        if not on:
            continue
        point = Point(fn.names, tuple(coords), values)
        try:
            value = evaluate(fn.expr, fn, point)
        except MathError:
            continue
        out.append(
            ConstrainedPoint(
                exact=tuple(coords) if _short(coords) else None,
                values=values,
                value=value,
                multipliers=(),
                classification="singular",
                test="none",
            )
        )
    return out


__all__ = [
    "ConstrainedPoint",
    "Constraint",
    "LagrangeResult",
    "constrained",
    "lagrange_points",
    "multiplier_names",
    "parse_constraint",
]
