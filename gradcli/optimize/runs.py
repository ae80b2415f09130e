"""The nouns of a descent: the plan of a run, its streamed step records, how it ended, its result."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeAlias

import numpy as np

from gradcli.optimize.settings import Settings

Array = np.ndarray[Any, Any]

BOUND = 1e150  # |x|, |f| or ‖∇f‖ beyond this counts as diverged (float64 squares overflow ~1e154)
BOUND_SQ = BOUND * BOUND  # both engines compare ‖∇f‖² with BOUND² and tol² (no sqrt per step)
SQ_TINY = 1e-300  # a ‖∇f‖² below this may have lost digits to underflow (and 0 < tol² < this too)
SQ_HUGE = sys.float_info.max  # a ‖∇f‖² above this overflowed (inf) though ∇f may be finite
RISE_RTOL = 1e-12  # f must rise by more than this (relative) to count: ignores round-off wobble

CONVERGED, MAX_STEPS, DIVERGED, INTERRUPTED = "converged", "max_steps", "diverged", "interrupted"
#: Status codes used inside the vector engine (index = code).
STATUSES = ("running", CONVERGED, MAX_STEPS, DIVERGED, INTERRUPTED)


class RunPlan(NamedTuple):
    """Run number ``run`` (0-based) starts at ``start`` with ``settings``."""

    run: int
    start: Array
    settings: Settings


class StepRecord(NamedTuple):
    """One recorded step of one run, as streamed (``run`` is the 0-based run index).

    ``step_size`` is ‖x_t − x_{t−1}‖ (0 at step 0); ``line_step`` the accepted Armijo step a that led
    to x_t (None without ``--line-search`` and at step 0). ``status`` and ``reason`` are set on the
    run's last record only.
    """

    run: int
    step: int
    point: tuple[float, ...]
    value: float
    gradient: tuple[float, ...]
    norm: float
    step_size: float
    line_step: float | None
    status: str | None = None
    reason: str | None = None


class Final(NamedTuple):
    """How a run ended, with the statistics its notes are made from."""

    status: str
    reason: str
    iterations: int
    record: StepRecord  # the final state (status and reason filled in)
    rises: int
    reversals: int
    peak_norm: float
    start_norm: float


# --- notes: what deserves a remark about a run, as facts (found by .notes, worded by views.notes) ---
class Overshooting(NamedTuple):
    """f moved against the goal at ``rises`` of ``steps`` steps."""

    rises: int
    steps: int
    reversals: int  # steps at which ∇f reversed direction
    frequent: bool  # at the overshoot share of the steps or more
    ascent: bool
    # λmax at the start, for a plain-gd run that did not converge and whose lr ≥ 2/λmax there
    start_curvature: float | None
    diverged: bool
    momentum: bool = False  # a method that carries velocity: momentum, nesterov, adam


class ZigZag(NamedTuple):
    """∇f reversed direction at ``reversals`` of ``steps`` steps; ``improved``: f still moved toward
    the goal from ``start_value`` to ``final_value`` (else the run only oscillates)."""

    reversals: int
    steps: int
    ascent: bool
    improved: bool = True
    start_value: float = math.nan
    final_value: float = math.nan
    start_curvature: float | None = None  # λmax at the start (plain gd), for the stability limit
    lr: float = math.nan
    # ‖∇f‖'s recent factor per step, where it is ≈ 1 in a run that ran out of steps: the bounce
    # neither shrinks nor grows (lr at gd's stability limit 2/λmax), whatever f did elsewhere
    stalled: float | None = None


class Exploding(NamedTuple):
    """‖∇f‖ grew by more than the exploding factor of :mod:`.notes` over its start value."""

    start_norm: float
    peak_norm: float


class Diverged(NamedTuple):
    """A run diverged without overshooting first."""

    reason: str


class Vanishing(NamedTuple):
    """The run barely moved: either ‖∇f‖ itself vanished (``plateau``: it stayed below the flat
    gradient of :mod:`.notes` over all ``steps`` and f hardly changed) or, for plain gd, the steps
    lr·‖∇f‖ are tiny because lr is."""

    last_step: float
    norm: float
    plateau: bool  # the gradient vanished (a flat region), not a too-small lr
    lr: float
    steps: int = 0
    peak_norm: float = math.nan
    start_value: float = math.nan
    final_value: float = math.nan
    lower: float | None = None  # a much better f found along −∇f ...
    distance: float | None = None  # ... this far away: a plateau, not a bottom
    # a saturated sigmoid: (its argument, its slope, how many sigmoids f has)
    saturated: tuple[float, float, int] | None = None
    ascent: bool = False


class Plateau(NamedTuple):
    """A run stopped by the gradient test (‖∇f‖ ≤ tol) on a flat region that is no stationary
    point: the curvature is tiny too, and f is far better a short way along −∇f."""

    steps: int
    norm: float
    curvature: float  # the largest |Hessian eigenvalue| at the end
    value: float
    lower: float  # f found along −∇f (+∇f in ascent) ...
    distance: float  # ... this far from the end point
    tol: float
    ascent: bool = False


class Kink(NamedTuple):
    """The run bounces across a kink of f (|·|, relu, max, min): ∇f jumps there, so ‖∇f‖ never
    falls below tol however close the run gets."""

    norm: float
    steps: int
    lr: float


class Slow(NamedTuple):
    """‖∇f‖ falls too slowly to reach tol within the steps; ``more`` at the recent rate would
    (None: the rate is speeding up or not a fall, or too few steps were recorded to measure it)."""

    start_norm: float
    norm: float
    steps: int
    more: float | None
    rate: float | None = None  # the recent factor per step
    slowing: bool = False  # the rate is slowing: ``more`` is a lower bound
    # 2/λmax (plain gd) for a run that zig-zags with lr·λmax ≥ 1: lr cannot be raised much
    limit: float | None = None


class EndPoint(NamedTuple):
    """A converged run ended at a saddle, a degenerate point or the opposite kind of extremum —
    or it was not classified ("unclassified"): f has ``variables`` > MAX_HESSIAN_VARIABLES."""

    classification: str
    wrong: bool  # a maximum in descent, a minimum in ascent
    variables: int = 0  # set for "unclassified": how many variables f has


class Clipped(NamedTuple):
    """Gradient clipping changed ∇f at ``active`` of ``steps`` steps; ``without``: how the same run
    (same seed, same steps) diverges without clipping (None: it does not, or it was not tried)."""

    active: int
    steps: int
    clip_norm: float | None
    clip_value: float | None
    without: str | None = None


class Noisy(NamedTuple):
    """A run with gradient noise ran all its steps: the noise keeps ‖∇f‖ (``norm`` at the end)
    above ``tol``."""

    noise: float
    norm: float
    steps: int
    tol: float
    scheduled: bool


class Decayed(NamedTuple):
    """A run with weight decay ran all its steps: it seeks ∇f + weight_decay·x = 0 (the minimum of
    f + weight_decay/2·‖x‖²), not ∇f = 0. ``balance``: ‖∇f + weight_decay·x‖ at the end (None
    for AdamW's decoupled decay, whose balance point is the Adam step's)."""

    weight_decay: float
    norm: float
    balance: float | None
    tol: float


Note: TypeAlias = (
    Overshooting
    | ZigZag
    | Exploding
    | Diverged
    | Vanishing
    | Plateau
    | Kink
    | Slow
    | EndPoint
    | Clipped
    | Noisy
    | Decayed
)


@dataclass(slots=True)
class DescentRun:
    """One run: where it started, how it was configured, what it recorded and how it ended."""

    index: int  # 0-based position in the product starts × settings
    settings: Settings
    start: Array  # (n,)
    status: str  # "converged" | "max_steps" | "diverged" ("interrupted" after Ctrl-C)
    reason: str  # e.g. "‖∇f‖ = 3.2e-07 ≤ tol = 1e-06", "f is not finite at step 12"
    iterations: int  # updates applied: the final point is x_iterations
    steps: Array  # (k,) recorded step numbers (0 = start)
    path: Array  # (k, n) recorded points
    values: Array  # (k,)
    gradients: Array  # (k, n)
    norms: Array  # (k,)
    step_sizes: Array  # (k,) ‖x_t − x_{t−1}‖, 0 at step 0
    notes: list[str] = field(default_factory=list)  # the findings in words: gradcli.views.notes
    line_steps: Array | None = None  # (k,) accepted Armijo step per row (nan at step 0)
    classification: str | None = None  # converged runs: minimum | maximum | saddle | degenerate
    eigenvalues: Array | None = None  # the Hessian's eigenvalues at the final point
    rises: int = 0  # steps at which f moved against the goal (rose in descent, fell in ascent)
    reversals: int = 0  # steps at which the gradient turned by more than 90° (∇f·∇f_prev < 0)
    peak_norm: float = 0.0  # the largest ‖∇f‖ seen
    start_norm: float = 0.0  # ‖∇f‖ at the start
    findings: list[Note] = field(default_factory=list)  # what deserves a remark (see .notes)
    marks: list[tuple[int, float]] = field(default_factory=list)  # (t, ‖∇f‖) at t = 1, 2, 4, ...
    clipped: int | None = None  # steps at which clipping changed ∇f (None: no clipping asked)

    @property
    def number(self) -> int:
        """The 1-based run number people see (tables, CSV, JSON)."""
        return self.index + 1

    @property
    def method(self) -> str:
        return self.settings.method

    @property
    def lr(self) -> float:
        return self.settings.lr

    @property
    def final_point(self) -> Array:
        return self.path[-1]

    @property
    def final_value(self) -> float:
        return float(self.values[-1])

    @property
    def final_gradient(self) -> Array:
        return self.gradients[-1]

    @property
    def final_norm(self) -> float:
        return float(self.norms[-1])

    @property
    def converged(self) -> bool:
        return self.status == CONVERGED


def norm_from(sq: float, v: Sequence[float]) -> float:
    """‖v‖ given its square ``sq`` = Σ v_i² summed naively (the fast path, taken when ``sq`` is a
    normal float); where that square overflowed or underflowed, the scaled form
    max|v|·‖v/max|v|‖, which is finite whenever ‖v‖ is representable (1e200 has a norm of 1e200,
    not ∞). The same operations in the same order as :func:`norms_from`, so both lanes agree."""
    if SQ_TINY <= sq <= SQ_HUGE:
        return math.sqrt(sq)
    if sq != sq:  # some v_i is nan
        return sq
    biggest = 0.0
    for vi in v:
        a = abs(vi)
        if a > biggest:
            biggest = a
    if not 0.0 < biggest < math.inf:  # all zero (the norm is 0) or some v_i infinite (∞)
        return math.sqrt(sq)
    total = 0.0
    for vi in v:
        r = vi / biggest
        total += r * r
    return biggest * math.sqrt(total)


def norms_from(sq: Array, v: Sequence[Array]) -> Array:
    """:func:`norm_from` for (R,) arrays: ``sqrt(sq)``, rescaled on the rows where ``sq`` is not a
    normal float."""
    out = np.sqrt(sq)
    redo = ~((sq >= SQ_TINY) & (sq <= SQ_HUGE))
    if len(v) and redo.any():
        rows = np.flatnonzero(redo)
        parts = [vi[rows] for vi in v]
        biggest = np.abs(parts[0])
        for p in parts[1:]:
            biggest = np.maximum(biggest, np.abs(p))
        total = np.zeros(len(rows))
        with np.errstate(all="ignore"):
            for p in parts:
                r = p / biggest
                total += r * r
            scaled = biggest * np.sqrt(total)
        usable = (biggest > 0) & (biggest < math.inf)
        out[rows] = np.where(usable, scaled, out[rows])
    return out


def where(t: int) -> str:
    return "at the start" if t == 0 else f"at step {t}"


def divergence_reason(x: Sequence[float], f: float, g: Sequence[float], norm: float, t: int) -> str:
    """Which quantity stopped being finite (or passed BOUND) first, in that order of checking."""
    at = where(t)
    if not all(math.isfinite(v) for v in x):
        return f"x is not finite {at}"
    biggest = max(abs(v) for v in x)
    if biggest > BOUND:
        return f"|x| = {biggest:.3g} passed {BOUND:g} {at}"
    if not math.isfinite(f):
        return f"f is not finite {at}"
    if abs(f) > BOUND:
        return f"|f| = {abs(f):.3g} passed {BOUND:g} {at}"
    if not all(math.isfinite(v) for v in g):
        return f"∇f is not finite {at}"
    if not math.isfinite(norm):
        return f"‖∇f‖ overflowed {at}"
    return f"‖∇f‖ = {norm:.3g} passed {BOUND:g} {at}"


def stop_reason(status: str, norm: float, settings: Settings, t: int) -> str:
    if status == CONVERGED:
        return f"‖∇f‖ = {norm:.3g} ≤ tol = {settings.tol:g}"
    if status == INTERRUPTED:
        return f"interrupted {where(t)}"
    if settings.tol == 0:
        return f"ran all {t} steps (tol 0 never stops early)"
    return f"‖∇f‖ = {norm:.3g} > tol = {settings.tol:g} after {t} steps"


def never_started(plan: RunPlan) -> Final:
    """A run interrupted before its start was even evaluated."""
    nan = math.nan
    n = len(plan.start)
    reason = "interrupted before the start was evaluated"
    start = tuple(map(float, plan.start))
    record = StepRecord(plan.run, 0, start, nan, (nan,) * n, nan, 0.0, None, INTERRUPTED, reason)
    return Final(INTERRUPTED, reason, 0, record, 0, 0, nan, nan)


def columns_of(records: list[StepRecord], n: int, line_search: bool) -> dict[str, Array]:
    """A run's recorded rows as the arrays of a :class:`DescentRun`."""
    columns = {
        "steps": np.array([r.step for r in records], dtype=np.int64),
        "path": np.array([r.point for r in records], dtype=float).reshape(-1, n),
        "values": np.array([r.value for r in records], dtype=float),
        "gradients": np.array([r.gradient for r in records], dtype=float).reshape(-1, n),
        "norms": np.array([r.norm for r in records], dtype=float),
        "step_sizes": np.array([r.step_size for r in records], dtype=float),
    }
    if line_search:
        columns["line_steps"] = np.array(
            [math.nan if r.line_step is None else r.line_step for r in records], dtype=float
        )
    return columns


def make_run(plan: RunPlan, final: Final, columns: dict[str, Array]) -> DescentRun:
    return DescentRun(
        plan.run,
        plan.settings,
        plan.start,
        final.status,
        final.reason,
        final.iterations,
        columns["steps"],
        columns["path"],
        columns["values"],
        columns["gradients"],
        columns["norms"],
        columns["step_sizes"],
        [],
        columns.get("line_steps") if plan.settings.line_search else None,
        None,
        None,
        final.rises,
        final.reversals,
        final.peak_norm,
        final.start_norm,
    )
