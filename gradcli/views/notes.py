"""The words of a descent's notes: each fact :mod:`gradcli.optimize.notes` finds, as a sentence.

The analysis (what happened, with its numbers) is the core's; how it reads — and how its numbers
become text — is decided here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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
    from gradcli.optimize.runs import DescentRun


def note_text(note: Note) -> str:
    """One note as the sentence tables and JSON show."""
    if isinstance(note, Overshooting):
        text = f"overshooting: f {'fell' if note.ascent else 'rose'} at {note.rises} of {note.steps} steps"
        if note.reversals:
            text += f" and ∇f reversed direction at {note.reversals}"
        if note.frequent:
            text += " — the steps jump across the valley instead of down it"
        else:
            text += " — an occasional overshoot, which momentum and adaptive steps make near curves"
        if note.start_curvature is not None:
            limit = 2 / note.start_curvature
            text += (
                f"; plain gd is stable only for lr < 2/λmax = {limit:.3g} "
                f"(λmax = {note.start_curvature:.3g}, the largest Hessian eigenvalue at the start)"
            )
        elif note.diverged:
            text += "; try a smaller --lr"
        return text
    if isinstance(note, ZigZag):
        return (
            f"zig-zag: ∇f reversed direction at {note.reversals} of {note.steps} steps — each step "
            f"overshoots the valley floor, though f still {'rose' if note.ascent else 'fell'}"
        )
    if isinstance(note, Exploding):
        return (
            f"exploding gradients: ‖∇f‖ grew from {note.start_norm:.3g} at the start "
            f"to {_num(note.peak_norm)}"
        )
    if isinstance(note, Diverged):
        return f"diverged ({note.reason}); try a smaller --lr"
    if isinstance(note, Vanishing):
        why = (
            "the function is nearly flat here (a plateau), yet this is not a stationary point"
            if note.plateau
            else f"lr·‖∇f‖ is tiny: lr = {note.lr:g} is too small for this function"
        )
        return (
            f"vanishing progress: the last step moved x by only {note.last_step:.2g} while "
            f"‖∇f‖ = {note.norm:.3g} is still above tol — {why}"
        )
    if isinstance(note, Slow):
        return (
            f"slow: ‖∇f‖ fell from {note.start_norm:.3g} to {note.norm:.3g} in {note.steps} "
            f"steps; at that rate it reaches tol after about {_count(note.more)} more "
            f"(raise --steps or --lr)"
        )
    return _endpoint_text(note)


def _endpoint_text(note: EndPoint) -> str:
    if note.classification == "saddle":
        return (
            "converged to a saddle point: ∇f = 0 there, but it is not a minimum — "
            "a small nudge would let the descent continue"
        )
    if note.classification == "degenerate":
        return (
            "converged to a degenerate stationary point: the Hessian has a zero eigenvalue, "
            "so second derivatives cannot tell minimum from saddle"
        )
    return f"converged to a {note.classification}, not the kind of point it was looking for"


def word(runs: Sequence[DescentRun]) -> Sequence[DescentRun]:
    """Fill each run's ``notes`` with its findings in words; the runs, for chaining."""
    for run in runs:
        run.notes = [note_text(note) for note in run.findings]
    return runs


def descend(*args: Any, **kwargs: Any) -> list[DescentRun]:
    """:func:`gradcli.optimize.descend`, with each run's notes in words."""
    from gradcli.optimize import descend as run_all

    return list(word(run_all(*args, **kwargs)))


def _num(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "∞ (overflow)"


def _count(value: float) -> str:
    return f"{math.ceil(value):,}" if value < 1e6 else f"{value:.2g}"
