"""The lane of the curvature methods — newton, bfgs, lbfgs, cg: one run stepped on numpy vectors.

These methods are not elementwise (a direction mixes every coordinate through a matrix or a
recursion), so they cannot share :mod:`.lane`'s loop of (init, update) rules, and each run takes
its own number of line-search trials, so runs cannot go in lockstep either: :class:`CurvatureLane`
steps ONE run. It is a :class:`~.scalar.ScalarLane` in everything a Descent sees — the same
StepRecords, statuses (converged / max_steps / diverged / interrupted, checked in the same order
and with the same tests), statistics for the notes and results — with its own loop::

    measure f, ∇f at x_t → check (diverged? converged? out of steps?) → direction p (newton,
    quasi_newton, conjugate) → line search along p (wolfe) → record → x_{t+1} = x_t + α·p

The line search's last trial is the next point, so f and ∇f there are not computed twice. A
direction that is not downhill, or a line search that finds no lower f, restarts the method's
memory and tries −∇f; when even that finds no lower f (f is flat to rounding at x, with
‖∇f‖ still above tol), the run stops there with status ``max_steps`` and a reason that says so.

Many starts run one by one (:func:`check_plans` bounds how many, and refuses Newton beyond
:data:`~gradcli.symbolic.MAX_HESSIAN_VARIABLES` variables).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from gradcli.errors import UsageError
from gradcli.optimize.conjugate import ConjugateGradient
from gradcli.optimize.direction import Array, Direction
from gradcli.optimize.lane import LaneContext, State, Verdict, dot
from gradcli.optimize.newton import Newton
from gradcli.optimize.quasi_newton import BFGS, LBFGS
from gradcli.optimize.runs import (
    MAX_STEPS,
    RISE_RTOL,
    RunPlan,
    norm_from,
    where,
)
from gradcli.optimize.scalar import ScalarLane
from gradcli.optimize.settings import CURVATURE_METHODS, Settings
from gradcli.optimize.wolfe import Search, strong_wolfe

#: Runs of curvature methods one command may ask for, weighted by their cost: a run counts
#: max(1, n²/100) (Newton's n×n Hessian, BFGS's n×n matrix). Each run steps alone in Python,
#: about 1.3 ms for a typical 2-D descent (2,000 random starts on Rosenbrock:
#: 2-3 s for each of newton, bfgs, lbfgs, cg), so the cap answers within seconds.
CURVATURE_RUNS_MAX = 5_000


def is_curvature(plan: RunPlan) -> bool:
    return plan.settings.method in CURVATURE_METHODS


def check_plans(plans: Sequence[RunPlan], n: int) -> None:
    """Refuse what the curvature methods cannot do within bounds: Newton beyond
    MAX_HESSIAN_VARIABLES variables, and more (weighted) runs than :data:`CURVATURE_RUNS_MAX`."""
    curvature = [p for p in plans if is_curvature(p)]
    if curvature:
        check_runs(len(curvature), n, {p.settings.method for p in curvature})


def check_settings(starts: int, settings: Sequence[Settings], n: int) -> None:
    """:func:`check_plans` for the product of ``starts`` starts and ``settings`` (a command that
    computes them in batches checks the whole before the first)."""
    methods = [s.method for s in settings if s.method in CURVATURE_METHODS]
    if methods:
        check_runs(starts * len(methods), n, set(methods))


def check_runs(runs: int, n: int, methods: set[str] | Sequence[str]) -> None:
    """:func:`check_plans` for ``runs`` runs of the curvature ``methods`` on n variables (the CLI
    calls it with the whole command's count before computing in batches)."""
    from gradcli.symbolic import MAX_HESSIAN_VARIABLES

    if "newton" in methods and n > MAX_HESSIAN_VARIABLES:
        raise UsageError(
            f"newton needs the Hessian, which gradcli forms for at most {MAX_HESSIAN_VARIABLES} "
            f"variables; f has {n}",
            hint="use --method lbfgs, which needs only gradients",
        )
    weight = max(1.0, n * n / 100)
    if runs * weight > CURVATURE_RUNS_MAX:
        limit = int(CURVATURE_RUNS_MAX / weight)
        raise UsageError(
            f"{runs:,} runs of {', '.join(sorted(methods))} on {n} variable{'s' if n != 1 else ''} "
            f"is more than gradcli steps one by one (at most {limit:,})",
            hint="give fewer starts, or compare the first-order methods, which run in lockstep",
        )


def _stall_reason(t: int, norm: float, tol: float) -> str:
    if norm == 0:  # only with tol 0, which never stops early: the end of the road all the same
        return f"∇f = 0 exactly {where(t)}: no direction lowers f, so the run ends there"
    return (
        f"no step along −∇f lowers f {where(t)}: f is flat to rounding there, with "
        f"‖∇f‖ = {norm:.3g} still above tol = {tol:g}"
    )


def make_direction(
    method: str, n: int, hessian: Callable[[Array], Array], sign: float
) -> Direction:
    if method == "newton":
        return Newton(hessian, sign)
    if method == "bfgs":
        return BFGS(n)
    if method == "lbfgs":
        return LBFGS()
    if method == "cg":
        return ConjugateGradient()
    raise ValueError(f"{method!r} is not a curvature method")


class CurvatureLane(ScalarLane):
    """One run of newton, bfgs, lbfgs or cg."""

    def __init__(self, ctx: LaneContext, plan: RunPlan, hessian: Callable[[Array], Array]) -> None:
        super().__init__(ctx, plan)
        self.hessian = hessian  # x ↦ ∇²f(x): only Newton calls it
        self.stalled: str | None = None  # why the run stopped early without converging
        self.evaluations = 0  # f and ∇f evaluations, line-search trials included
        self.method: Direction | None = None

    def __iter__(self) -> Iterator[Any]:
        ctx, settings = self.ctx, self.plan.settings
        start = self._start()
        x, sign, limit, tol = start.x, start.sign, start.limit, start.tol
        stops = self._stops(start.tol_sq, tol, limit)
        method = self.method = make_direction(settings.method, ctx.n, self.hessian, sign)
        statistics, every = ctx.statistics, ctx.record_every
        record_all, solo = not ctx.summary_only, self.solo
        prev_x, prev_f, margin = x, 0.0, 0.0
        prev_g: tuple[float, ...] = ()
        rises = reversals = 0
        peak_sq = start_sq = 0.0
        marks = self.mark_log = []
        previous_phi: float | None = None
        measured: tuple[float, tuple[float, ...], float] | None = None
        t = 0
        with np.errstate(all="ignore"):
            while True:
                if measured is None:
                    self.evaluations += 1
                    measured = self._measure(x)
                f, g, sq = measured
                verdict = self._check(f, sq, g, x, t, stops)
                if t and statistics:  # as lane.py gathers them, for the same notes
                    rose = f > prev_f + margin if sign > 0 else f < prev_f - margin
                    rises += rose
                    reversals += dot(g, prev_g) < 0
                    peak_sq = self._fmax(peak_sq, sq)
                    if not t & (t - 1):
                        marks.append((t, self.plan.run, sq))
                elif not t:
                    start_sq = peak_sq = sq
                state = State(
                    t, self.plan.run, x, prev_x, f, g, sq, None, rises, reversals, peak_sq, start_sq
                )
                self.current = state
                search: Search | None = None
                if verdict is None:  # the next step, found before this one is reported
                    search = self._search(method, x, f * sign, g, sign, previous_phi)
                    if search.trial is None:
                        self.stalled = _stall_reason(t, norm_from(sq, g), tol)
                        verdict = Verdict(True, True, False)
                recording = record_all and t % every == 0
                if verdict is not None:
                    emitted, _ = self._end(state, verdict, recording)
                    yield emitted
                    return
                if recording:
                    yield self._record(state)
                elif not solo:
                    yield None
                assert search is not None and search.trial is not None
                x_next, f_next, g_next, sq_next = search.trial.payload
                method.accepted(
                    np.subtract(x_next, x), sign * np.subtract(g_next, g), sign * np.array(g_next)
                )
                if statistics:
                    margin = RISE_RTOL * abs(f)
                previous_phi = f * sign
                prev_x, prev_f, prev_g = x, f, g
                x, measured = x_next, (f_next, g_next, sq_next)
                t += 1

    def _search(
        self,
        method: Direction,
        x: tuple[float, ...],
        phi: float,
        g: tuple[float, ...],
        sign: float,
        previous_phi: float | None,
    ) -> Search:
        """The line search along the method's direction; along −∇φ after a restart if that
        direction is not downhill or finds no lower φ."""
        xa = np.array(x)
        ga = sign * np.array(g)
        p = method.direction(xa, ga)
        slope = float(ga @ p)
        steepest = False
        if not (slope < 0 and math.isfinite(slope)):
            method.restart()
            p, steepest = method.direction(xa, ga), True
            slope = float(ga @ p)
        search = self._along(
            xa, p, phi, slope, sign, method.first_step(phi, previous_phi, slope, ga)
        )
        if search.trial is None and not steepest:
            method.restart()
            p = method.direction(xa, ga)
            slope = float(ga @ p)
            if slope < 0:
                search = self._along(
                    xa, p, phi, slope, sign, method.first_step(phi, None, slope, ga)
                )
        return search

    def _along(
        self, x: Array, p: Array, phi0: float, slope0: float, sign: float, alpha1: float
    ) -> Search:
        method = self.method
        assert method is not None
        measure = self._measure

        def evaluate(alpha: float) -> tuple[float, float, Any]:
            point = tuple((x + alpha * p).tolist())
            f, g, sq = measure(point)
            return sign * f, sign * float(np.dot(g, p)), (point, f, g, sq)

        search = strong_wolfe(evaluate, phi0, slope0, alpha1, method.c1, method.c2)
        self.evaluations += search.evaluations
        if search.trial is not None and search.trial.payload[0] == tuple(x.tolist()):
            return Search(None, False, search.evaluations)  # a step too small to move x at all
        return search

    def _reason(self, state: State, status: str, norm: float) -> str:
        """ScalarLane's, with the reason of a run whose line search stalled."""
        if status == MAX_STEPS and self.stalled is not None:
            return self.stalled
        return super()._reason(state, status, norm)
