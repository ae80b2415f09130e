"""The one descent loop, shared by both lanes and parametrised by their arithmetic.

A lane advances a group of runs that share a method: :class:`~.scalar.ScalarLane` one run on Python
floats (a long single run costs a few microseconds a step), :class:`~.vector.VectorLane` many runs
with every coordinate an ``(R,)`` numpy array. :meth:`Lane.__iter__` is the stepping logic — evaluate
f and ∇f, check divergence / convergence / the step limit, gather the statistics behind the notes,
record, Armijo backtracking, the optimizer update — written once. What differs between the lanes is
the arithmetic (scalars or arrays: the ``_measure``, ``_check``, ``_updates``, ``_advance`` and
smaller hooks, like the optimizers' :class:`~.optimizers.Ops`) and how records are kept
(``_record``, ``_end``). The same operations run in the same order on both, so which lane steps a
run is a speed decision: the numbers agree (to the last bit, except where f has a power: Python's
float ** is libm's pow, numpy's array power is not always the same bit).

A lane sees its :class:`LaneContext` (read-only) and answers for itself: its records as it yields
them, then :meth:`Lane.final`, :meth:`Lane.statuses` and :meth:`Lane.results`. The engine assembles.
"""

from __future__ import annotations

import contextvars
import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

import numpy as np

from gradcli.optimize.knobs import Knobs
from gradcli.optimize.optimizers import OPTIMIZERS, Hyper
from gradcli.optimize.runs import RISE_RTOL, DescentRun, Final, RunPlan
from gradcli.optimize.settings import ARMIJO_C, ARMIJO_MAX_HALVINGS, ARMIJO_SHRINK

Num = Any  # a float (scalar lane) or an (R,) float array (vector lane)
Coords = Any  # x or ∇f: n floats (scalar lane) or n (R,) float arrays (vector lane)
Keep = Literal["recorded", "ends", "final"]


class LaneContext(NamedTuple):
    """What every lane of a descent reads, and never writes."""

    both: Callable[..., Any]  # lambdified [f, ∂f/∂x1, ...], one argument per coordinate
    value: Callable[..., Any] | None  # lambdified [f] for line-search trials (None: no line search)
    n: int  # coordinates
    keep: Keep  # what the runs hold of their recorded steps
    record_every: int
    summary_only: bool
    statistics: bool  # gather the statistics behind the notes
    step_sizes: bool  # compute ‖x_t − x_{t−1}‖ for every record (else nan, except each run's last)
    projection: Any = None  # a .projection.Projection: x ← P(x) after every update (None: none)


class State(NamedTuple):
    """A lane's numbers after evaluating step t: what a record is made of, and what an
    interrupted run reports."""

    t: int
    runs: Any  # the run (scalar lane) or the (R,) runs still going (vector lane)
    x: Coords
    prev_x: Coords
    f: Num
    g: Coords
    sq: Num  # ‖∇f‖²
    line_step: Num | None  # the accepted Armijo step that led to x (None without line search)
    rises: Num
    reversals: Num
    peak_sq: Num
    start_sq: Num


class Verdict(NamedTuple):
    """Which runs stop at a step, and why (bools on the scalar lane, masks on the vector lane)."""

    done: Any
    ok: Any  # nothing diverged
    converged: Any


class Start(NamedTuple):
    """A lane's starting numbers, in its arithmetic."""

    runs: Any
    x: Coords
    zero: Num  # 0.0 or zeros(R): the optimizer state's zero and the first prev_f
    counter: Num  # 0 or an int zeros(R)
    line_step: Num | None
    hyper: Hyper
    sign: Num  # +1 descends, −1 ascends
    tol_sq: Num  # −1 for tol 0: below every ‖∇f‖²
    tol: Num  # the tolerance itself, for ‖∇f‖² that underflowed (see :meth:`Lane._stops`)
    limit: Num


@contextmanager
def collector_paused() -> Iterator[None]:
    """Build thousands of small objects in one go without the cyclic garbage collector rescanning
    them over and over (for 10,000 runs it took a third of the time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


#: numpy before 2.0 keeps np.errstate in one process-wide setting, not in a context variable.
PROCESS_WIDE_ERRSTATE = int(np.__version__.split(".")[0]) < 2


def _step(context: contextvars.Context, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a lane's own context (numpy's errstate lives there)."""
    return context.run(fn, *args)


def _step_in_errstate(context: contextvars.Context, fn: Callable[..., Any], *args: Any) -> Any:
    """:func:`_step` inside errstate(all="ignore"), for a numpy whose errstate is process-wide."""
    with np.errstate(all="ignore"):
        return context.run(fn, *args)


#: How the engine advances (or closes) a lane in its context: see ``Descent._emissions``.
STEP_LANE = _step_in_errstate if PROCESS_WIDE_ERRSTATE else _step


def _pick(value: Any, rows: Any) -> Any:
    """Select ``rows`` of a per-run array; leave a shared scalar alone."""
    return value[rows] if isinstance(value, np.ndarray) else value


def dot(a: Coords, b: Coords) -> Num:
    """Σ a_i·b_i over the coordinates (0.0 for none)."""
    if not len(a):
        return 0.0
    total = a[0] * b[0]
    for i in range(1, len(a)):
        total += a[i] * b[i]
    return total


class Lane:
    """Runs that share a method, stepped together. Iterating yields, per step, what was recorded
    (a StepRecord or Chunk) or None; a ``solo`` lane (iterated directly by its Descent) yields only
    its records."""

    ctx: LaneContext
    plans: Mapping[int, RunPlan]
    first_run: int
    solo: bool = False
    active: int  # runs still going
    current: State | None = None  # the last evaluated state, for a report after an interruption
    # ‖∇f‖² at the steps 1, 2, 4, 8, ... as (t, runs, sq): the recent rate behind the slow note
    mark_log: list[tuple[int, Any, Any]]
    knobs: Knobs | None = None  # the training-loop knobs, when the runs have any (see .knobs)

    # --- the arithmetic (scalars or arrays) ----------------------------------------------------
    def _start(self) -> Start:
        raise NotImplementedError

    def _evaluate(self, fn: Callable[..., Any], x: Coords, count: int) -> Coords:
        """``fn`` (lambdified) at x: one value per output (line-search trials)."""
        raise NotImplementedError

    def _measure(self, x: Any) -> tuple[Num, Coords, Num]:
        """f, ∇f and ‖∇f‖² (summed naively, coordinate by coordinate) at x."""
        raise NotImplementedError

    def _init_states(self, init: Callable[[Num], Any], zero: Num, x: Any) -> list[Any]:
        """The optimizer's starting state(s) for x."""
        raise NotImplementedError

    def _advance(self, x: Any, prev_x: Any, deltas: Any) -> Any:
        """x − deltas (``prev_x``, x_{t−1}, is still referenced by the last State)."""
        raise NotImplementedError

    def _signed(self, g: Any, sign: Num) -> Any:
        """g·sign, coordinate by coordinate (ascent)."""
        raise NotImplementedError

    def _drop(self, stay: Any, x: Any, g: Any, states: list[Any]) -> tuple[Any, Any, list[Any]]:
        """x, g and the optimizer states of the runs that go on (vector lane only)."""
        raise NotImplementedError

    def _check(self, f: Num, sq: Num, g: Coords, x: Coords, t: int, stops: Any) -> Verdict | None:
        """None when no run stops at step t (``stops``: what :meth:`_stops` made of the runs'
        tolerances and step limits)."""
        raise NotImplementedError

    def _stops(self, tol_sq: Num, tol: Num, limit: Num) -> Any:
        """The runs' ‖∇f‖² tolerances and step limits as :meth:`_check` reads them (made at the
        start and whenever runs leave the lane, not every step). ‖∇f‖² ≤ tol² is the test, except
        for a tol below 1e-150 when ‖∇f‖² is below 1e-300: there the squares may have underflowed,
        and the scaled norm is compared with tol itself."""
        raise NotImplementedError

    def _per_run(self, value: Num, count: int) -> Num:
        """``value`` as the lane holds one number per run (a float, or an (R,) array)."""
        raise NotImplementedError

    def _coaster(self, watched: bool) -> Callable[..., tuple[Any, Any, list[Any], int]] | None:
        """A lane's fast path over steps where nothing is watched, or None (step by step).

        ``coast(t, x, prev_x, states, hyper, sign, stops)`` runs from step t (not yet evaluated)
        through every step at which it can prove that no run stops and nothing is recorded, and
        returns ``(x, prev_x, states, idle)``: x_s, x_{s−1} and the optimizer states at the first
        step s it could not vouch for, which the loop then takes as usual (idle = s − t steps done;
        0 leaves everything as given). Whatever it does must be exactly what the loop would have
        done. ``watched``: something needs every step (the notes' statistics, a line search)."""
        return None

    @staticmethod
    def _fmax(a: Num, b: Num) -> Num:
        raise NotImplementedError

    @staticmethod
    def _all(ok: Any) -> bool:
        raise NotImplementedError

    @staticmethod
    def _where(ok: Any, a: Num, b: Num) -> Num:
        raise NotImplementedError

    def _updates(
        self, update: Callable[..., Any], g: Coords, states: list[Any], h: Hyper, t: int
    ) -> tuple[Coords, list[Any]]:
        raise NotImplementedError

    # --- records -------------------------------------------------------------------------------
    def _record(self, state: State) -> Any:
        """A recorded step (kept as ``ctx.keep`` says), as it is yielded."""
        raise NotImplementedError

    def _end(self, state: State, verdict: Verdict, recording: bool) -> tuple[Any, Any]:
        """Runs stop: what to yield, and the rows that go on (None: none)."""
        raise NotImplementedError

    # --- results -------------------------------------------------------------------------------
    def final(self, run: int) -> Final:
        raise NotImplementedError

    def ended(self, run: int) -> bool:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def statuses(self) -> dict[int, str]:
        raise NotImplementedError

    def results(self) -> dict[int, DescentRun]:
        raise NotImplementedError

    def add_knob_results(self, built: dict[int, DescentRun]) -> None:
        """What the knobs counted, into the lane's runs among ``built`` (after :meth:`results`)."""
        knobs = self.knobs
        if knobs is None or (knobs.clip_norm is None and knobs.clip_value is None):
            return
        for run in self.plans:
            if run in built:
                built[run].clipped = knobs.clipped(run)

    # --- the loop ------------------------------------------------------------------------------
    def armijo(self, x: Coords, phi: Num, g: Coords, g_sq: Num, a: Num, sign: Num) -> Num:
        """The Armijo step: φ = sign·f must drop by ARMIJO_C·a·‖g‖² along −g; a = lr, lr/2, ..."""
        value = self.ctx.value
        assert value is not None
        count = self.active
        a = self._per_run(a, count)
        for _ in range(ARMIJO_MAX_HALVINGS):
            trial = self._evaluate(value, tuple([xi - a * gi for xi, gi in zip(x, g)]), count)[0]
            accepted = trial * sign <= phi - ARMIJO_C * a * g_sq
            if self._all(accepted):
                return a
            a = self._where(accepted, a, a * ARMIJO_SHRINK)
        return a

    def __iter__(self) -> Iterator[Any]:
        ctx = self.ctx
        first = self.plans[self.first_run].settings
        update = OPTIMIZERS[first.method].update
        line_search = first.line_search
        start = self._start()
        runs, x, zero, line_step = start.runs, start.x, start.zero, start.line_step
        hyper, sign, tol_sq, limit = start.hyper, start.sign, start.tol_sq, start.limit
        tol = start.tol
        shared_sign = not isinstance(sign, np.ndarray)
        descending = shared_sign and sign > 0
        ascending = shared_sign and sign < 0
        stops = self._stops(tol_sq, tol, limit)
        states = self._init_states(OPTIMIZERS[first.method].init, zero, x)
        measure, check, record, updates, advance, fmax = (
            self._measure,
            self._check,
            self._record,
            self._updates,
            self._advance,
            self._fmax,
        )
        if first.knobs is not None:  # decided once: without knobs the loop is untouched
            self.knobs = Knobs(self, list(self.plans.values()), isinstance(zero, np.ndarray))
            updates, advance = self.knobs.wrap(updates, advance)
        if ctx.projection is not None:  # projected gradient: see optimize/projection.py
            measure, advance = ctx.projection.hooks(measure, advance)
        every, statistics = ctx.record_every, ctx.statistics
        record_all, solo = not ctx.summary_only, self.solo
        new = tuple.__new__  # a State without NamedTuple's Python-level __new__ (hot path)
        prev_x, prev_f, margin = x, zero, zero
        prev_g: Coords = ()
        rises = reversals = start.counter
        peak_sq = start_sq = zero
        t = 0
        marks = self.mark_log = []
        coast = self._coaster(statistics or line_search)
        with np.errstate(all="ignore"):
            while True:
                if coast is not None and t:  # steps nobody watches, in one go (see _coaster)
                    x, prev_x, states, idle = coast(t, x, prev_x, states, hyper, sign, stops)
                    if idle:
                        t += idle
                        if not solo:  # one yield per step: lanes advance in lockstep
                            for _ in range(idle):
                                yield None
                f, g, sq = measure(x)  # f, ∇f and ‖∇f‖² at x_t
                verdict = check(f, sq, g, x, t, stops)
                if t and statistics:  # for the notes (see DescentRun.rises and .reversals)
                    if descending:
                        rose = f > prev_f + margin
                    elif ascending:
                        rose = f < prev_f - margin
                    else:
                        rose = np.where(sign > 0, f > prev_f + margin, f < prev_f - margin)
                    rises = rises + rose
                    reversals = reversals + (dot(g, prev_g) < 0)
                    peak_sq = fmax(peak_sq, sq)  # fmax: a nan does not erase the peak
                    if not t & (t - 1):  # a power of two: log₂(steps) marks in all
                        marks.append(
                            (t, runs, sq + 0.0)
                        )  # + 0.0: a copy (a lane reuses sq's memory)
                elif not t:
                    start_sq = peak_sq = sq
                state = new(
                    State,
                    (t, runs, x, prev_x, f, g, sq, line_step, rises, reversals, peak_sq, start_sq),
                )
                self.current = state
                recording = record_all and t % every == 0
                if verdict is not None:
                    emitted, stay = self._end(state, verdict, recording)
                    if stay is None:
                        self.active = 0
                        yield emitted
                        return
                    # some runs ended (vector lane only): the rest go on without them
                    runs, f, sq = runs[stay], f[stay], sq[stay]
                    x, g, states = self._drop(stay, x, g, states)
                    hyper = Hyper(*(_pick(v, stay) for v in hyper))
                    sign, tol_sq, limit = _pick(sign, stay), _pick(tol_sq, stay), _pick(limit, stay)
                    tol = _pick(tol, stay)
                    rises, reversals = rises[stay], reversals[stay]
                    peak_sq, start_sq = peak_sq[stay], start_sq[stay]
                    self.active = len(runs)
                    stops = self._stops(tol_sq, tol, limit)
                    yield emitted
                elif recording:
                    yield record(state)
                elif not solo:
                    yield None
                # the update x_t -> x_{t+1}; ascent negates g, like torch's maximize=True
                t += 1
                geff = g if descending else self._signed(g, sign)
                h = hyper
                if line_search:
                    phi = f if descending else f * sign
                    line_step = self.armijo(x, phi, geff, sq, hyper.lr, sign)
                    h = hyper._replace(lr=line_step)
                deltas, states = updates(update, geff, states, h, t)
                if statistics:
                    margin = RISE_RTOL * abs(f)
                x, prev_x, prev_f, prev_g = advance(x, prev_x, deltas), x, f, g
