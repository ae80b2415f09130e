"""Many runs with one method, advanced together: each coordinate is an ``(R,)`` array over the runs
still going. Finished runs are dropped from the arrays, so they cost nothing afterwards.

Per step the common path is: one call of the lambdified f-and-∇f, ‖∇f‖² (square roots only for
recorded rows), a few whole-array reductions that show whether *any* run needs attention (a nan
propagates through max/min, so non-finite values are caught too), the statistics behind the notes,
and the optimizer update. Per-run masks are built only on the rare steps where some run stops.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from gradcli.in_place import in_place
from gradcli.optimize.chunks import Chunk, chunk_of, concat, gather
from gradcli.optimize.coast import Coast, plain
from gradcli.optimize.lane import (
    Coords,
    Lane,
    LaneContext,
    Num,
    Start,
    State,
    Verdict,
    collector_paused,
)
from gradcli.optimize.optimizers import ARRAY_OPS, OPTIMIZERS, Hyper
from gradcli.optimize.plans import LanePlans
from gradcli.optimize.runs import (
    BOUND,
    BOUND_SQ,
    INTERRUPTED,
    SQ_HUGE,
    SQ_TINY,
    STATUSES,
    DescentRun,
    Final,
    StepRecord,
    divergence_reason,
    never_started,
    norms_from,
    stop_reason,
)
from gradcli.optimize.settings import ENDS

Array = np.ndarray[Any, Any]

_CODE = {name: code for code, name in enumerate(STATUSES)}


class _Ended(NamedTuple):
    """The runs that ended at one step, with their final state and note statistics."""

    chunk: Chunk  # their final rows
    codes: Array  # (k,) status codes (index into STATUSES)
    rises: Array
    reversals: Array
    peak_norm: Array
    start_norm: Array


def _shared(values: Sequence[Any]) -> Any:
    """One value when every run has it (cheaper to broadcast), else an (R,) array."""
    first = values[0]
    return first if all(v == first for v in values) else np.array(values)


class VectorLane(Lane):
    """Many runs with one method, every coordinate an (R,) array over the runs still going."""

    plans: LanePlans

    def __init__(self, ctx: LaneContext, plans: LanePlans) -> None:
        self.ctx = ctx
        self.plans = plans  # RunPlans on demand; the lane works from its arrays
        self.first_run = int(plans.runs[0])
        self.active = len(plans)
        self.chunks: list[Chunk] = []  # keep="recorded": all; keep="ends": the first ENDS
        self.recent: deque[Chunk] = deque(maxlen=ENDS)  # keep="ends": the last ENDS
        self.tails: list[Chunk] = []  # keep="ends": finished runs' last rows
        self.ended_at: list[_Ended] = []
        self.finals: dict[int, Final] = {}  # built on demand from ended_at (see final)
        # where each run ended: index into self.ended_at (-1: still going), and its row there
        self.run_ids = plans.runs  # sorted: plans come in run order
        self.event = np.full(len(plans), -1)
        self.row = np.full(len(plans), -1)

    # --- the arithmetic ------------------------------------------------------------------------
    def _start(self) -> Start:
        plans = self.plans
        count = len(plans)
        starts = np.asarray(plans.starts, dtype=np.float64)
        distinct = {id(s): s for s in plans.settings}
        self.distinct = list(distinct.values())
        settings = plans.settings  # the first is the first run's
        # one Settings for every run: every hyperparameter a Python float
        per_run = settings[:1] if len(distinct) == 1 else plans.per_run()
        hyper = Hyper(
            *(
                _shared([getattr(s, name) for s in per_run])
                for name in ("lr", "momentum", "alpha", "beta1", "beta2", "eps")
            )
        )
        return Start(
            self.run_ids,
            tuple(np.ascontiguousarray(starts[:, i]) for i in range(self.ctx.n)),
            np.zeros(count),
            np.zeros(count, dtype=np.int64),
            np.full(count, math.nan) if settings[0].line_search else None,
            hyper,
            _shared([-1.0 if s.ascent else 1.0 for s in per_run]),
            # tol 0 never stops early: -1 is below every ‖∇f‖²
            _shared([s.tol * s.tol if s.tol > 0 else -1.0 for s in per_run]),
            _shared([s.tol for s in per_run]),
            _shared([s.steps for s in per_run]),
        )

    # --- coasting: the steps nobody watches ---------------------------------------------------
    def _coaster(self, watched: bool) -> Callable[..., tuple[Any, Any, list[Any], int]] | None:
        ctx = self.ctx
        if watched or not ctx.n or (not ctx.summary_only and ctx.record_every == 1):
            return None
        if ctx.projection is not None:  # every step lands on the set: the loop's hooks do that
            return None
        if not all(plain(s) for s in self.distinct):
            return None  # a per-step feature the coast does not know: the loop does every step
        make = in_place(ctx.both)
        if make is None:
            return None
        method = self.plans.settings[0].method
        gd = method == "gd"  # gd alone steps without f where the bounds allow (see .bounds)
        gradient = in_place(ctx.both, 1) if gd else None
        self.coast = Coast(
            make, ctx.n, OPTIMIZERS[method].update, gd, gradient, ctx.both if gradient else None
        )
        self.coast_every = 0 if ctx.summary_only else ctx.record_every
        return self._coast

    def _coast(
        self, t: int, x: Any, prev_x: Any, states: list[Any], hyper: Hyper, sign: Num, stops: Any
    ) -> tuple[Any, Any, list[Any], int]:
        _, _, widest_tol_sq, first_limit, tiny_tol = stops
        end = first_limit
        every = self.coast_every
        if every:  # up to the next recorded step
            if t % every == 0:
                return x, prev_x, states, 0
            end = min(end, (t // every + 1) * every)
        coast = self.coast
        if end <= t or t < coast.resume:
            return x, prev_x, states, 0
        watch_sq = widest_tol_sq >= 0 or tiny_tol is not None
        try:
            ran = coast.run(t, end, x, list(states), hyper, sign, watch_sq, stops)
        except Exception:  # whatever it was, the loop takes these steps itself
            coast.resume = first_limit + 1  # and every later one
            return x, prev_x, states, 0
        return ran if ran[3] else (x, prev_x, states, 0)

    @staticmethod
    def _evaluate(fn: Callable[..., Any], x: Coords, count: int) -> list[Array]:
        # an output whose expression is constant comes back as a scalar: broadcast it
        return [v if np.ndim(v) else np.full(count, float(v)) for v in fn(*x)]

    def _measure(self, x: Any) -> tuple[Array, list[Array], Array]:
        count = len(x[0]) if len(x) else len(self.run_ids)
        values = self._evaluate(self.ctx.both, x, count)
        g = values[1:]
        sq = g[0] * g[0] if g else np.zeros(count)
        for i in range(1, len(g)):
            sq += g[i] * g[i]
        return values[0], g, sq

    def _init_states(self, init: Callable[[Num], Any], zero: Num, x: Any) -> list[Any]:
        return [init(zero) for _ in x]

    @staticmethod
    def _advance(x: Any, prev_x: Any, deltas: Any) -> tuple[Array, ...]:
        return tuple([xi - d for xi, d in zip(x, deltas)])

    @staticmethod
    def _signed(g: Any, sign: Num) -> tuple[Array, ...]:
        return tuple([gi * sign for gi in g])

    def _drop(self, stay: Any, x: Any, g: Any, states: list[Any]) -> tuple[Any, Any, list[Any]]:
        x = tuple([xi[stay] for xi in x])
        g = tuple([gi[stay] for gi in g])
        states = [type(st)(*(a[stay] for a in st)) for st in states]
        return x, g, states

    def _stops(self, tol_sq: Num, tol: Num, limit: Num) -> tuple[Num, Num, float, int, Any]:
        # with the loosest tolerance and the nearest step limit: cheap whole-lane tests each step
        tols = np.asarray(tol, dtype=float)
        tiny = (tols > 0) & (tols * tols < SQ_TINY)
        return tol_sq, limit, float(np.max(tol_sq)), int(np.min(limit)), tol if tiny.any() else None

    @staticmethod
    def _check(f: Num, sq: Num, g: Coords, x: Coords, t: int, stops: Any) -> Verdict | None:
        tol_sq, limit, widest_tol_sq, first_limit, tiny_tol = stops
        low = tiny_tol is not None and sq.min() < SQ_TINY
        # Does any run stop here? Reductions first (nan propagates through max/min).
        stopping = not (
            f.max() <= BOUND
            and f.min() >= -BOUND
            and sq.max() <= BOUND_SQ
            and all(xi.max() <= BOUND and xi.min() >= -BOUND for xi in x)
        )
        # with every tol 0, widest_tol_sq is −1: no ‖∇f‖² (≥ 0 or nan) is below it, skip the pass
        close = widest_tol_sq >= 0 and sq.min() <= widest_tol_sq
        if not (stopping or low or close or t >= first_limit):
            return None
        ok = (np.abs(f) <= BOUND) & (sq <= BOUND_SQ)
        for xi in x:
            ok &= np.abs(xi) <= BOUND
        close = sq <= tol_sq
        if low:  # the squares may have underflowed: compare the scaled norm with tol itself
            close = np.where(sq < SQ_TINY, norms_from(sq, g) <= tiny_tol, close)
        converged = ok & close
        done = ~ok | converged | (t >= limit)
        return Verdict(done, ok, converged) if done.any() else None

    def _per_run(self, value: Num, count: int) -> Num:
        return np.array(np.broadcast_to(value, (count,)), dtype=float)

    @staticmethod
    def _fmax(a: Num, b: Num) -> Num:
        return np.fmax(a, b)

    @staticmethod
    def _all(ok: Any) -> bool:
        return bool(ok.all())

    @staticmethod
    def _where(ok: Any, a: Num, b: Num) -> Num:
        return np.where(ok, a, b)

    def _updates(
        self, update: Callable[..., Any], g: Coords, states: list[Any], h: Hyper, t: int
    ) -> tuple[list[Array], list[Any]]:
        deltas = []
        for i, gi in enumerate(g):
            delta, states[i] = update(gi, states[i], h, t, ARRAY_OPS)
            deltas.append(delta)
        return deltas, states

    # --- records -------------------------------------------------------------------------------
    def _record(self, state: State) -> Chunk:
        chunk = chunk_of(state, None)
        self._store(chunk, True, False)
        return chunk

    def _end(self, state: State, verdict: Verdict, recording: bool) -> tuple[Chunk, Any]:
        done = verdict.done
        chunk = chunk_of(state, None if recording else np.flatnonzero(done))
        rows = np.flatnonzero(done)
        at = rows if len(chunk.runs) == len(state.runs) else np.arange(len(rows))
        chunk.final[at] = True
        codes = np.where(verdict.ok[rows], np.where(verdict.converged[rows], 1, 2), 3)
        self._register(state, chunk.take(at), rows, codes.astype(np.int8))
        self._store(chunk, recording, True)
        stay = ~done
        return chunk, (stay if stay.any() else None)

    # --- runs that end ------------------------------------------------------------------------
    def _register(self, state: State, chunk: Chunk, rows: Array, codes: Array) -> None:
        ended = _Ended(
            chunk,
            codes,
            state.rises[rows].copy(),
            state.reversals[rows].copy(),
            # a ‖∇f‖² that overflowed ends the run (diverged) at once: that step is the peak
            _norm_or(state.peak_sq[rows], chunk.norm),
            _norm_or(state.start_sq[rows], chunk.norm),
        )
        self.ended_at.append(ended)
        e = len(self.ended_at) - 1
        local = np.searchsorted(self.run_ids, chunk.runs)
        self.event[local] = e
        self.row[local] = np.arange(len(local))

    def _store(self, chunk: Chunk, recording: bool, stopping: bool) -> None:
        keep = self.ctx.keep
        if keep == "recorded":
            self.chunks.append(chunk)
        elif keep == "ends":
            if recording:
                if len(self.chunks) < ENDS:
                    self.chunks.append(chunk)
                self.recent.append(chunk)
            if stopping:
                self._keep_tails(chunk.runs[chunk.final])
                if not recording:
                    self.tails.append(chunk)

    def _keep_tails(self, ended: Array) -> None:
        for kept in self.recent:
            mine = np.isin(kept.runs, ended)
            if mine.any():
                self.tails.append(kept.take(mine))

    def final(self, run: int) -> Final:
        """How ``run`` ended, as a :class:`Final` (built on demand for all the runs that ended at
        the same step, then kept)."""
        finals = self.finals
        if run not in finals:
            with collector_paused():
                self._build_finals(
                    self.ended_at[int(self.event[np.searchsorted(self.run_ids, run)])]
                )
        return finals[run]

    def _build_finals(self, ended: _Ended) -> None:
        """The Finals of every run that ended with ``ended``."""
        finals = self.finals
        chunk = ended.chunk
        t = chunk.step
        line = [None] * len(chunk.runs)
        if chunk.line_step is not None:
            line = [None if v != v else v for v in chunk.line_step.tolist()]
        reason_of, new = self._reason, tuple.__new__
        for run_k, x, f, g, norm, size, ls, code, rises, reversals, peak, start in zip(
            chunk.runs.tolist(),
            map(tuple, chunk.x.tolist()),
            chunk.f.tolist(),
            map(tuple, chunk.g.tolist()),
            chunk.norm.tolist(),
            chunk.step_size.tolist(),
            line,
            ended.codes.tolist(),
            ended.rises.tolist(),
            ended.reversals.tolist(),
            ended.peak_norm.tolist(),
            ended.start_norm.tolist(),
        ):
            status = STATUSES[code]
            reason = reason_of(status, x, f, g, norm, run_k, t)
            record = new(StepRecord, (run_k, t, x, f, g, norm, size, ls, status, reason))
            finals[run_k] = new(Final, (status, reason, t, record, rises, reversals, peak, start))

    def _reason(
        self,
        status: str,
        x: Sequence[float],
        f: float,
        g: Sequence[float],
        norm: float,
        run: int,
        t: int,
    ) -> str:
        if status == "diverged":
            return divergence_reason(x, f, g, norm, t)
        return stop_reason(status, norm, self.plans.settings_of(run), t)

    def close(self) -> None:
        """Report unfinished runs as interrupted (after Ctrl-C or a closed pipe)."""
        if not self.active:
            return
        self.active = 0
        state = self.current
        if state is None:
            for run, plan in self.plans.items():
                self.finals[run] = never_started(plan)
            return
        going = self.event[np.searchsorted(self.run_ids, state.runs)] < 0
        rows = np.flatnonzero(going)
        chunk = chunk_of(state, rows)
        chunk.final[:] = True
        self._register(state, chunk, rows, np.full(len(rows), _CODE[INTERRUPTED], dtype=np.int8))
        if self.ctx.keep == "ends":
            self._keep_tails(chunk.runs)
        if self.ctx.keep != "final":
            self.tails.append(chunk)

    def ended(self, run: int) -> bool:
        # asked once per run and step while a summary waits for run order: a dict, not a search
        return run in self.finals or self.event.item(self.plans.index(run)) >= 0

    # --- results ------------------------------------------------------------------------------
    def statuses(self) -> dict[int, str]:
        runs = self.run_ids.tolist()
        if not self.ended_at:  # closed before the first step
            return {run: self.finals[run].status for run in runs}
        # every run's code at once: ended_at's codes end to end, indexed by (event, row)
        codes = np.concatenate([e.codes for e in self.ended_at])
        offsets = np.cumsum([0] + [len(e.codes) for e in self.ended_at])
        at = np.where(self.event >= 0, offsets[self.event] + self.row, 0)
        out = dict(zip(runs, map(STATUSES.__getitem__, codes[at].tolist())))
        for k in np.flatnonzero(self.event < 0).tolist():  # closed before their first step
            out[runs[k]] = self.finals[runs[k]].status
        return out

    def results(self) -> dict[int, DescentRun]:
        """Every run of the lane as a :class:`DescentRun`, built in bulk from the arrays."""
        n = self.ctx.n
        ended = self.ended_at
        finals = concat([e.chunk for e in ended], n)
        codes = np.concatenate([e.codes for e in ended])
        steps = np.concatenate([np.full(len(e.codes), e.chunk.step) for e in ended])
        stats = [
            np.concatenate([getattr(e, name) for e in ended]).tolist()
            for name in ("rises", "reversals", "peak_norm", "start_norm")
        ]
        order = np.argsort(finals["runs"], kind="stable")
        runs = finals["runs"][order].tolist()
        names = ("steps", "path", "values", "gradients", "norms", "step_sizes", "line_steps")
        cols: list[list[Any]]
        if self.ctx.keep == "final":
            # one row per run: (1,)- and (1, n)-shaped views into the stacked final rows
            rows = [
                finals[name][order][:, None] if finals[name] is not None else None for name in names
            ]
            cols = [list(col) if col is not None else [None] * len(runs) for col in rows]
        else:
            histories = gather([*self.chunks, *self.tails], n)
            cols = [[histories[run][name] for run in runs] for name in names]
        steps_c, path_c, values_c, grads_c, norms_c, sizes_c, lines_c = cols
        x_rows = finals["path"][order].tolist()
        g_rows = finals["gradients"][order].tolist()
        values = finals["values"][order].tolist()
        norms = finals["norms"][order].tolist()
        codes_l, steps_l = codes[order].tolist(), steps[order].tolist()
        rises, reversals, peaks, start_norms = ([s[i] for i in order.tolist()] for s in stats)
        out: dict[int, DescentRun] = {}
        reason_of = self._reason
        for k, run in enumerate(runs):
            plan = self.plans[run]
            status = STATUSES[codes_l[k]]
            t = steps_l[k]
            out[run] = DescentRun(
                run,
                plan.settings,
                plan.start,
                status,
                reason_of(status, x_rows[k], values[k], g_rows[k], norms[k], run, t),
                t,
                steps_c[k],
                path_c[k],
                values_c[k],
                grads_c[k],
                norms_c[k],
                sizes_c[k],
                [],
                lines_c[k] if plan.settings.line_search else None,
                None,
                None,
                rises[k],
                reversals[k],
                peaks[k],
                start_norms[k],
            )
        return out


def _norm_or(sq: Array, norm: Array) -> Array:
    """√sq, or ``norm`` (the final ‖∇f‖, scaled) where sq overflowed."""
    with np.errstate(all="ignore"):
        return np.where(sq <= SQ_HUGE, np.sqrt(sq), norm)
