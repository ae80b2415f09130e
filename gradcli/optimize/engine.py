"""The descent engine: runs = starts × settings, advanced in lockstep, streamed step by step.

Runs that share a method (and line-search flag) form a group. A group of many runs is one
:class:`~.vector.VectorLane` — every coordinate an ``(R,)`` array, each step a handful of numpy calls
whatever R is. A group of a few runs becomes one :class:`~.scalar.ScalarLane` per run, stepping with
Python floats: for one run that is several times cheaper than numpy's per-call overhead on one-row
arrays. Both run the one loop of :mod:`.lane` in the same order, so which one runs is a speed
decision — the numbers agree, except that a power (x**2) on a Python float is libm's pow, which
can differ from numpy's power in the last bit (tests/test_kernel.py). Lanes read a :class:`~.lane.LaneContext` and answer for
their own runs; the :class:`Descent` here asks them and assembles the result.

:class:`Descent` drives the lanes one step at a time and yields :class:`StepRecord` s as they are
computed (so ``--format ndjson``/``csv`` stream, and ``| head`` stops the work early);
:func:`descend` runs it to the end and returns :class:`DescentRun` s. At every point x_t each run
checks, in order: ``diverged`` (f, ∇f or x not finite, or |f|, ‖∇f‖ or some |x_i| beyond 1e150),
``converged`` (‖∇f‖ ≤ tol; tol 0 never stops early), ``max_steps`` (t = steps).
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from gradcli.errors import MathError, UsageError
from gradcli.optimize.chunks import Chunk
from gradcli.optimize.curvature import CurvatureLane, check_settings
from gradcli.optimize.lane import STEP_LANE, Keep, Lane, LaneContext, collector_paused
from gradcli.optimize.plans import LanePlans, RunPlans
from gradcli.optimize.runs import DescentRun, Final, RunPlan, StepRecord
from gradcli.optimize.scalar import ScalarLane
from gradcli.optimize.settings import CURVATURE_METHODS, Settings
from gradcli.optimize.vector import VectorLane

if TYPE_CHECKING:
    from gradcli.numeric import Compiled
    from gradcli.optimize.projection import Projection

Array = np.ndarray[Any, Any]
__all__ = [
    "Descent",
    "Keep",
    "batches",
    "check_starts",
    "descend",
    "iter_descent",
    "plan_runs",
    "start_points",
]

SCALAR_LANE_MAX = 4  # groups of up to this many runs step with scalars (faster than tiny arrays)
# Bounded memory for run-ordered output (JSON, tables, --summary): runs are computed in batches that
# hold at most this many recorded rows (a row is a few hundred bytes while it is held) ...
ROW_BUDGET = 100_000
# ... and at most this many runs (each run costs a kilobyte or two of bookkeeping while it runs).
RUNS_PER_BATCH = 10_000


def start_points(starts: Array | Sequence[Sequence[float]], n: int) -> Array:
    """The starts as an ``(S, n)`` float array; a wrong number of coordinates is a UsageError."""
    points = np.asarray(starts, dtype=float)
    if points.ndim == 1 and n == 1:
        points = points.reshape(-1, 1)
    elif points.ndim == 1:
        points = points.reshape(1, -1)
    if points.ndim != 2 or points.shape[1] != n:
        got = points.shape[-1] if points.ndim == 2 else points.size
        raise UsageError(f"a start needs {n} coordinate{'s' if n != 1 else ''}, got {got}")
    return points


def batches(
    starts: int, settings: int, rows_per_run: int, *, budget: int = ROW_BUDGET
) -> Iterator[tuple[int, int]]:
    """Consecutive ranges ``(first, stop)`` of the starts, each computed as one :class:`Descent`
    (runs = its starts × every setting, in run order), so that a batch holds at most ``budget``
    recorded rows and :data:`RUNS_PER_BATCH` runs — always at least one start."""
    per_start = max(1, settings) * max(1, rows_per_run)
    size = max(1, min(budget // per_start, RUNS_PER_BATCH // max(1, settings)))
    for first in range(0, starts, size):
        yield first, min(starts, first + size)


def check_starts(compiled: Compiled, points: Array) -> None:
    """f and ∇f must be finite real numbers at every start: else it is not a descent problem
    (a MathError naming the first bad start). One vectorised evaluation for all the starts."""
    count = len(points)
    both = compiled.both
    with np.errstate(all="ignore"):
        columns = [np.broadcast_to(np.asarray(c), (count,)) for c in both(*points.T)]
    good = [np.isfinite(c) & (np.imag(c) == 0) for c in columns]
    bad = ~np.logical_and.reduce(good)
    if bad.any():
        k = int(np.argmax(bad))
        label = "(" + ", ".join(f"{v:g}" for v in points[k]) + ")"
        what = "f" if not good[0][k] else "∇f"
        raise MathError(
            f"{what} is not a finite real number at the start {label}",
            hint="choose a start inside the function's domain",
        )


def plan_runs(
    starts: Array | Sequence[Sequence[float]], settings: Sequence[Settings], n: int
) -> RunPlans:
    """The product starts × settings, start-major: run k = start k // S with settings k % S (a
    sequence of RunPlans made on demand: see :mod:`.plans`)."""
    points = start_points(starts, n)
    if len(points) == 0 or not settings:
        raise UsageError("descend needs at least one start and one setting")
    return RunPlans(points, settings)


def iter_descent(
    compiled: Compiled,
    starts: Array | Sequence[Sequence[float]],
    settings: Sequence[Settings],
    *,
    record_every: int = 1,
    summary_only: bool = False,
    keep: Keep = "recorded",
    notes: bool = True,
    step_sizes: bool = True,
    on_step: Callable[[int, int], None] | None = None,
    projection: Projection | None = None,
) -> Descent:
    """A :class:`Descent` to iterate: it yields each recorded step as soon as it is computed.

    ``notes=False`` and ``step_sizes=False`` skip work a stream may not show: the statistics behind
    the notes, and ‖x_t − x_{t−1}‖ (then nan in the records, except each run's last).
    """
    return Descent(
        compiled,
        starts,
        settings,
        record_every=record_every,
        summary_only=summary_only,
        keep=keep,
        notes=notes,
        step_sizes=step_sizes,
        on_step=on_step,
        projection=projection,
    )


def descend(
    compiled: Compiled,
    starts: Array | Sequence[Sequence[float]],
    settings: Sequence[Settings],
    *,
    record_every: int = 1,
    summary_only: bool = False,
    keep: Keep = "recorded",
    notes: bool = True,
    on_step: Callable[[int, int], None] | None = None,
    projection: Projection | None = None,
) -> list[DescentRun]:
    """Run every start with every setting to the end; one :class:`DescentRun` per run, in order.

    ``record_every=K`` records steps 0, K, 2K, ... and each run's last step; ``summary_only`` records
    the last step only. ``keep`` says what the runs hold of the recorded steps: all ("recorded"), the
    first and last five ("ends", for tables), or the last ("final"). ``notes=False`` skips the
    per-step statistics behind the notes (for output that shows none; about a fifth of the time of
    many-run descents). ``on_step(t, active)`` is called once per step with the number of runs still
    going. ``projection`` (:mod:`.projection`) makes it projected gradient descent.
    """
    run = iter_descent(
        compiled,
        starts,
        settings,
        record_every=record_every,
        summary_only=summary_only,
        keep=keep,
        notes=notes,
        on_step=on_step,
        projection=projection,
    )
    run.drain()
    return run.runs()


class Descent:
    """Runs in progress. Iterate for :class:`StepRecord` s in step order (runs in order within a
    step; with ``summary_only``, each run's final record, in run order); call :meth:`runs` after.

    If iteration stops early (Ctrl-C, a closed pipe), :meth:`runs` still answers: runs that had not
    finished are reported with status ``interrupted`` at the last step they completed.
    """

    def __init__(
        self,
        compiled: Compiled,
        starts: Array | Sequence[Sequence[float]],
        settings: Sequence[Settings],
        *,
        record_every: int = 1,
        summary_only: bool = False,
        keep: Keep = "recorded",
        notes: bool = True,
        step_sizes: bool = True,
        on_step: Callable[[int, int], None] | None = None,
        offset: int = 0,
        checked: bool = False,
        projection: Projection | None = None,
    ) -> None:
        """``offset``: the index of this Descent's first run among a larger set computed in
        batches (:func:`batches`): its runs report ``index`` = offset + their own; ``checked``: the
        starts were already checked with :func:`check_starts`."""
        if isinstance(record_every, bool) or not isinstance(record_every, int) or record_every < 1:
            raise UsageError(
                f"{{record_every}} must be a whole number ≥ 1, got {record_every!r}",
                parameters=("record_every",),
            )
        if keep not in ("recorded", "ends", "final"):
            raise ValueError(f"keep must be 'recorded', 'ends' or 'final', not {keep!r}")
        self.compiled = compiled
        self.n = compiled.n
        self.points = start_points(starts, self.n)
        self.projection = projection
        if projection is not None:  # projected gradient descent: the starts land on the set too
            from gradcli.optimize.projection import refuse_curvature

            refuse_curvature([s.method for s in settings])
            projection = projection.oriented([s.ascent for s in settings])
            self.points = projection.points(self.points)
        self.plan = plan_runs(self.points, settings, self.n)
        self.record_every = record_every
        self.summary_only = summary_only
        self.keep: Keep = "final" if summary_only else keep
        self.notes = notes
        self.step_sizes = step_sizes
        self.on_step = on_step
        self.both = compiled.both
        self.step = 0  # the step the lanes are working on
        self.offset = offset
        check_settings(len(self.points), self.plan.settings, self.n)
        if not checked:
            check_starts(compiled, self.points)
        line_search = any(s.line_search for s in self.plan.settings)
        self.context = LaneContext(
            self.both,
            # the line search's trial points need f alone, not its gradient
            compiled.value_only if line_search else None,
            self.n,
            self.keep,
            record_every,
            summary_only,
            notes,
            step_sizes,
            projection,
        )
        with collector_paused():
            self.lanes = self._make_lanes()
            self._lane_of = self._lanes_by_run()
        self._started = False

    def _make_lanes(self) -> list[Lane]:
        # a lane's runs share their method, line search and knobs: grouped by setting, not by
        # run (every start has every setting)
        plan = self.plan
        groups: dict[tuple[Any, ...], list[int]] = {}
        for j, s in enumerate(plan.settings):
            groups.setdefault((s.method, s.line_search, s.knobs), []).append(j)
        lanes: list[Lane] = []
        for columns in groups.values():
            runs = LanePlans(plan, columns)
            if plan.settings[columns[0]].method in CURVATURE_METHODS:
                # not elementwise: one run at a time, on numpy vectors
                hessian = self.compiled.hessian
                lanes.extend(CurvatureLane(self.context, runs[k], hessian) for k in runs)
            elif len(runs) <= SCALAR_LANE_MAX:
                lanes.extend(ScalarLane(self.context, runs[k]) for k in runs)
            else:
                lanes.append(VectorLane(self.context, runs))
        lanes.sort(key=lambda lane: lane.first_run)
        return lanes

    def _lanes_by_run(self) -> list[Lane]:
        """The lane of each run, by run number."""
        if len(self.lanes) == 1:
            return self.lanes * len(self.plan)
        lane_of: list[Lane] = [self.lanes[0]] * len(self.plan)
        for lane in self.lanes:
            for run in lane.plans:
                lane_of[run] = lane
        return lane_of

    # --- driving --------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[StepRecord]:
        self._start()
        if self.summary_only:
            return self._in_run_order(self._emissions())
        lane = self.lanes[0]
        if len(self.lanes) == 1 and self.on_step is None and isinstance(lane, ScalarLane):
            # one run: its records straight from the lane, no per-step bookkeeping in between
            lane.solo = True
            return cast("Iterator[StepRecord]", iter(lane))
        return self._flatten(self._emissions())

    def drain(self) -> None:
        """Run to the end without producing records (what :func:`descend` does)."""
        self._start()
        for _ in self._emissions():
            pass

    def _start(self) -> None:
        if self._started:
            raise RuntimeError("a Descent can be iterated only once")
        self._started = True

    def _emissions(self) -> Iterator[list[StepRecord | Chunk]]:
        """Per step, what the lanes recorded: StepRecords (scalar lanes), Chunks (vector lanes)."""
        on_step, lanes = self.on_step, self.lanes
        # Each lane steps in a context of its own (contextvars; 20 ns a step): a lane holds
        # np.errstate(all="ignore") across its yields, and numpy keeps that state in a context
        # variable, so lanes ending in turn reset each other's state out of order — the next
        # lane's overflow warnings reached stderr, and the last left "ignore" behind for good.
        # numpy before 2 keeps the state in one process-wide setting instead (no context): there
        # each step also runs inside errstate(all="ignore"), so whatever a lane saves and
        # restores in between is "ignore", and the caller's setting comes back after the step
        # (0.7 µs a step: only where it is needed).
        step = STEP_LANE
        steppers: list[tuple[Iterator[StepRecord | Chunk | None], contextvars.Context]] = [
            (iter(lane), contextvars.copy_context()) for lane in lanes
        ]
        every = list(steppers)
        end = object()
        try:
            while steppers:
                batch: list[StepRecord | Chunk] = []
                alive = []
                for stepper, context in steppers:
                    emitted = step(context, next, stepper, end)
                    if emitted is end:
                        continue
                    alive.append((stepper, context))
                    if emitted is not None:
                        batch.append(cast("StepRecord | Chunk", emitted))
                steppers = alive
                if on_step is not None and steppers:
                    on_step(self.step, sum(lane.active for lane in lanes))
                self.step += 1
                if batch:
                    yield batch
        finally:  # a lane left behind (Ctrl-C, a closed pipe) ends in its own context too
            for stepper, context in every:
                close = getattr(stepper, "close", None)
                if close is not None:
                    step(context, close)

    def final(self, run: int) -> Final:
        """How ``run`` ended (once it has)."""
        return self._lane_of[run].final(run)

    def _flatten(self, emissions: Iterator[list[StepRecord | Chunk]]) -> Iterator[StepRecord]:
        several = len(self.lanes) > 1
        for batch in emissions:
            if len(batch) == 1 and isinstance(batch[0], StepRecord):
                yield batch[0]
                continue
            records: list[StepRecord] = []
            for item in batch:
                if isinstance(item, StepRecord):
                    records.append(item)
                else:
                    records.extend(item.records(self.final))
            if several:
                records.sort(key=_run_of)
            yield from records

    def _in_run_order(self, emissions: Iterator[list[StepRecord | Chunk]]) -> Iterator[StepRecord]:
        """Final records, released in run order as soon as every earlier run has finished."""
        for block in self._released(emissions):
            yield from block

    def _released(
        self, emissions: Iterator[list[StepRecord | Chunk]]
    ) -> Iterator[list[StepRecord]]:
        """Per step, the final records released then (run order; no empty blocks)."""
        lane_of, total = self._lane_of, len(self.plan)
        next_run = 0
        for _ in emissions:
            block = []
            while next_run < total and lane_of[next_run].ended(next_run):
                block.append(self.final(next_run).record)
                next_run += 1
            if block:
                yield block

    def final_blocks(self) -> Iterator[list[StepRecord]]:
        """With ``summary_only``: what iterating gives, in the blocks that are released together
        (runs that ended at the same step), so a reader can treat each block in one vectorised
        call (:meth:`end_kinds`) without holding a record back."""
        if not self.summary_only:
            raise ValueError("final_blocks() needs summary_only=True")
        self._start()
        return self._released(self._emissions())

    def end_kinds(self, records: Sequence[StepRecord]) -> list[str | None]:
        """The end-point classification of each final record — minimum, maximum, saddle,
        degenerate, plateau, or None for a run that did not converge — exactly as :meth:`runs`
        classifies (:func:`gradcli.optimize.notes.annotate`), in vectorised calls."""
        from gradcli.optimize.notes import annotate

        plans = self.plan
        ends = [r for r in records if r.status == "converged"]
        if not ends:
            return [None] * len(records)
        with collector_paused():
            runs = {r.run: _ended(r, plans[r.run]) for r in ends}
        annotate(list(runs.values()), self.compiled, phenomena=False)
        return [runs[r.run].classification if r.run in runs else None for r in records]

    def progress(self) -> tuple[float, float]:
        """The best f so far among the runs still going (lowest, highest in ascent) and that run's
        ‖∇f‖ — for a progress display, asked for now and then (not every step): nan before the
        first step."""
        best, norm = math.nan, math.nan
        for lane in self.lanes:
            state = lane.current
            if state is None or not lane.active:
                continue
            ascent = self.plan[lane.first_run].settings.ascent
            f = np.atleast_1d(np.asarray(state.f, dtype=float))
            sq = np.atleast_1d(np.asarray(state.sq, dtype=float))
            with np.errstate(all="ignore"):
                k = (
                    int(np.nanargmax(f) if ascent else np.nanargmin(f))
                    if np.isfinite(f).any()
                    else 0
                )
            value = float(f[k])
            if math.isnan(best) or (value > best if ascent else value < best):
                best, norm = value, math.sqrt(float(sq[k])) if sq[k] >= 0 else math.nan
        return best, norm

    # --- results --------------------------------------------------------------------------------
    def statuses(self) -> list[str]:
        """Each run's status, in run order (unfinished ones are marked interrupted first)."""
        for lane in self.lanes:
            lane.close()
        if len(self.lanes) == 1:  # its runs are every run, in order
            return list(self.lanes[0].statuses().values())
        out: list[str] = [""] * len(self.plan)
        for lane in self.lanes:
            for run, status in lane.statuses().items():
                out[run] = status
        return out

    def runs(self, *, annotate: bool = True) -> list[DescentRun]:
        """One :class:`DescentRun` per planned run, in order (unfinished ones marked interrupted).

        ``annotate`` adds the Hessian classification of converged runs and the notes (only that
        classification's, if the Descent was made with ``notes=False``).
        """
        with collector_paused():
            built: dict[int, DescentRun] = {}
            for lane in self.lanes:
                lane.close()
                built.update(lane.results())
                lane.add_knob_results(built)
            runs = [built[p.run] for p in self.plan]
            if annotate and self.notes:
                _add_marks(built, self.lanes)
            if annotate:
                from gradcli.optimize.notes import annotate as add_notes

                add_notes(runs, self.compiled, phenomena=self.notes)
                if self.projection is not None:  # ∇f ≠ 0 at a constrained end: no Hessian verdict
                    self.projection.settle(runs)
            if self.offset:
                for run in runs:
                    run.index += self.offset
        return runs


def _add_marks(built: dict[int, DescentRun], lanes: Sequence[Lane]) -> None:
    """Each run's ‖∇f‖ at the steps 1, 2, 4, ... its lane logged (for the slow note's rate)."""
    for lane in lanes:
        for t, ids, sq in getattr(lane, "mark_log", ()):
            for run, value in zip(np.atleast_1d(ids).tolist(), np.atleast_1d(sq).tolist()):
                if run in built:
                    built[run].marks.append((t, math.sqrt(value)))


def _ended(record: StepRecord, plan: RunPlan) -> DescentRun:
    """A run known only by its final record: enough for :func:`~.notes.annotate` to classify
    where it ended."""
    return DescentRun(
        record.run, plan.settings, plan.start, record.status or "", record.reason or "",
        record.step, np.array([record.step]), np.array([record.point]), np.array([record.value]),
        np.array([record.gradient]), np.array([record.norm]), np.zeros(1),
    )  # fmt: skip


def _run_of(record: StepRecord) -> int:
    return record.run
