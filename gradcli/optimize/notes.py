"""What a run's numbers mean: end-point classification and notes on the phenomena the lessons name.

Overshooting (f rises, the gradient reverses), exploding gradients, vanishing progress and slow
convergence are read from statistics the engine gathers at every step (so they are right even when
only the final state was recorded); a converged run's end point is classified from the Hessian.
A note is a fact (a :data:`~.runs.Note`: one small NamedTuple per kind, with its numbers);
:mod:`gradcli.views.notes` words it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.numeric import classify_points
from gradcli.optimize.runs import (
    Diverged,
    EndPoint,
    Exploding,
    Note,
    Overshooting,
    Slow,
    Vanishing,
    ZigZag,
)

if TYPE_CHECKING:
    from gradcli.numeric import Compiled
    from gradcli.optimize.runs import DescentRun

Array = np.ndarray[Any, Any]

EXPLODING_FACTOR = 1e3  # ‖∇f‖ growing by this factor over its start value counts as exploding
VANISHING_STEP = 1e-6  # a last step shorter than this (relative to max(1, ‖x‖)) is "no progress"
FLAT_GRADIENT = 1e-3  # below this ‖∇f‖, a non-converged run is on a plateau, not just slowed by lr
ZIGZAG_SHARE = 0.2  # reversals at this share of the steps (and at least 3) make a zig-zag note
OVERSHOOT_SHARE = 0.2  # f rising at this share of the steps is systematic overshooting


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
    if converged:
        ends = np.array([r.path[-1] for r in converged])
        values = _eigenvalues(compiled, ends)
        # At a kink the Hessian says nothing: classify_points compares f around the end instead.
        for run, ev, kind in zip(converged, values, classify_points(compiled, ends, values)):
            run.eigenvalues = ev
            run.classification = kind
    # gd's stability limit needs the curvature at the start, only for runs that overshot
    overshooting = [
        r for r in runs if r.rises and r.settings.method == "gd" and not r.settings.line_search
    ]
    curvature: dict[int, float] = {}
    if overshooting:
        starts = _eigenvalues(compiled, np.array([r.start for r in overshooting]))
        for run, ev in zip(overshooting, starts):
            if np.all(np.isfinite(ev)):
                curvature[run.index] = float(np.max(ev))
    for run in runs:
        run.findings = notes_for(run, curvature.get(run.index), phenomena=phenomena)


def notes_for(
    run: DescentRun, start_curvature: float | None = None, *, phenomena: bool = True
) -> list[Note]:
    """What deserves a remark about one run, as facts (empty when nothing does); the words are
    :mod:`gradcli.views.notes`'."""
    notes: list[Note] = []
    if not phenomena:
        return _endpoint_notes(run)
    if (
        not run.rises
        and run.reversals < 3
        and run.status == "converged"
        and run.classification == ("maximum" if run.settings.ascent else "minimum")
        and run.peak_norm <= EXPLODING_FACTOR * run.start_norm
    ):
        return notes  # the common, uneventful case
    steps, ascent = run.iterations, run.settings.ascent
    if run.rises:
        notes.append(
            Overshooting(
                run.rises,
                steps,
                run.reversals,
                run.rises >= OVERSHOOT_SHARE * steps,
                ascent,
                start_curvature if start_curvature is not None and start_curvature > 0 else None,
                run.status == "diverged",
            )
        )
    elif run.reversals >= 3 and run.reversals >= ZIGZAG_SHARE * steps:
        notes.append(ZigZag(run.reversals, steps, ascent))
    if run.start_norm > 0 and not run.peak_norm <= EXPLODING_FACTOR * run.start_norm:
        notes.append(Exploding(run.start_norm, run.peak_norm))
    if run.status == "diverged" and not run.rises:
        notes.append(Diverged(run.reason))
    if run.status == "max_steps":
        notes.extend(_progress_notes(run))
    return notes + _endpoint_notes(run)


def _endpoint_notes(run: DescentRun) -> list[Note]:
    kind = run.classification
    wrong = "minimum" if run.settings.ascent else "maximum"
    if kind in ("saddle", "degenerate") or (kind is not None and kind == wrong):
        return [EndPoint(kind, wrong=kind == wrong)]
    return []


def _progress_notes(run: DescentRun) -> list[Note]:
    notes: list[Note] = []
    norm, last = run.final_norm, float(run.step_sizes[-1])
    scale = max(1.0, math.hypot(*run.path[-1].tolist()))
    if run.iterations and last <= VANISHING_STEP * scale:
        notes.append(Vanishing(last, norm, norm < FLAT_GRADIENT, run.lr))
    tol = run.settings.tol
    if tol > 0 and run.iterations and 0 < norm < run.start_norm:
        rate = (norm / run.start_norm) ** (1 / run.iterations)
        if 0 < rate < 1:
            more = math.log(tol / norm) / math.log(rate)
            if more < 1e12:
                notes.append(Slow(run.start_norm, norm, run.iterations, more))
    return notes
