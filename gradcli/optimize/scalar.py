"""One run stepped with Python floats: several times cheaper per step than numpy on one-row arrays.

The loop is :class:`~.lane.Lane`'s; this module supplies its scalar arithmetic and keeps the run's
records. The lambdified function is called with Python floats and, where Python raises instead —
1/0, an overflowing power — or goes complex ((-1)**0.5), again with ``numpy.float64`` arguments, so
evaluating f keeps numpy's semantics (1/0 is inf, (-1)**0.5 is nan). The optimizer arithmetic runs
on Python floats, which give the same IEEE results as numpy except that x/0 raises; an update that
raises is redone on numpy scalars (see :meth:`ScalarLane._updates`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from operator import sub
from typing import Any, cast

import numpy as np

from gradcli.optimize.lane import Coords, Lane, LaneContext, Num, Start, State, Verdict
from gradcli.optimize.optimizers import FLOAT_OPS, NUMPY_SCALAR_OPS, OPTIMIZERS, Hyper
from gradcli.optimize.runs import (
    BOUND,
    BOUND_SQ,
    CONVERGED,
    DIVERGED,
    INTERRUPTED,
    MAX_STEPS,
    SQ_HUGE,
    SQ_TINY,
    DescentRun,
    Final,
    RunPlan,
    StepRecord,
    columns_of,
    divergence_reason,
    make_run,
    never_started,
    norm_from,
    stop_reason,
)
from gradcli.optimize.settings import ENDS

sqrt, nan = math.sqrt, math.nan
_GD_UPDATE = OPTIMIZERS["gd"].update
_new = tuple.__new__  # builds a StepRecord without NamedTuple's Python-level __new__ (hot path)


def _record(state: State) -> StepRecord:
    """The StepRecord of a state, with its step length ‖x_t − x_{t−1}‖."""
    t, run, x, prev_x, f, g, sq, line_step = state[:8]
    size = 0.0
    if t:
        step_sq = 0.0
        moves = [xi - pi for xi, pi in zip(x, prev_x)]
        for d in moves:
            step_sq += d * d
        size = norm_from(step_sq, moves)
    record = (run, t, x, f, g, norm_from(sq, g), size, line_step, None, None)
    return cast("StepRecord", _new(StepRecord, record))


class ScalarLane(Lane):
    """One run, its coordinates Python floats."""

    def __init__(self, ctx: LaneContext, plan: RunPlan) -> None:
        self.ctx = ctx
        self.plan = plan
        self.plans = {plan.run: plan}
        self.first_run = plan.run
        self.active = 1
        self.sizes = ctx.step_sizes
        self.rest = range(1, ctx.n)
        self.keeps = ctx.keep != "final"
        self.outcome: Final | None = None  # how the run ended (once it has)
        self.history: list[StepRecord] = []  # keep="recorded": all; keep="ends": the first ENDS
        self.tail: deque[StepRecord] = deque(maxlen=ENDS)  # keep="ends": the last ENDS

    # --- the arithmetic ------------------------------------------------------------------------
    def _start(self) -> Start:
        s = self.plan.settings
        return Start(
            self.plan.run,
            tuple(float(v) for v in self.plan.start),
            0.0,
            0,
            None,
            Hyper(s.lr, s.momentum, s.alpha, s.beta1, s.beta2, s.eps),
            -1.0 if s.ascent else 1.0,
            s.tol * s.tol if s.tol > 0 else -1.0,  # tol 0 never stops early
            s.tol,
            s.steps,
        )

    @staticmethod
    def _evaluate(fn: Callable[..., Any], x: Coords, count: int) -> tuple[float, ...]:
        """``fn`` at x as Python floats, always in numpy's semantics.

        Python floats first (several times faster than numpy scalars, and bit-identical where
        nothing raises); where Python raises, the call is redone on numpy scalars, which give inf
        or nan as the vector lane does.
        """
        try:
            return tuple(map(float, fn(*x)))
        except (ArithmeticError, ValueError, TypeError):
            return tuple(map(float, fn(*map(np.float64, x))))

    def _measure(self, x: Any) -> tuple[float, tuple[float, ...], float]:
        both = self.ctx.both
        try:
            values = tuple(map(float, both(*x)))
        except (ArithmeticError, ValueError, TypeError):
            values = tuple(map(float, both(*map(np.float64, x))))
        g = values[1:]
        sq = g[0] * g[0] if g else 0.0  # Σ g_i², summed in order like the vector lane
        for i in self.rest:
            sq += g[i] * g[i]
        return values[0], g, sq

    def _init_states(self, init: Callable[[Num], Any], zero: Num, x: Any) -> list[Any]:
        return [init(zero) for _ in x]

    @staticmethod
    def _advance(x: Any, prev_x: Any, deltas: Any) -> tuple[float, ...]:
        return tuple(map(sub, x, deltas))

    @staticmethod
    def _signed(g: Any, sign: Num) -> tuple[float, ...]:
        return tuple([gi * sign for gi in g])

    def _drop(self, stay: Any, x: Any, g: Any, states: list[Any]) -> tuple[Any, Any, list[Any]]:
        raise AssertionError("a scalar lane's one run never leaves it early")

    def _stops(self, tol_sq: Num, tol: Num, limit: Num) -> tuple[float, int, float | None]:
        return tol_sq, limit, tol if tol > 0 and tol * tol < SQ_TINY else None

    @staticmethod
    def _check(f: Num, sq: Num, g: Coords, x: Coords, t: int, stops: Any) -> Verdict | None:
        tol_sq, limit, tiny_tol = stops
        # the common case first, in as few comparisons as possible: nothing stops here
        if t < limit and -BOUND <= f <= BOUND and tol_sq < sq <= BOUND_SQ and tiny_tol is None:
            for xi in x:
                if not -BOUND <= xi <= BOUND:
                    break
            else:
                return None
        ok = abs(f) <= BOUND and sq <= BOUND_SQ
        if ok:
            for xi in x:
                if not abs(xi) <= BOUND:
                    ok = False
                    break
        converged = sq <= tol_sq
        if tiny_tol is not None and sq < SQ_TINY:  # the squares may have underflowed
            converged = norm_from(sq, g) <= tiny_tol
        if ok and not converged and t < limit:
            return None
        return Verdict(True, ok, ok and converged)

    def _per_run(self, value: Num, count: int) -> Num:
        return value

    @staticmethod
    def _fmax(a: Num, b: Num) -> Num:
        return b if b > a else a

    @staticmethod
    def _all(ok: Any) -> bool:
        return bool(ok)

    @staticmethod
    def _where(ok: Any, a: Num, b: Num) -> Num:
        return a if ok else b

    def _updates(
        self, update: Callable[..., Any], g: Coords, states: list[Any], h: Hyper, t: int
    ) -> tuple[list[float], list[Any]]:
        """Every coordinate's ``(delta, state)`` on Python floats, or on numpy scalars where floats
        raise (x/0, possible only with eps = 0), so the result is numpy's either way."""
        if update is _GD_UPDATE:  # lr·g for the whole vector at once (a product never raises)
            lr = h.lr
            return [lr * gi for gi in g], states
        deltas: list[float] = []
        after: list[Any] = []
        try:
            for gi, st in zip(g, states):  # appends, not pairs unzipped: the hot path of a long run
                delta, st = update(gi, st, h, t, FLOAT_OPS)
                deltas.append(delta)
                after.append(st)
        except (ArithmeticError, ValueError):
            f64 = np.float64
            deltas, after = [], []
            with np.errstate(all="ignore"):
                for gi, st in zip(g, states):
                    delta, st = update(f64(gi), type(st)(*map(f64, st)), h, t, NUMPY_SCALAR_OPS)
                    deltas.append(float(delta))
                    after.append(type(st)(*map(float, st)))
        return deltas, after

    # --- records -------------------------------------------------------------------------------
    def _keep(self, record: StepRecord) -> None:
        keep = self.ctx.keep
        if keep == "recorded" or (keep == "ends" and len(self.history) < ENDS):
            self.history.append(record)
        elif keep == "ends":
            self.tail.append(record)

    def _record(self, state: State) -> StepRecord:
        if self.sizes:
            record = _record(state)
        else:  # _record without its step length, inlined: once per step of a long run
            t, run, x, _, f, g, sq, line_step = state[:8]
            norm = sqrt(sq) if SQ_TINY <= sq <= SQ_HUGE else norm_from(sq, g)
            record = _new(StepRecord, (run, t, x, f, g, norm, nan, line_step, None, None))
        if self.keeps:
            self._keep(record)
        return record

    def _end(self, state: State, verdict: Verdict, recording: bool) -> tuple[StepRecord, None]:
        ok, converged = verdict.ok, verdict.converged
        status = DIVERGED if not ok else CONVERGED if converged else MAX_STEPS
        self._finish(state, status)
        assert self.outcome is not None
        return self.outcome.record, None

    def _reason(self, state: State, status: str, norm: float) -> str:
        """Why the run stopped, in words (a lane with its own ways to stop adds them)."""
        t, _, x, _, f, g = state[:6]
        if status == DIVERGED:
            return divergence_reason(x, f, g, norm, t)
        return stop_reason(status, norm, self.plan.settings, t)

    def _finish(self, state: State, status: str) -> None:
        t, g, sq = state[0], state[5], state[6]
        norm = norm_from(sq, g)
        reason = self._reason(state, status, norm)
        record = _record(state)._replace(status=status, reason=reason)
        rises, reversals, peak, start = state[8:12]
        # a ‖∇f‖² that overflowed ends the run (diverged) at once: that step is the peak
        peak_norm = math.sqrt(peak) if peak <= SQ_HUGE else norm
        start_norm = math.sqrt(start) if start <= SQ_HUGE else norm
        self.outcome = Final(status, reason, t, record, rises, reversals, peak_norm, start_norm)
        self.active = 0
        if self.ctx.keep != "final":
            self._keep(record)

    # --- results -------------------------------------------------------------------------------
    def final(self, run: int) -> Final:
        assert self.outcome is not None, f"run {run} has not ended"
        return self.outcome

    def ended(self, run: int) -> bool:
        return self.outcome is not None

    def close(self) -> None:
        """Report the run as interrupted if it has not finished (after Ctrl-C or a closed pipe)."""
        if self.outcome is not None:
            return
        state = self.current
        if state is None:
            self.outcome = never_started(self.plan)
            self.active = 0
            return
        for kept in (self.tail, self.history):
            if kept and kept[-1].step == state.t:
                kept.pop()
        self._finish(state, INTERRUPTED)

    def statuses(self) -> dict[int, str]:
        return {self.plan.run: self.final(self.plan.run).status}

    def results(self) -> dict[int, DescentRun]:
        final = self.final(self.plan.run)
        head = self.history
        last = head[-1].step if head else -1
        records = head + [r for r in self.tail if r.step > last]
        if not records or records[-1].step != final.record.step:
            records.append(final.record)
        columns = columns_of(records, self.ctx.n, self.plan.settings.line_search)
        return {self.plan.run: make_run(self.plan, final, columns)}
