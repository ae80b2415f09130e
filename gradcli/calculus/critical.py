"""Stationary points: ∇f = 0 solved exactly where a method can prove it found every solution
(:mod:`gradcli.calculus.critical_exact`), otherwise completed by a bounded multi-start Newton
search (:mod:`gradcli.calculus.critical_search`) that accepts only converged roots.

Both halves are bounded in time and size, so ``critical`` answers within seconds whatever f is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradcli.calculus.critical_exact import (
    ExactOutcome,
    inside_box,
    real_floats,
    solve_exact,
)
from gradcli.calculus.critical_search import (
    MAX_STARTS,
    SearchOutcome,
    lengths,
    on_a_continuum,
    search,
)
from gradcli.calculus.evaluate import SOLVE_SECONDS, evaluate, require_variables
from gradcli.calculus.results import CriticalPoint, CriticalResult, StationarySet, Value
from gradcli.errors import MathError, UsageError
from gradcli.function import Function
from gradcli.limits import TimeUp, time_limit, work_clock
from gradcli.numeric import Compiled, classify_points, compile_function
from gradcli.points import Point

DEFAULT_RANGE = (-5.0, 5.0)
TOTAL_SECONDS = 4.5  # exact solve (at most SOLVE_SECONDS) and numeric search together
MIN_SEARCH_SECONDS = 1.0
FINISH_SECONDS = 0.3  # at least this for continuum probes and exact values, after the search
EXACT_VALUE_SECONDS = 1.0  # exact f at exact points, all points together
MAX_VARIABLES = 40  # the Hessian has n² entries to differentiate and evaluate at every start
MAX_CONTINUUM_PROBES = 200
PROBE_SECONDS = 1.0  # all continuum probes together; a point left unprobed is listed as it is
SHOWN_LENGTH = 40  # longer exact coordinates (roots of degree-9 polynomials) are shown as decimals
ON_SET_TOLERANCE = 1e-6


@dataclass
class _Found:
    exact: tuple[Any, ...] | None
    values: tuple[float, ...]
    found_by: str


def critical_points(
    fn: Function,
    bounds: Sequence[tuple[float, float]] | None = None,
    *,
    max_starts: int = MAX_STARTS,
) -> CriticalResult:
    """The stationary points of f, each classified from its Hessian.

    ``bounds`` is the range: the numeric search looks there (default −5..5 on each axis), and
    when it is given every listed point lies in it. A list called complete is proven so: by
    solving a linear or polynomial system exactly (then everywhere, unless ``bounds`` was given),
    or by enumerating the solutions of factored equations inside the range.
    """
    started = work_clock()
    require_variables(fn)
    n = len(fn.variables)
    if n > MAX_VARIABLES:
        raise UsageError(
            f"critical handles at most {MAX_VARIABLES} variables; f has {n}",
            hint="fix some of them with {let}",
            parameters=("let",),
        )
    given = bounds is not None
    box = tuple(bounds) if bounds is not None else tuple(DEFAULT_RANGE for _ in range(n))
    compiled = compile_function(fn)
    grad = compiled.gradient_exprs
    exact = _exact(grad, fn.variables, box)
    keep_all = exact.complete and exact.scope == "everywhere" and not given
    float_inputs = bool(fn.expr.atoms(_sympy().Float))
    sets = list(exact.sets)
    found: list[_Found] = []
    outside = 0
    solved = exact.values if len(exact.values) == len(exact.points) else None
    for i, coords in enumerate(exact.points):
        values = solved[i] if solved is not None else real_floats(coords)
        if values is None:
            continue  # a complex solution is not a point of a real function's graph
        if not keep_all and not inside_box(values, box):
            outside += 1
            continue
        found.append(_Found(None if float_inputs else coords, values, "symbolic"))
    xs = np.array([f.values for f in found]).reshape(-1, n)
    # ∇f must exist at a solution: atan2(y, x) has ∇f = (−y, x)/(x² + y²), and dropping the
    # never-zero 1/(x² + y²) leaves (0, 0), where ∇f is 0/0.
    defined = _gradient_defined(compiled, xs)
    # A point on a curve of stationary points is part of the curve, said once, not a row.
    on_sets = _on_sets(fn, sets, xs)
    found = [f for f, ok, on in zip(found, defined, on_sets) if ok and not on]
    summary = None
    search_failed = False
    if not exact.complete:
        deadline = max(work_clock() + MIN_SEARCH_SECONDS, started + TOTAL_SECONDS)
        outcome = _search(compiled, box, deadline, max_starts)
        search_failed = outcome is None
        if outcome is not None:
            summary = outcome.summary
            on_sets = _on_sets(fn, sets, outcome.points)
            known = np.array([f.values for f in found]).reshape(-1, n)
            for p, on_set in zip(outcome.points, on_sets):
                near = lengths(known - p) <= 1e-6 * (1 + lengths(p[None])[0])
                if not on_set and not near.any():
                    found.append(_Found(None, tuple(float(c) for c in p), "numeric"))
    now = work_clock()
    finish = max(now + FINISH_SECONDS, min(now, started + TOTAL_SECONDS) + EXACT_VALUE_SECONDS)
    points, continuum = _classify(fn, compiled, found, finish)
    if continuum:
        through = tuple(float(c) for c in continuum[0])
        sets.append(StationarySet((), None, through=through, found=len(continuum)))
    points.sort(key=lambda p: p.values)
    return CriticalResult(
        fn=fn,
        points=points,
        families=sets,
        method=exact.method,
        complete=exact.complete,
        search_range=box,
        scope="range" if exact.complete and (given or exact.scope == "range") else "everywhere",
        search=summary,
        search_failed=search_failed,
        outside=outside,
        periodic=exact.periodic,
        gave_up=exact.gave_up,
        seconds=SOLVE_SECONDS,
    )


def _sympy() -> Any:
    import sympy

    return sympy


def _exact(grad: Sequence[Any], variables: Sequence[Any], box: Any) -> ExactOutcome:
    try:
        with time_limit(SOLVE_SECONDS):
            return solve_exact(grad, variables, box)
    except TimeUp:
        return ExactOutcome(gave_up="time")
    except Exception:  # sympy's solvers raise many internal error types;
        # the numeric search still answers, so none of them may end the command.
        return ExactOutcome(gave_up="form")


def _search(
    compiled: Compiled, box: Sequence[tuple[float, float]], deadline: float, max_starts: int
) -> SearchOutcome | None:
    """The numeric search, or None where f's derivatives cannot be evaluated numerically."""
    try:
        return search(compiled, box, deadline, max_starts)
    except (NameError, TypeError, ValueError, AttributeError, ZeroDivisionError):
        return None  # e.g. a derivative with no numeric form (DiracDelta): exact points only


def _gradient_defined(compiled: Compiled, xs: np.ndarray[Any, Any]) -> list[bool]:
    if not len(xs):
        return []
    try:
        g = compiled.gradient(xs)
    except (NameError, TypeError, ValueError, AttributeError, ZeroDivisionError):
        return [True] * len(xs)  # no numeric form to judge by: keep the exact solution
    return [bool(ok) for ok in np.all(np.isfinite(g), axis=1)]


def _on_sets(
    fn: Function, sets: Sequence[StationarySet], points: np.ndarray[Any, Any]
) -> list[bool]:
    """Whether each numeric point lies on one of the stationary sets already found exactly."""
    from gradcli.symbolic import lambdify

    flags = [False] * len(points)
    if not len(points):
        return flags
    for s in sets:
        if not s.equations:
            return [True] * len(points)  # every point is stationary
        try:
            check = lambdify(fn.variables, list(s.equations))
            # Complex arithmetic: √(π − x²) at x = √π is √(−1e-16), 1e-8i, not NaN.
            with np.errstate(all="ignore"):
                columns = points.T.astype(complex)
                values = [np.broadcast_to(np.abs(v), len(points)) for v in check(*columns)]
        except Exception:  # a set we cannot evaluate claims no point
            continue
        on = np.all(
            [v <= ON_SET_TOLERANCE * (1 + np.abs(points).max(axis=1)) for v in values], axis=0
        )
        flags = [a or bool(b) for a, b in zip(flags, on)]
    return flags


def _classify(
    fn: Function, compiled: Compiled, found: Sequence[_Found], deadline: float
) -> tuple[list[CriticalPoint], list[np.ndarray[Any, Any]]]:
    """CriticalPoints from the Hessian's eigenvalues; numeric points on a continuum of stationary
    points are returned apart (a curve is reported once, not as a hundred rows)."""
    if not found:
        return [], []
    xs = np.array([f.values for f in found], dtype=float)
    n = xs.shape[1]
    try:
        values = compiled.value(xs)
    except (NameError, TypeError, ValueError, AttributeError, ZeroDivisionError):
        values = np.full(len(xs), np.nan)
    try:
        hessians = compiled.hessian(xs)
    except (NameError, TypeError, ValueError, AttributeError, ZeroDivisionError):
        hessians = np.full((len(xs), n, n), np.nan)
    points: list[CriticalPoint] = []
    continuum: list[np.ndarray[Any, Any]] = []
    probes = 0
    probe_deadline = min(work_clock() + PROBE_SECONDS, deadline)
    for f, x, value, h in zip(found, xs, values, hessians):
        if not np.isfinite(value) and f.exact is None:
            continue  # f undefined there: not a point of its graph
        if not np.all(np.isfinite(h)):
            # No Hessian there: compare f around the point instead (|x| has a minimum at 0).
            eig = np.full(n, np.nan)
            kind = classify_points(compiled, x[None], eig[None])[0]
        else:
            h = (h + h.T) / 2
            eig, vectors = np.linalg.eigh(h)
            # At a kink (δ counted as 0) the Hessian says nothing; classify_points looks around.
            kind = classify_points(compiled, x[None], eig[None])[0]
            if kind == "degenerate" and f.found_by == "numeric" and probes < MAX_CONTINUUM_PROBES:
                probes += 1
                small = np.abs(eig) <= 1e-9 * max(1.0, float(np.max(np.abs(eig))))
                null = vectors[:, small] if small.any() else vectors[:, [np.argmin(np.abs(eig))]]
                if on_a_continuum(compiled, x, null, probe_deadline):
                    continuum.append(x)
                    continue
        exact = f.exact if f.exact is not None and _short(f.exact) else None
        shown = _exact_value(fn, exact, f.values, deadline) if exact is not None else None
        if shown is None and not np.isfinite(value):
            continue
        points.append(
            CriticalPoint(
                exact=exact,
                values=f.values,
                value=shown or Value(None, float(value)),
                eigenvalues=tuple(float(e) for e in eig),
                classification=kind,
                found_by=f.found_by,
            )
        )
    return points, continuum


def _short(coords: Sequence[Any]) -> bool:
    sp = _sympy()
    return all(not c.has(sp.CRootOf) and len(sp.sstr(c)) <= SHOWN_LENGTH for c in coords)


def _exact_value(
    fn: Function, exact: tuple[Any, ...], values: tuple[float, ...], deadline: float
) -> Value | None:
    """f at an exact point, exactly, while the shared budget lasts (else the float will do)."""
    left = deadline - work_clock()
    if left <= 0.05:
        return None
    # evaluate bounds itself; a time_limit around it would be reset by its own inner one.
    try:
        return evaluate(fn.expr, fn, Point(fn.names, exact, values))
    except MathError:
        return None
