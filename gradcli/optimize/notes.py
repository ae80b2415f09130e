"""What a run's numbers mean: end-point classification and notes on the phenomena the lessons name.

Overshooting (f rises, the gradient reverses), oscillation, exploding gradients, vanishing
gradients and slow convergence are read from statistics the engine gathers at every step (so they
are right even when only the final state was recorded); a converged run's end point is classified
from the Hessian — unless gradient and curvature are both tiny and f is far better a short way
along −∇f: that is a plateau, never a saddle. A stalled run is probed for a kink it bounces across
and for a saturated sigmoid. Every fact is checked against the run's own numbers before it is
claimed. A note is a fact (a :data:`~.runs.Note`: one small NamedTuple per kind, with its
numbers); :mod:`gradcli.views.notes` words it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from gradcli.numeric import classify_points
from gradcli.optimize.runs import (
    Clipped,
    Decayed,
    Diverged,
    EndPoint,
    Exploding,
    Kink,
    Noisy,
    Note,
    Overshooting,
    Plateau,
    Slow,
    Vanishing,
    ZigZag,
)
from gradcli.symbolic import MAX_HESSIAN_VARIABLES

if TYPE_CHECKING:
    from gradcli.numeric import Compiled
    from gradcli.optimize.runs import DescentRun

Array = np.ndarray[Any, Any]

EXPLODING_FACTOR = 1e3  # ‖∇f‖ growing by this factor over its start value counts as exploding
VANISHING_STEP = 1e-6  # a last step shorter than this (relative to max(1, ‖x‖)) is "no progress"
FLAT_GRADIENT = 1e-3  # below this ‖∇f‖ the gradient has vanished: a plateau, not a too-small lr
FLAT_CURVATURE = 1e-3  # all |Hessian eigenvalues| below this: no curvature to speak of either
FLAT_CHANGE = 1e-3  # f changing by less than this (× max(1, |f|)) over a whole run: it stalled
PLATEAU_DROP = 1e-2  # f better by this (× max(1, |f|)) a short way along −∇f: not a bottom
PLATEAU_RADII = (0.25, 0.5, 1.0, 2.0, 4.0)  # × max(1, ‖x‖): where f is probed along −∇f
SATURATED = 4.0  # a sigmoid whose argument is beyond ±this has slope < 0.018: saturated
ZIGZAG_SHARE = 0.2  # reversals at this share of the steps (and at least 3) make a zig-zag note
OVERSHOOT_SHARE = 0.2  # f rising at this share of the steps is systematic overshooting
PROBE_CHUNK = 4096  # runs probed for a plateau at once (bounds the probe arrays' memory) ...
PROBE_ELEMENTS = 1 << 20  # ... and at most this many coordinates per probe array (n large)
KINK_PROBES = 10_000  # runs checked for a kink (one vectorised call each): beyond, no kink note
KINK_AXES = 32  # axes a kink is looked for along (those of the largest |∂f/∂x_i|), besides ∇f
KINK_ELEMENTS = 20_000_000  # coordinates sampled by all the kink probes together: beyond, no note
UNCLASSIFIED = "unclassified"  # a converged run's end point when f has too many variables
CLIP_PROBES = 12  # clipped runs rerun without clipping to say whether they would diverge
STEADY_RATE = 0.05  # recent rates per step differing by more than this (in log) are "changing"
# ‖∇f‖ changing by less than this factor a step (either way) while ∇f turns at most steps: the
# run bounces without converging or diverging — gd at lr = 2/λmax (halving ‖∇f‖ would take 138+)
STALLED_RATE = 0.995


class Seen(NamedTuple):
    """What :func:`annotate` measured about a run beyond its own statistics."""

    start_value: float = math.nan
    start_curvature: float | None = None  # λmax at the start (plain gd runs that overshot)
    lower: tuple[float, float] | None = None  # (f, distance) found along −∇f from a flat end
    kink: bool = False  # the run bounces across a kink of f
    saturated: tuple[float, float, int] | None = None  # a saturated sigmoid at the end


def hessian_bounded(compiled: Compiled) -> bool:
    """Whether end points are classified: forming the Hessian is n² symbolic derivatives, then
    lambdified (500 variables: 250,000 of each, about half a minute and half a gigabyte). Beyond
    MAX_HESSIAN_VARIABLES — as grad does — an end point is "unclassified", with a note saying why,
    and nothing else that needs the Hessian is computed (λmax at the start, the plateau test)."""
    return compiled.n <= MAX_HESSIAN_VARIABLES


def _eigenvalues(compiled: Compiled, points: Array) -> Array:
    with np.errstate(all="ignore"):
        hessians = compiled.hessian(points)
    out = np.full(points.shape, math.nan)
    finite = np.all(np.isfinite(hessians), axis=(1, 2))
    if finite.any():
        out[finite] = np.linalg.eigvalsh(hessians[finite])
    return out


def annotate(runs: Sequence[DescentRun], compiled: Compiled, *, phenomena: bool = True) -> None:
    """Fill each run's ``classification``, ``eigenvalues`` (converged runs) and ``findings``.

    ``phenomena=False``: the runs carry no step statistics, so only the end-point notes are made.
    """
    converged = [r for r in runs if r.status == "converged"]
    if converged and not hessian_bounded(compiled):
        for run in converged:
            run.classification = UNCLASSIFIED
    elif converged:
        ends = np.array([r.path[-1] for r in converged])
        values = _eigenvalues(compiled, ends)
        # At a kink the Hessian says nothing: classify_points compares f around the end instead.
        for run, ev, kind in zip(converged, values, classify_points(compiled, ends, values)):
            run.eigenvalues = ev
            run.classification = kind
    seen = {r.index: Seen() for r in runs}
    # a plateau needs no step statistics: never call one a saddle, whatever was gathered
    flat = [r for r in runs if r.status == "converged" and _flat(r.eigenvalues)]
    for index, lower in _lower_along(compiled, flat).items():
        seen[index] = seen[index]._replace(lower=lower)
    for run in flat:
        if seen[run.index].lower is not None:
            run.classification = "plateau"  # the Hessian's signs there are noise, not a saddle
    if not phenomena:
        for run in runs:
            s = seen[run.index]
            run.findings = notes_for(run, s) if s.lower is not None else _endpoint_notes(run)
        return
    if runs:
        with np.errstate(all="ignore"):
            f0 = compiled.value(np.array([r.start for r in runs], dtype=float))
        for run, v in zip(runs, f0.tolist()):
            seen[run.index] = seen[run.index]._replace(start_value=float(v))
    # gd's stability limit needs the curvature at the start, only for runs that overshot
    bouncing = [
        r
        for r in runs
        if (r.rises or r.reversals >= 3)
        and r.settings.method == "gd"
        and not r.settings.line_search
        and r.settings.knobs is None  # clipped, noisy or scheduled: lr·λmax says nothing alone
    ]
    if bouncing and hessian_bounded(compiled):
        starts = _eigenvalues(compiled, np.array([r.start for r in bouncing]))
        for run, ev in zip(bouncing, starts):
            if np.all(np.isfinite(ev)) and float(np.max(ev)) > 0:
                seen[run.index] = seen[run.index]._replace(start_curvature=float(np.max(ev)))
    kinky = compiled.kinky
    stalled = [r for r in runs if r.status == "max_steps" and len(r.path)]
    bouncy = [r for r in stalled if kinky and r.reversals >= ZIGZAG_SHARE * r.iterations]
    kinks = _at_kink(compiled, bouncy)
    # runs whose gradient vanished: is it a plateau, is a sigmoid saturated?
    vanished = [r for r in stalled if r.index not in kinks and r.peak_norm <= FLAT_GRADIENT]
    for index in kinks:
        seen[index] = seen[index]._replace(kink=True)
    for index, lower in _lower_along(compiled, vanished).items():
        seen[index] = seen[index]._replace(lower=lower)
    for index, found in _saturation(compiled, vanished).items():
        seen[index] = seen[index]._replace(saturated=found)
    for run in runs:
        run.findings = notes_for(run, seen[run.index])
    _add_clipping(runs, compiled)


def _add_clipping(runs: Sequence[DescentRun], compiled: Compiled) -> None:
    """A note on each run whose gradient clipping was active; for the first CLIP_PROBES of them,
    whether the same run diverges without it (rerun for as many steps, the same noise)."""
    clipped = [r for r in runs if r.clipped]
    for k, run in enumerate(clipped):
        assert run.clipped is not None
        s = run.settings
        without = _diverges_without_clipping(compiled, run) if k < CLIP_PROBES else None
        run.findings.append(
            Clipped(run.clipped, run.iterations, s.clip_norm, s.clip_value, without)
        )


def _diverges_without_clipping(compiled: Compiled, run: DescentRun) -> str | None:
    """How ``run`` diverges with its clipping off and at most its own steps (None: it does not)."""
    from dataclasses import replace

    from gradcli.optimize.lane import LaneContext
    from gradcli.optimize.runs import RunPlan
    from gradcli.optimize.scalar import ScalarLane

    settings = replace(run.settings, clip_norm=None, clip_value=None, steps=run.iterations)
    context = LaneContext(compiled.both, None, compiled.n, "final", 1, True, False, False)
    lane = ScalarLane(context, RunPlan(0, run.start, settings))
    for _ in lane:
        pass
    final = lane.final(0)
    return final.reason if final.status == "diverged" else None


def notes_for(run: DescentRun, seen: Seen | None = None, *, phenomena: bool = True) -> list[Note]:
    """What deserves a remark about one run, as facts (empty when nothing does); the words are
    :mod:`gradcli.views.notes`'. Every fact is checked against the run's own numbers."""
    seen = seen if seen is not None else Seen()
    if not phenomena:
        return _endpoint_notes(run)
    steps, ascent = run.iterations, run.settings.ascent
    if run.status == "converged" and seen.lower is not None:
        assert run.eigenvalues is not None
        lower, distance = seen.lower
        flatness = float(np.max(np.abs(run.eigenvalues)))
        # a plateau, not a saddle: the Hessian's signs there are noise on a flat region
        return [
            Plateau(
                steps,
                run.final_norm,
                flatness,
                run.final_value,
                lower,
                distance,
                run.settings.tol,
                ascent,
            )
        ]
    notes: list[Note] = []
    # ∇f turning is what a line-searched step does in a curved valley, not a too-large lr: the
    # zig-zag note and the lr advice of the progress notes are the first-order methods'
    lr_driven = run.settings.uses_lr
    if (
        not run.rises
        and (run.reversals < 3 or not lr_driven)
        and run.status == "converged"
        and run.classification == ("maximum" if ascent else "minimum")
        and run.peak_norm <= EXPLODING_FACTOR * max(1.0, run.start_norm)
    ):
        return notes  # the common, uneventful case
    gd = run.settings.method == "gd" and not run.settings.line_search
    curvature = seen.start_curvature if gd else None
    if seen.kink:
        notes.append(Kink(run.final_norm, steps, run.lr))
        return notes + _endpoint_notes(run)  # the bounce is the kink's, not lr's or the curvature's
    noisy = run.settings.noise > 0  # f rises and ∇f turns with the noise: no overshoot to read
    if run.rises and not noisy:
        # the stability limit 2/λmax is the reason only where lr passes it and the run failed
        unstable = curvature is not None and run.lr * curvature >= 2 and run.status != "converged"
        notes.append(
            Overshooting(
                run.rises,
                steps,
                run.reversals,
                run.rises >= OVERSHOOT_SHARE * steps,
                ascent,
                curvature if unstable else None,
                run.status == "diverged",
                run.settings.method in ("momentum", "nesterov", "adam"),
            )
        )
    elif lr_driven and not noisy and run.reversals >= 3 and run.reversals >= ZIGZAG_SHARE * steps:
        sign = -1.0 if ascent else 1.0
        improved = sign * run.final_value < sign * seen.start_value
        stalled = _stalled(run)
        # the stability limit is named only where lr is past it (at the start), or at it
        limit_passed = curvature is not None and (run.lr * curvature >= 2 or stalled is not None)
        notes.append(
            ZigZag(
                run.reversals,
                steps,
                ascent,
                improved,
                seen.start_value,
                run.final_value,
                curvature if limit_passed else None,
                run.lr,
                stalled,
            )
        )
    # growth alone is not explosion: leaving a plateau (1e-7 → 0.9) is the lesson going right
    if run.start_norm > 0 and not run.peak_norm <= EXPLODING_FACTOR * max(1.0, run.start_norm):
        notes.append(Exploding(run.start_norm, run.peak_norm))
    if run.status == "diverged" and not run.rises and lr_driven:
        notes.append(Diverged(run.reason))
    if run.status == "max_steps" and lr_driven and (noisy or run.settings.weight_decay):
        # ‖∇f‖ cannot reach tol: the noise keeps it up, weight decay moves the goal
        notes.extend(_knob_notes(run))
    elif run.status == "max_steps" and lr_driven:
        progress = _progress_notes(run, seen, gd)
        zigzag = next((n for n in notes if isinstance(n, ZigZag)), None)
        if (zigzag is not None and (not zigzag.improved or zigzag.stalled is not None)) or any(
            isinstance(n, Overshooting) and n.frequent for n in notes
        ):
            # a run that bounces is not slow: "raise --lr" would make it worse
            progress = [n for n in progress if not isinstance(n, Slow)]
        elif zigzag is not None and curvature is not None and run.lr * curvature >= 1:
            # it converges, zig-zagging: more lr bounces harder, and past 2/λmax diverges
            progress = [
                n._replace(limit=2 / curvature) if isinstance(n, Slow) else n for n in progress
            ]
        notes.extend(progress)
    return notes + _endpoint_notes(run)


def _knob_notes(run: DescentRun) -> list[Note]:
    """Why a noisy or weight-decayed run did not meet tol, instead of the progress notes (which
    assume ‖∇f‖ can reach 0)."""
    s = run.settings
    if s.noise > 0:
        return [Noisy(s.noise, run.final_norm, run.iterations, s.tol, s.schedule is not None)]
    balance = None
    if s.method != "adamw":  # L2: the run seeks ∇f + wd·x = 0
        balance = float(np.linalg.norm(run.final_gradient + s.weight_decay * run.final_point))
    return [Decayed(s.weight_decay, run.final_norm, balance, s.tol)]


def _endpoint_notes(run: DescentRun) -> list[Note]:
    kind = run.classification
    if kind == UNCLASSIFIED:
        return [EndPoint(kind, wrong=False, variables=len(run.final_point))]
    wrong = "minimum" if run.settings.ascent else "maximum"
    if kind in ("saddle", "degenerate") or (kind is not None and kind == wrong):
        return [EndPoint(kind, wrong=kind == wrong)]
    return []


def _progress_notes(run: DescentRun, seen: Seen, gd: bool) -> list[Note]:
    norm, last = run.final_norm, float(run.step_sizes[-1])
    scale = max(1.0, math.hypot(*run.path[-1].tolist()))
    f0, f1 = seen.start_value, run.final_value
    stalled = abs(f1 - f0) <= FLAT_CHANGE * max(1.0, abs(f0))
    if run.iterations and run.peak_norm <= FLAT_GRADIENT and stalled:
        lower, distance = seen.lower if seen.lower is not None else (None, None)
        vanished = Vanishing(
            last, norm, True, run.lr, run.iterations, run.peak_norm, f0, f1, lower, distance
        )
        return [vanished._replace(saturated=seen.saturated, ascent=run.settings.ascent)]
    notes: list[Note] = []
    if gd and run.iterations and last <= VANISHING_STEP * scale and norm > FLAT_GRADIENT:
        # plain gd moves lr·‖∇f‖: with ‖∇f‖ not small, a tiny step means a tiny lr
        notes.append(Vanishing(last, norm, False, run.lr, run.iterations))
    tol = run.settings.tol
    if tol > 0 and run.iterations and 0 < norm < run.start_norm:
        more, rate, slowing = _recent_rate(run, tol)
        notes.append(Slow(run.start_norm, norm, run.iterations, more, rate, slowing))
    return notes


def _stalled(run: DescentRun) -> float | None:
    """‖∇f‖'s recent factor per step where a run that ran out of steps, ∇f turning at half its
    steps or more, neither converges nor diverges (the factor within STALLED_RATE of 1)."""
    if run.status != "max_steps" or run.reversals < max(3, run.iterations / 2):
        return None
    # over the last quarter to half of the run (from the one before the last of the steps
    # t = 1, 2, 4, ... the engine logs), so the same whatever rows were kept
    t_end, end = run.iterations, run.final_norm
    marks = [(t, n) for t, n in run.marks if t < t_end and math.isfinite(n) and n > 0]
    if not marks or not (math.isfinite(end) and end > 0):
        return None
    t, n = marks[-2] if len(marks) > 1 else marks[-1]
    rate = math.exp(math.log(end / n) / (t_end - t))
    return rate if STALLED_RATE <= rate <= 1 / STALLED_RATE else None


def _recent_rate(run: DescentRun, tol: float) -> tuple[float | None, float | None, bool]:
    """(steps to tol at the rate ‖∇f‖ fell recently, that rate per step, whether it is slowing).

    The engine logs ‖∇f‖ at the steps 1, 2, 4, 8, ... (whatever rows are kept, so the note is the
    same for a table, a summary or a stream): with m the last such step before the end T and m/2
    the one before it, the recent rate is the fall over [m/2, T] — the last half to three quarters
    of the run — and it is compared with the fall over [m/2, m] and over the whole run. The steps
    are None when the recent rate is no fall or it sped up (then no number would be honest); a
    slowing rate still gives its number, as a lower bound."""
    t_end, end = run.iterations, run.final_norm
    marks = [(t, n) for t, n in run.marks if t < t_end and math.isfinite(n) and n > 0]
    if len(marks) < 2 or not end > 0:
        return None, None, False
    (ta, na), (tb, nb) = marks[-2], marks[-1]
    slope = math.log(end / na) / (t_end - ta)  # log rate per step
    a = math.log(nb / na) / (tb - ta)
    b = math.log(end / nb) / (t_end - tb)
    slowing = False
    if abs(a - b) > STEADY_RATE * max(abs(a), abs(b)):
        if not (a < b < 0):  # not a fall that is slowing: speeding up, or no fall at all
            return None, math.exp(b), False
        slowing, slope = True, b
    if not slope < 0:
        return None, None, False
    # ... and against the whole run so far: a run that fell faster before is decelerating, and
    # may slow further (Rosenbrock's valley), so its number is only a lower bound
    whole = math.log(end / run.start_norm) / t_end if run.start_norm > 0 else slope
    if whole < slope and abs(whole - slope) > STEADY_RATE * abs(whole):
        slowing = True
    more = math.log(tol / end) / slope
    return (more if more < 1e12 else None), math.exp(slope), slowing


def _flat(eigenvalues: Array | None) -> bool:
    return (
        eigenvalues is not None
        and bool(np.all(np.isfinite(eigenvalues)))
        and float(np.max(np.abs(eigenvalues))) <= FLAT_CURVATURE
    )


def _lower_along(compiled: Compiled, runs: Sequence[DescentRun]) -> dict[int, tuple[float, float]]:
    """Per run index, (f, distance): a much better f along −∇f (+∇f in ascent) from the run's
    end, within a few max(1, ‖x‖), where ∇f stays flat on the first stretch — f is far from its
    values nearby, so the end is on a plateau, not at a stationary point. Runs without such a
    value (a true flat bottom, or a degenerate stationary point whose gradient grows right away)
    are left out. All the runs are probed together, in chunks."""
    found: dict[int, tuple[float, float]] = {}
    n = len(runs[0].path[-1]) if runs else 1
    per_chunk = max(1, min(PROBE_CHUNK, PROBE_ELEMENTS // (len(PLATEAU_RADII) * n)))
    for first in range(0, len(runs), per_chunk):
        chunk = runs[first : first + per_chunk]
        x = np.array([r.path[-1] for r in chunk], dtype=float).reshape(len(chunk), -1)
        g = np.array([r.gradients[-1] for r in chunk], dtype=float).reshape(x.shape)
        sign = np.array([-1.0 if r.settings.ascent else 1.0 for r in chunk])
        f = np.array([r.final_value for r in chunk])
        with np.errstate(all="ignore"):
            size = np.linalg.norm(g, axis=1)
            d = -sign[:, None] * g / size[:, None]
            scale = np.maximum(1.0, np.linalg.norm(x, axis=1))
            radii = np.array(PLATEAU_RADII)[None, :] * scale[:, None]  # (R, k)
            near = np.linalg.norm(compiled.gradient(x + 0.1 * scale[:, None] * d), axis=1)
            values = compiled.value(x[:, None, :] + radii[:, :, None] * d[:, None, :])  # (R, k)
            gains = sign[:, None] * (f[:, None] - values)
            good = np.isfinite(gains) & (gains > PLATEAU_DROP * np.maximum(1.0, np.abs(f))[:, None])
        # the gradient growing at once means a genuine (degenerate) stationary point
        usable = (size > 0) & np.isfinite(size) & (near <= FLAT_GRADIENT) & good.any(axis=1)
        for i in np.flatnonzero(usable).tolist():
            k = int(np.argmax(good[i]))
            found[chunk[i].index] = (float(values[i, k]), float(radii[i, k]))
    return found


def _at_kink(compiled: Compiled, runs: Sequence[DescentRun]) -> set[int]:
    """The indices of the runs whose ∇f jumps within a step or two of the end (along ∇f and each
    axis): a kink of f that the run keeps hopping across. A jump: ∇f changes between neighbouring
    samples (1/128 of the reach apart) by a tenth of ‖∇f‖ or more, and by far more than between
    the other neighbours — a smooth ∇f changes little and evenly over so short a stretch."""
    found: set[int] = set()
    s = np.linspace(-1.0, 1.0, 129)
    # (lines, 129, n) samples per run: with n in the hundreds, all n axes for every run would
    # take gigabytes and minutes, so only KINK_AXES of them, and runs up to a total budget
    budget = KINK_ELEMENTS
    for run in runs[:KINK_PROBES]:
        x, g = run.path[-1].astype(float), run.gradients[-1].astype(float)
        size = float(np.linalg.norm(g))
        # adaptive methods step about lr whatever ‖∇f‖ is; plain gd lr·‖∇f‖: reach past both
        reach = 2 * max(float(run.step_sizes[-1]), run.lr * max(1.0, size))
        if not (size > 0 and math.isfinite(reach) and reach > 0):
            continue
        n = len(x)
        axes = np.eye(n) if n <= KINK_AXES else np.eye(n)[np.argsort(-np.abs(g))[:KINK_AXES]]
        budget -= (len(axes) + 1) * len(s) * n
        if budget < 0:
            break
        lines = np.vstack([g / size, axes])  # (k+1, n)
        points = x + reach * s[None, :, None] * lines[:, None, :]  # (n+1, 129, n)
        with np.errstate(all="ignore"):
            grads = compiled.gradient(points)
            changes = np.linalg.norm(np.diff(grads, axis=1), axis=2)  # (n+1, 128)
            biggest = np.max(changes, axis=1)
            jump = (biggest >= 0.1 * size) & (biggest > 20 * np.median(changes, axis=1))
        if np.any(jump & np.all(np.isfinite(changes), axis=1)):
            found.add(run.index)
    return found


def _saturation(
    compiled: Compiled, runs: Sequence[DescentRun]
) -> dict[int, tuple[float, float, int]]:
    """Per run index: (argument, slope, how many sigmoids) for the most saturated sigmoid
    1/(1 + e^(−u)) of f at the run's end, when one is saturated (|u| > SATURATED) — why the
    gradient vanished. The arguments are evaluated for all the runs at once."""
    sigmoids = compiled.sigmoids if runs else None
    if sigmoids is None:
        return {}
    count, arguments = sigmoids
    ends = np.array([r.path[-1] for r in runs], dtype=float).reshape(len(runs), -1)
    with np.errstate(all="ignore"):
        parts = arguments(*ends.T)
    u = np.empty((len(runs), count))
    for i, part in enumerate(parts):
        u[:, i] = np.real(part)
    found: dict[int, tuple[float, float, int]] = {}
    for run, row in zip(runs, u):
        finite = np.where(np.isfinite(row), np.abs(row), -1.0)
        k = int(np.argmax(finite))
        value = float(row[k])
        if finite[k] > SATURATED:
            sig = 1 / (1 + math.exp(-value)) if value > -700 else 0.0
            found[run.index] = (value, sig * (1 - sig), count)
    return found
