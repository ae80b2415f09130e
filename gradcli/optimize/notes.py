"""What a run's numbers mean: end-point classification and notes on the phenomena the lessons name.

Overshooting (f rises, the gradient reverses), exploding gradients, vanishing progress and slow
convergence are read from statistics the engine gathers at every step (so they are right even when
only the final state was recorded); a converged run's end point is classified from the Hessian.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.numeric import classify_many

if TYPE_CHECKING:
    from gradcli.numeric import Compiled
    from gradcli.optimize.runs import DescentRun

Array = np.ndarray[Any, Any]

EXPLODING_FACTOR = 1e3  # ‖∇f‖ growing by this factor over its start value counts as exploding
VANISHING_STEP = 1e-6  # a last step shorter than this (relative to max(1, ‖x‖)) is "no progress"
FLAT_GRADIENT = 1e-3  # below this ‖∇f‖, a non-converged run is on a plateau, not just slowed by lr
ZIGZAG_SHARE = 0.2  # reversals at this share of the steps (and at least 3) make a zig-zag note
OVERSHOOT_SHARE = 0.2  # f rising at this share of the steps is systematic overshooting  # reversals at this share of the steps (and at least 3) make a zig-zag note


def _eigenvalues(compiled: Compiled, points: Array) -> Array:
    with np.errstate(all="ignore"):
        hessians = compiled.hessian(points)
    out = np.full(points.shape, math.nan)
    finite = np.all(np.isfinite(hessians), axis=(1, 2))
    if finite.any():
        out[finite] = np.linalg.eigvalsh(hessians[finite])
    return out


def annotate(runs: Sequence[DescentRun], compiled: Compiled, *, phenomena: bool = True) -> None:
    """Fill each run's ``classification``, ``eigenvalues`` (converged runs) and ``notes``.

    ``phenomena=False``: the runs carry no step statistics, so only the end-point notes are made.
    """
    converged = [r for r in runs if r.status == "converged"]
    if converged:
        values = _eigenvalues(compiled, np.array([r.path[-1] for r in converged]))
        for run, ev, kind in zip(converged, values, classify_many(values)):
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
        run.notes = notes_for(run, curvature.get(run.index), phenomena=phenomena)


def notes_for(
    run: DescentRun, start_curvature: float | None = None, *, phenomena: bool = True
) -> list[str]:
    """Plain-language notes for one run (empty when nothing deserves a remark)."""
    notes: list[str] = []
    if not phenomena:
        return _endpoint_notes(run)
    if (
        not run.rises
        and run.reversals < 3
        and run.status == "converged"
        and run.classification == ("maximum" if run.settings.ascent else "minimum")
        and run.peak_norm <= EXPLODING_FACTOR * run.start_norm
    ):
        return notes  # the common, uneventful case: decided without building any text
    steps = run.iterations
    rose = "fell" if run.settings.ascent else "rose"
    if run.rises:
        frequent = run.rises >= OVERSHOOT_SHARE * steps
        text = f"overshooting: f {rose} at {run.rises} of {steps} steps"
        if run.reversals:
            text += f" and ∇f reversed direction at {run.reversals}"
        if frequent:
            text += " — the steps jump across the valley instead of down it"
        else:
            text += " — an occasional overshoot, which momentum and adaptive steps make near curves"
        if start_curvature is not None and start_curvature > 0:
            limit = 2 / start_curvature
            text += (
                f"; plain gd is stable only for lr < 2/λmax = {limit:.3g} "
                f"(λmax = {start_curvature:.3g}, the largest Hessian eigenvalue at the start)"
            )
        elif run.status == "diverged":
            text += "; try a smaller --lr"
        notes.append(text)
    elif run.reversals >= 3 and run.reversals >= ZIGZAG_SHARE * steps:
        notes.append(
            f"zig-zag: ∇f reversed direction at {run.reversals} of {steps} steps — each step "
            f"overshoots the valley floor, though f still {'rose' if run.settings.ascent else 'fell'}"
        )
    if run.start_norm > 0 and not run.peak_norm <= EXPLODING_FACTOR * run.start_norm:
        notes.append(
            f"exploding gradients: ‖∇f‖ grew from {run.start_norm:.3g} at the start "
            f"to {_num(run.peak_norm)}"
        )
    if run.status == "diverged" and not run.rises:
        notes.append(f"diverged ({run.reason}); try a smaller --lr")
    if run.status == "max_steps":
        notes.extend(_progress_notes(run))
    return notes + _endpoint_notes(run)


def _endpoint_notes(run: DescentRun) -> list[str]:
    notes = []
    if run.classification == "saddle":
        notes.append(
            "converged to a saddle point: ∇f = 0 there, but it is not a minimum — "
            "a small nudge would let the descent continue"
        )
    elif run.classification == "degenerate":
        notes.append(
            "converged to a degenerate stationary point: the Hessian has a zero eigenvalue, "
            "so second derivatives cannot tell minimum from saddle"
        )
    elif run.classification == ("minimum" if run.settings.ascent else "maximum"):
        notes.append(
            f"converged to a {run.classification}, not the kind of point it was looking for"
        )
    return notes


def _progress_notes(run: DescentRun) -> list[str]:
    notes = []
    norm, last = run.final_norm, float(run.step_sizes[-1])
    scale = max(1.0, math.hypot(*run.path[-1].tolist()))
    if run.iterations and last <= VANISHING_STEP * scale:
        why = (
            "the function is nearly flat here (a plateau), yet this is not a stationary point"
            if norm < FLAT_GRADIENT
            else f"lr·‖∇f‖ is tiny: lr = {run.lr:g} is too small for this function"
        )
        notes.append(
            f"vanishing progress: the last step moved x by only {last:.2g} while "
            f"‖∇f‖ = {norm:.3g} is still above tol — {why}"
        )
    tol = run.settings.tol
    if tol > 0 and run.iterations and 0 < norm < run.start_norm:
        rate = (norm / run.start_norm) ** (1 / run.iterations)
        if 0 < rate < 1:
            more = math.log(tol / norm) / math.log(rate)
            if more < 1e12:
                notes.append(
                    f"slow: ‖∇f‖ fell from {run.start_norm:.3g} to {norm:.3g} in {run.iterations} "
                    f"steps; at that rate it reaches tol after about {_count(more)} more "
                    f"(raise --steps or --lr)"
                )
    return notes


def _num(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "∞ (overflow)"


def _count(value: float) -> str:
    return f"{math.ceil(value):,}" if value < 1e6 else f"{value:.2g}"
