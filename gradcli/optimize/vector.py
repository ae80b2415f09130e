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
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from gradcli.optimize.optimizers import ARRAY_OPS, OPTIMIZERS, Hyper
from gradcli.optimize.runs import (
    BOUND,
    BOUND_SQ,
    INTERRUPTED,
    RISE_RTOL,
    STATUSES,
    DescentRun,
    Final,
    RunPlan,
    StepRecord,
    divergence_reason,
    never_started,
    stop_reason,
)
from gradcli.optimize.scalar import ENDS
from gradcli.optimize.settings import ARMIJO_C, ARMIJO_MAX_HALVINGS, ARMIJO_SHRINK

if TYPE_CHECKING:
    from gradcli.optimize.engine import Descent

Array = np.ndarray[Any, Any]

_CODE = {name: code for code, name in enumerate(STATUSES)}


class Chunk(NamedTuple):
    """The rows one vector lane recorded at one step (runs in increasing order)."""

    step: int
    runs: Array  # (k,) run indices
    x: Array  # (k, n)
    f: Array  # (k,)
    g: Array  # (k, n)
    norm: Array  # (k,)
    step_size: Array  # (k,)
    line_step: Array | None  # (k,), nan at step 0; None without line search
    final: Array  # (k,) bool: the run ended at this row

    def records(self, final_of: Callable[[int], Final]) -> Iterator[StepRecord]:
        count = len(self.runs)
        line: list[Any] = [None] * count
        if self.line_step is not None:
            line = [None if v != v else v for v in self.line_step.tolist()]
        step = self.step
        for run, x, f, g, norm, size, ls, end in zip(
            self.runs.tolist(),
            map(tuple, self.x.tolist()),
            self.f.tolist(),
            map(tuple, self.g.tolist()),
            self.norm.tolist(),
            self.step_size.tolist(),
            line,
            self.final.tolist(),
        ):
            yield final_of(run).record if end else StepRecord(run, step, x, f, g, norm, size, ls)

    def take(self, rows: Array) -> Chunk:
        return Chunk(
            self.step,
            self.runs[rows],
            self.x[rows],
            self.f[rows],
            self.g[rows],
            self.norm[rows],
            self.step_size[rows],
            None if self.line_step is None else self.line_step[rows],
            self.final[rows],
        )


class _Ended(NamedTuple):
    """The runs that ended at one step, with their final state and note statistics."""

    chunk: Chunk  # their final rows
    codes: Array  # (k,) status codes (index into STATUSES)
    rises: Array
    reversals: Array
    peak_norm: Array
    start_norm: Array


class _State(NamedTuple):
    """A lane's arrays after evaluating step t, kept for a report if the run is interrupted."""

    t: int
    runs: Array
    x: list[Array]
    prev_x: list[Array]
    f: Array
    g: list[Array]
    sq: Array  # ‖∇f‖²
    line_step: Array | None
    rises: Array
    reversals: Array
    peak_sq: Array
    start_sq: Array


def _pick(value: Any, rows: Array) -> Any:
    """Select ``rows`` of a per-run array; leave a shared scalar alone."""
    return value[rows] if isinstance(value, np.ndarray) else value


def _shared(values: Sequence[Any]) -> Any:
    """One value when every run has it (cheaper to broadcast), else an (R,) array."""
    first = values[0]
    return first if all(v == first for v in values) else np.array(values)


def _chunk(state: _State, rows: Array | None) -> Chunk:
    """The rows (all when ``rows`` is None) of a lane's state as a recorded chunk."""
    t, runs, x, prev_x, f, g, sq, line_step = state[:8]
    if rows is not None:
        runs, f, sq = runs[rows], f[rows], sq[rows]
        x = [xi[rows] for xi in x]
        g = [gi[rows] for gi in g]
        prev_x = [pi[rows] for pi in prev_x]
        line_step = None if line_step is None else line_step[rows]
    if t:
        step_sq = np.zeros(len(runs))
        for xi, pi in zip(x, prev_x):
            d = xi - pi
            step_sq += d * d
        size = np.sqrt(step_sq)
    else:
        size = np.zeros(len(runs))
    return Chunk(
        t,
        runs,
        np.stack(x, axis=1),
        np.array(f, dtype=float),
        np.stack(g, axis=1),
        np.sqrt(sq),
        size,
        None if line_step is None else np.array(line_step, dtype=float),
        np.zeros(len(runs), dtype=bool),
    )


def armijo(
    value: Callable[..., Any],
    x: list[Array],
    phi: Array,
    g: list[Array],
    g_sq: Array,
    lr: Any,
    sign: Any,
) -> Array:
    """The Armijo step per run: the same arithmetic as :func:`.scalar.armijo`, row by row."""
    count = len(phi)
    a = np.array(np.broadcast_to(lr, (count,)), dtype=float)
    pending = np.arange(count)
    for _ in range(ARMIJO_MAX_HALVINGS):
        ap = a[pending]
        trial = value(*[xi[pending] - ap * gi[pending] for xi, gi in zip(x, g)])[0]
        trial = np.broadcast_to(np.asarray(trial, dtype=float), ap.shape)
        accepted = trial * _pick(sign, pending) <= phi[pending] - ARMIJO_C * ap * g_sq[pending]
        pending = pending[~accepted]
        if len(pending) == 0:
            break
        a[pending] *= ARMIJO_SHRINK
    return a


class VectorLane:
    """Many runs with one method; iterating yields, per step, the Chunk recorded (or None)."""

    def __init__(self, owner: Descent, plans: list[RunPlan]) -> None:
        self.owner = owner
        self.plans = {p.run: p for p in plans}
        self.first_run = plans[0].run
        self.chunks: list[Chunk] = []  # keep="recorded": all; keep="ends": the first ENDS
        self.recent: deque[Chunk] = deque(maxlen=ENDS)  # keep="ends": the last ENDS
        self.tails: list[Chunk] = []  # keep="ends": finished runs' last rows
        self.ended: list[_Ended] = []
        # where each run ended: index into self.ended (-1: still going), and its row there
        self.run_ids = np.array(list(self.plans))  # sorted: plans come in run order
        self.event = np.full(len(plans), -1)
        self.row = np.full(len(plans), -1)
        self.current: _State | None = None

    def __iter__(self) -> Iterator[Chunk | None]:
        owner = self.owner
        both, constants = owner.both, owner.constants
        plans = list(self.plans.values())
        settings = [p.settings for p in plans]
        method, line_search = settings[0].method, settings[0].line_search
        shared = len({id(s) for s in settings}) == 1  # one Settings for every run: all scalars
        optimizer = OPTIMIZERS[method]
        update = optimizer.update
        ops = ARRAY_OPS
        every, record_all, statistics = owner.record_every, not owner.summary_only, owner.notes
        count = len(plans)
        runs = self.run_ids
        starts = np.array([p.start for p in plans], dtype=float)
        x = [np.ascontiguousarray(starts[:, i]) for i in range(owner.n)]
        per_run = settings[:1] if shared else settings
        hyper = Hyper(
            *(
                _shared([getattr(s, name) for s in per_run])
                for name in ("lr", "momentum", "alpha", "beta1", "beta2", "eps")
            )
        )
        # +1 descends, -1 ascends: a Python float when shared, else an (R,) array
        sign = _shared([-1.0 if s.ascent else 1.0 for s in per_run])
        # tol 0 never stops early: -1 is below every ‖∇f‖²
        tol_sq = _shared([s.tol * s.tol if s.tol > 0 else -1.0 for s in per_run])
        limit = _shared([s.steps for s in per_run])
        # the loosest tolerance and the nearest step limit: cheap whole-lane tests each step
        widest_tol_sq, first_limit = float(np.max(tol_sq)), int(np.min(limit))
        states = [optimizer.init(np.zeros(count)) for _ in x]
        prev_x = x
        prev_f = margin = np.zeros(count)
        prev_g: list[Array] = []
        rises = np.zeros(count, dtype=np.int64)
        reversals = np.zeros(count, dtype=np.int64)
        peak_sq = start_sq = np.zeros(count)
        line_step = np.full(count, math.nan) if line_search else None
        t = 0
        with np.errstate(all="ignore"):
            while True:
                out = both(*x)
                for i in constants:
                    out[i] = np.full(count, float(out[i]))
                f = out[0]
                g = out[1:]
                sq = np.square(g[0])
                for gi in g[1:]:
                    sq += np.square(gi)
                # Does any run stop here? Reductions first (nan propagates through max/min).
                stopping = not (
                    f.max() <= BOUND
                    and f.min() >= -BOUND
                    and sq.max() <= BOUND_SQ
                    and all(xi.max() <= BOUND and xi.min() >= -BOUND for xi in x)
                )
                stopping = stopping or sq.min() <= widest_tol_sq or t >= first_limit
                done: Any = None
                ok: Any = None
                converged: Any = None
                if stopping:
                    ok = (np.abs(f) <= BOUND) & (sq <= BOUND_SQ)
                    for xi in x:
                        ok &= np.abs(xi) <= BOUND
                    converged = ok & (sq <= tol_sq)
                    done = ~ok | converged | (t >= limit)
                    stopping = bool(done.any())
                if t and statistics:  # for the notes (see DescentRun.rises and .reversals)
                    if not isinstance(sign, np.ndarray):
                        rose = f > prev_f + margin if sign > 0 else f < prev_f - margin
                    else:
                        rose = np.where(sign > 0, f > prev_f + margin, f < prev_f - margin)
                    np.add(rises, rose, out=rises)
                    dot = g[0] * prev_g[0]
                    for gi, pi in zip(g[1:], prev_g[1:]):
                        dot += gi * pi
                    np.add(reversals, dot < 0, out=reversals)
                    np.fmax(peak_sq, sq, out=peak_sq)  # fmax: a nan does not erase the peak
                elif not t:
                    start_sq, peak_sq = sq, sq.copy()
                state = _State(
                    t, runs, x, prev_x, f, g, sq, line_step, rises, reversals, peak_sq, start_sq
                )
                self.current = state
                recording = record_all and t % every == 0
                emitted: Chunk | None = None
                if recording or stopping:
                    emitted = _chunk(state, None if recording else np.flatnonzero(done))
                    if stopping:
                        self._end(state, emitted, done, ok, converged)
                    self._store(emitted, recording, stopping)
                if stopping:
                    assert done is not None
                    stay = ~done
                    if not stay.any():
                        yield emitted
                        return
                    runs, f, sq = runs[stay], f[stay], sq[stay]
                    x = [xi[stay] for xi in x]
                    g = [gi[stay] for gi in g]
                    states = [type(st)(*(a[stay] for a in st)) for st in states]
                    hyper = Hyper(*(_pick(v, stay) for v in hyper))
                    sign, tol_sq, limit = _pick(sign, stay), _pick(tol_sq, stay), _pick(limit, stay)
                    rises, reversals = rises[stay], reversals[stay]
                    peak_sq, start_sq = peak_sq[stay], start_sq[stay]
                    count = len(runs)
                    widest_tol_sq, first_limit = float(np.max(tol_sq)), int(np.min(limit))
                yield emitted
                # the update x_t -> x_{t+1}
                t += 1
                descending = not isinstance(sign, np.ndarray) and sign > 0
                geff = g if descending else [gi * sign for gi in g]
                h = hyper
                if line_search:
                    phi = f if descending else f * sign
                    line_step = armijo(owner.value_only, x, phi, geff, sq, hyper.lr, sign)
                    h = hyper._replace(lr=line_step)
                new_x = []
                for i, xi in enumerate(x):
                    delta, states[i] = update(geff[i], states[i], h, t, ops)
                    new_x.append(xi - delta)
                prev_x, prev_f, prev_g = x, f, g
                if statistics:
                    margin = RISE_RTOL * np.abs(f)
                x = new_x

    # --- runs that end ------------------------------------------------------------------------
    def _end(self, state: _State, chunk: Chunk, done: Any, ok: Any, converged: Any) -> None:
        rows = np.flatnonzero(done)
        at = rows if len(chunk.runs) == len(state.runs) else np.arange(len(rows))
        chunk.final[at] = True
        codes = np.where(ok[rows], np.where(converged[rows], 1, 2), 3).astype(np.int8)
        self._register(state, chunk.take(at), rows, codes)

    def _register(self, state: _State, chunk: Chunk, rows: Array, codes: Array) -> None:
        ended = _Ended(
            chunk,
            codes,
            state.rises[rows].copy(),
            state.reversals[rows].copy(),
            np.sqrt(state.peak_sq[rows]),
            np.sqrt(state.start_sq[rows]),
        )
        self.ended.append(ended)
        e = len(self.ended) - 1
        local = np.searchsorted(self.run_ids, chunk.runs)
        self.event[local] = e
        self.row[local] = np.arange(len(local))
        self.owner.done[chunk.runs] = True

    def _store(self, chunk: Chunk, recording: bool, stopping: bool) -> None:
        keep = self.owner.keep
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
        finals = self.owner.finals
        if run not in finals:
            ended = self.ended[int(self.event[np.searchsorted(self.run_ids, run)])]
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
                finals[run_k] = new(
                    Final, (status, reason, t, record, rises, reversals, peak, start)
                )
        return finals[run]

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
        return stop_reason(status, norm, self.plans[run].settings, t)

    def close(self) -> None:
        """Report unfinished runs as interrupted (after Ctrl-C or a closed pipe)."""
        done = self.owner.done
        open_runs = [run for run in self.plans if not done[run]]
        if not open_runs:
            return
        state = self.current
        if state is None:
            for run in open_runs:
                self.owner.finals[run] = never_started(self.plans[run])
            done[open_runs] = True
            return
        rows = np.flatnonzero(~done[state.runs])
        chunk = _chunk(state, rows)
        chunk.final[:] = True
        self._register(state, chunk, rows, np.full(len(rows), _CODE[INTERRUPTED], dtype=np.int8))
        if self.owner.keep == "ends":
            self._keep_tails(chunk.runs)
        if self.owner.keep != "final":
            self.tails.append(chunk)

    # --- results ------------------------------------------------------------------------------
    def statuses(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for run, e, k in zip(self.run_ids.tolist(), self.event.tolist(), self.row.tolist()):
            if e < 0:  # closed before its first step
                out[run] = self.owner.finals[run].status
            else:
                out[run] = STATUSES[int(self.ended[e].codes[k])]
        return out

    def results(self) -> dict[int, DescentRun]:
        """Every run of the lane as a :class:`DescentRun`, built in bulk from the arrays."""
        n = self.owner.n
        ended = self.ended
        finals = _concat([e.chunk for e in ended], n)
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
        if self.owner.keep == "final":
            # one row per run: (1,)- and (1, n)-shaped views into the stacked final rows
            rows = [
                finals[name][order][:, None] if finals[name] is not None else None for name in names
            ]
            cols = [list(col) if col is not None else [None] * len(runs) for col in rows]
        else:
            histories = _gather([*self.chunks, *self.tails], n)
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


def _concat(chunks: list[Chunk], n: int) -> dict[str, Any]:
    """Chunks stacked into DescentRun-named columns (plus ``runs``)."""
    line = [c.line_step for c in chunks]
    return {
        "runs": np.concatenate([c.runs for c in chunks]),
        "steps": np.concatenate([np.full(len(c.runs), c.step) for c in chunks]),
        "path": np.concatenate([c.x for c in chunks]).reshape(-1, n),
        "values": np.concatenate([c.f for c in chunks]),
        "gradients": np.concatenate([c.g for c in chunks]).reshape(-1, n),
        "norms": np.concatenate([c.norm for c in chunks]),
        "step_sizes": np.concatenate([c.step_size for c in chunks]),
        "line_steps": None
        if any(v is None for v in line)
        else np.concatenate([v for v in line if v is not None]),
    }


def _gather(chunks: list[Chunk], n: int) -> dict[int, dict[str, Any]]:
    """Per-run columns from chunks: rows sorted by step, repeats (same run and step) dropped."""
    if not chunks:
        return {}
    table = _concat(chunks, n)
    runs, steps = table.pop("runs"), table["steps"]
    order = np.lexsort((steps, runs))
    runs, steps = runs[order], steps[order]
    fresh = np.ones(len(runs), dtype=bool)
    fresh[1:] = (runs[1:] != runs[:-1]) | (steps[1:] != steps[:-1])
    order, runs = order[fresh], runs[fresh]
    table = {name: None if col is None else col[order] for name, col in table.items()}
    bounds = np.flatnonzero(runs[1:] != runs[:-1]) + 1
    first = [0, *bounds.tolist()]
    last = [*bounds.tolist(), len(runs)]
    return {
        int(runs[a]): {name: None if col is None else col[a:b] for name, col in table.items()}
        for a, b in zip(first, last)
    }
