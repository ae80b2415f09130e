"""One run stepped with Python floats: several times cheaper per step than numpy on one-row arrays.

The lambdified function is always called with ``numpy.float64`` arguments, so evaluating f keeps
numpy's semantics (1/0 is inf, (-1)**0.5 is nan). The optimizer arithmetic runs on Python floats,
which give the same IEEE results as numpy except that x/0 raises; an update that raises is redone on
numpy scalars (see :func:`_evaluate` and :func:`_updates`). Operation order matches :mod:`.vector` exactly, so a run
gives identical numbers in either engine.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from gradcli.optimize.optimizers import FLOAT_OPS, NUMPY_SCALAR_OPS, OPTIMIZERS, Hyper
from gradcli.optimize.runs import (
    BOUND,
    BOUND_SQ,
    CONVERGED,
    DIVERGED,
    INTERRUPTED,
    MAX_STEPS,
    RISE_RTOL,
    DescentRun,
    Final,
    RunPlan,
    StepRecord,
    columns_of,
    divergence_reason,
    make_run,
    never_started,
    stop_reason,
)
from gradcli.optimize.settings import ARMIJO_C, ARMIJO_MAX_HALVINGS, ARMIJO_SHRINK

if TYPE_CHECKING:
    from gradcli.optimize.engine import Descent

ENDS = 5  # rows kept at each end of a run with keep="ends" (the table's default view)


_new = tuple.__new__  # builds a StepRecord without NamedTuple's Python-level __new__ (hot path)


def _record(
    run: int,
    t: int,
    x: tuple[float, ...],
    prev_x: tuple[float, ...],
    f: float,
    g: tuple[float, ...],
    norm: float,
    line_step: float | None,
) -> StepRecord:
    size = 0.0
    if t:
        step_sq = 0.0
        for xi, pi in zip(x, prev_x):
            d = xi - pi
            step_sq += d * d
        size = math.sqrt(step_sq)
    return cast(
        "StepRecord", _new(StepRecord, (run, t, x, f, g, norm, size, line_step, None, None))
    )


def _evaluate(both: Callable[..., Any], x: tuple[float, ...]) -> tuple[float, ...]:
    """``(f, ∂f/∂x1, ...)`` at x as Python floats, always in numpy's semantics.

    Python floats first (several times faster than numpy scalars, and bit-identical where nothing
    raises); where Python raises instead — 1/0, an overflowing power — or goes complex ((-1)**0.5),
    the call is redone on numpy scalars, which give inf or nan as the vector engine does.
    """
    try:
        return tuple(map(float, both(*x)))
    except (ArithmeticError, ValueError, TypeError):
        return tuple(map(float, both(*map(np.float64, x))))


def _updates(
    update: Callable[..., Any], g: tuple[float, ...], states: list[Any], h: Hyper, t: int
) -> tuple[list[float], list[Any]]:
    """Every coordinate's ``(delta, state)`` on Python floats, or on numpy scalars where floats
    raise (x/0, possible only with eps = 0), so the result is numpy's either way."""
    try:
        pairs = [update(gi, st, h, t, FLOAT_OPS) for gi, st in zip(g, states)]
    except (ArithmeticError, ValueError):
        f64 = np.float64
        with np.errstate(all="ignore"):
            pairs = [
                update(f64(gi), type(st)(*map(f64, st)), h, t, NUMPY_SCALAR_OPS)
                for gi, st in zip(g, states)
            ]
        pairs = [(float(d), type(st)(*map(float, st))) for d, st in pairs]
    return [d for d, _ in pairs], [st for _, st in pairs]


def armijo(
    value: Callable[..., Any],
    x: tuple[float, ...],
    phi: float,
    g: tuple[float, ...],
    g_sq: float,
    lr: float,
    sign: float,
) -> float:
    """The Armijo step: φ = sign·f must drop by ARMIJO_C·a·‖g‖² along −g; a = lr, lr/2, ..."""
    a = lr
    for _ in range(ARMIJO_MAX_HALVINGS):
        trial = _evaluate(value, tuple([xi - a * gi for xi, gi in zip(x, g)]))[0]
        if trial * sign <= phi - ARMIJO_C * a * g_sq:
            return a
        a *= ARMIJO_SHRINK
    return a


class ScalarLane:
    """One run. Iterating yields, per step, its StepRecord if the step is recorded, else None
    (a ``solo`` lane, iterated directly by its :class:`Descent`, yields only the records)."""

    def __init__(self, owner: Descent, plan: RunPlan) -> None:
        self.owner = owner
        self.plan = plan
        self.first_run = plan.run
        self.solo = False
        self.history: list[StepRecord] = []  # keep="recorded": all; keep="ends": the first ENDS
        self.tail: deque[StepRecord] = deque(maxlen=ENDS)  # keep="ends": the last ENDS
        # The last fully evaluated point, for a report after an interruption (assigned at once).
        self.current: tuple[Any, ...] | None = None

    def _keep(self, record: StepRecord) -> None:
        keep = self.owner.keep
        if keep == "recorded" or (keep == "ends" and len(self.history) < ENDS):
            self.history.append(record)
        elif keep == "ends":
            self.tail.append(record)

    def __iter__(self) -> Iterator[StepRecord | None]:
        owner, plan = self.owner, self.plan
        s = plan.settings
        both = owner.both
        optimizer = OPTIMIZERS[s.method]
        update = optimizer.update
        hyper = Hyper(s.lr, s.momentum, s.alpha, s.beta1, s.beta2, s.eps)
        lr = s.lr
        # gd's rule inlined (x − lr·g, the same arithmetic as optimizers._gd_update): the common
        # case, three times cheaper than a call per coordinate
        plain_gd = s.method == "gd" and not s.line_search
        sqrt = math.sqrt
        ascent = s.ascent
        sign = -1.0 if ascent else 1.0
        tol_sq = s.tol * s.tol if s.tol > 0 else -1.0  # tol 0 never stops early
        limit, every, run = s.steps, owner.record_every, plan.run
        record_all, solo, statistics = not owner.summary_only, self.solo, owner.notes
        sizes = owner.step_sizes
        new, nan = _new, math.nan
        keep = self._keep if owner.keep != "final" else None
        states = [optimizer.init(0.0) for _ in plan.start]
        x = tuple(float(v) for v in plan.start)
        prev_x = x
        prev_f = 0.0
        prev_g: tuple[float, ...] = ()
        rises = reversals = 0
        peak = start_norm = 0.0
        line_step: float | None = None
        t = 0
        with np.errstate(all="ignore"):
            while True:
                try:  # _evaluate, inlined: this loop is the whole cost of a long single run
                    values = tuple(map(float, both(*x)))
                except (ArithmeticError, ValueError, TypeError):
                    values = _evaluate(both, x)
                f = values[0]
                g = values[1:]
                sq = 0.0
                for gi in g:
                    sq += gi * gi
                norm = sqrt(sq)
                ok = abs(f) <= BOUND and sq <= BOUND_SQ
                if ok:
                    for xi in x:
                        if not abs(xi) <= BOUND:
                            ok = False
                            break
                if t and statistics:  # for the notes (see DescentRun.rises and .reversals)
                    margin = RISE_RTOL * abs(prev_f)
                    if (f < prev_f - margin) if ascent else (f > prev_f + margin):
                        rises += 1
                    dot = 0.0
                    for gi, pi in zip(g, prev_g):
                        dot += gi * pi
                    if dot < 0:
                        reversals += 1
                    if norm > peak:
                        peak = norm
                elif not t:
                    start_norm = peak = norm
                current = (t, x, prev_x, f, g, norm, line_step, rises, reversals, peak, start_norm)
                self.current = current
                if not ok or sq <= tol_sq or t >= limit:
                    status = DIVERGED if not ok else CONVERGED if sq <= tol_sq else MAX_STEPS
                    if status == DIVERGED:
                        reason = divergence_reason(x, f, g, norm, t)
                    else:
                        reason = stop_reason(status, norm, s, t)
                    record = _record(run, t, x, prev_x, f, g, norm, line_step)
                    record = record._replace(status=status, reason=reason)
                    owner.finals[run] = Final(
                        status, reason, t, record, rises, reversals, peak, start_norm
                    )
                    owner.done[run] = True
                    if keep:
                        keep(record)
                    yield record
                    return
                if record_all and t % every == 0:
                    if sizes:
                        record = _record(run, t, x, prev_x, f, g, norm, line_step)
                    else:
                        record = new(
                            StepRecord, (run, t, x, f, g, norm, nan, line_step, None, None)
                        )
                    if keep:
                        keep(record)
                    yield record
                elif not solo:
                    yield None
                # the update x_t -> x_{t+1}
                t += 1
                prev_x, prev_f, prev_g = x, f, g
                if ascent:
                    g = tuple([-gi for gi in g])
                if plain_gd:
                    x = tuple([xi - lr * gi for xi, gi in zip(x, g)])
                    continue
                h = hyper
                if s.line_search:
                    line_step = armijo(owner.value_only, x, f * sign, g, sq, lr, sign)
                    h = hyper._replace(lr=line_step)
                deltas, states = _updates(update, g, states, h, t)
                x = tuple([xi - d for xi, d in zip(x, deltas)])

    def final(self, run: int) -> Final:
        return self.owner.finals[run]

    def close(self) -> None:
        """Report the run as interrupted if it has not finished (after Ctrl-C or a closed pipe)."""
        run = self.plan.run
        if self.owner.done[run]:
            return
        self.owner.done[run] = True
        if self.current is None:
            self.owner.finals[run] = never_started(self.plan)
            return
        t, x, prev_x, f, g, norm, line_step, rises, reversals, peak, start_norm = self.current
        reason = stop_reason(INTERRUPTED, norm, self.plan.settings, t)
        record = _record(run, t, x, prev_x, f, g, norm, line_step)
        record = record._replace(status=INTERRUPTED, reason=reason)
        self.owner.finals[run] = Final(
            INTERRUPTED, reason, t, record, rises, reversals, peak, start_norm
        )
        for kept in (self.tail, self.history):
            if kept and kept[-1].step == t:
                kept.pop()
        if self.owner.keep != "final":
            self._keep(record)

    def statuses(self) -> dict[int, str]:
        return {self.plan.run: self.owner.finals[self.plan.run].status}

    def results(self) -> dict[int, DescentRun]:
        final = self.owner.finals[self.plan.run]
        head = self.history
        last = head[-1].step if head else -1
        records = head + [r for r in self.tail if r.step > last]
        if not records or records[-1].step != final.record.step:
            records.append(final.record)
        columns = columns_of(records, self.owner.n, self.plan.settings.line_search)
        return {self.plan.run: make_run(self.plan, final, columns)}
