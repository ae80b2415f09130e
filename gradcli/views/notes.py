"""The words of a descent's notes: each fact :mod:`gradcli.optimize.notes` finds, as a sentence.

The analysis (what happened, with its numbers) is the core's; how it reads — and how its numbers
become text — is decided here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from gradcli.optimize.runs import DescentRun


def note_text(note: Note) -> str:
    """One note as the sentence tables and JSON show."""
    if isinstance(note, Overshooting):
        text = f"overshooting: f {'fell' if note.ascent else 'rose'} at {note.rises} of {note.steps} steps"
        if note.reversals:
            text += f" and ∇f reversed direction at {note.reversals}"
        if note.frequent and note.momentum:
            text += (
                " — velocity carries x past the bottom and back, as momentum does "
                "(a smaller --momentum or --beta1 damps it)"
            )
        elif note.frequent:
            text += " — the steps jump across the valley instead of down it"
        elif note.momentum:
            text += " — an occasional overshoot, which momentum makes near curves"
        else:
            text += " — an occasional overshoot where the valley is steeper than the step allows"
        if note.start_curvature is not None:
            limit = 2 / note.start_curvature
            text += (
                f"; at the start plain gd is stable only for lr < 2/λmax = {limit:.3g} "
                f"(λmax = {note.start_curvature:.3g}, the largest Hessian eigenvalue there)"
            )
        elif note.diverged:
            text += "; try a smaller --lr"
        return text
    if isinstance(note, ZigZag):
        if note.improved and note.stalled is not None:
            return _at_limit_text(note)
        if note.improved:
            return (
                f"zig-zag: ∇f reversed direction at {note.reversals} of {note.steps} steps — each "
                f"step overshoots the valley floor, though f still "
                f"{'rose' if note.ascent else 'fell'} (from {note.start_value:.6g} to "
                f"{note.final_value:.6g})"
            )
        text = (
            f"oscillation: ∇f reversed direction at {note.reversals} of {note.steps} steps and f "
            f"did not {'rise' if note.ascent else 'fall'} ({note.start_value:.6g} at the start, "
            f"{note.final_value:.6g} now) — x jumps from one side of the valley to the other"
        )
        if note.start_curvature is not None:
            limit = 2 / note.start_curvature
            text += (
                f"; plain gd needs lr < 2/λmax = {limit:.3g} (λmax = {note.start_curvature:.3g}, "
                f"the largest Hessian eigenvalue at the start), and lr = {note.lr:g} is not — "
                f"try a smaller --lr"
            )
        else:
            text += "; try a smaller --lr"
        return text
    if isinstance(note, Exploding):
        return (
            f"exploding gradients: ‖∇f‖ grew from {note.start_norm:.3g} at the start "
            f"to {_num(note.peak_norm)}"
        )
    if isinstance(note, Diverged):
        return f"diverged ({note.reason}); try a smaller --lr"
    if isinstance(note, Vanishing):
        return _vanishing_text(note)
    if isinstance(note, Plateau):
        return (
            f"plateau (vanishing gradient): stopped after {note.steps:,} steps because "
            f"‖∇f‖ = {note.norm:.2g} ≤ tol = {note.tol:g}, but this is not a stationary point — "
            f"the curvature is tiny too (|λ| ≤ {note.curvature:.2g}) and f = {note.value:.6g} here "
            f"while f = {note.lower:.6g} only {note.distance:.3g} away along {_way(note.ascent)}; "
            f"the gradient "
            f"has vanished on a flat region (a smaller --tol with --method adam, whose steps do "
            f"not shrink with ‖∇f‖, crosses it)"
        )
    if isinstance(note, Kink):
        return (
            f"kink: the run ends at a corner of f (abs, relu, max or min) where ∇f jumps — "
            f"‖∇f‖ = {note.norm:.3g} on either side, so it never falls to tol however close x "
            f"gets, and each step hops across the corner (a smaller --lr hops closer; "
            f"the gradient test cannot succeed here, so judge by f)"
        )
    if isinstance(note, Slow):
        text = (
            f"slow: ‖∇f‖ fell from {note.start_norm:.3g} to {note.norm:.3g} in {note.steps:,} steps"
        )
        advice = (
            "(raise --steps or --lr)"
            if note.limit is None
            else f"(raise --steps; not --lr: the steps already overshoot, and plain gd stops "
            f"converging at lr = 2/λmax = {note.limit:.3g})"
        )
        if note.more is not None and note.rate is not None and note.slowing:
            return text + (
                f"; its rate is slowing (×{note.rate:.4g} a step lately), so it needs at least "
                f"{_count(note.more)} more {advice}"
            )
        if note.more is not None and note.rate is not None:
            return text + (
                f"; at its recent rate (×{note.rate:.4g} a step) it reaches tol after about "
                f"{_count(note.more)} more {advice}"
            )
        if note.rate is not None:
            return (
                text + "; its rate is changing, so no estimate of the steps to tol (raise --steps)"
            )
        return f"{text} {advice}"
    if isinstance(note, Clipped):
        return _clipped_text(note)
    if isinstance(note, Noisy):
        text = (
            f"noisy gradient: with noise {note.noise:g} added to ∇f the steps never settle — "
            f"‖∇f‖ = {note.norm:.3g} after {note.steps:,} steps, and tol = {note.tol:g} is below "
            f"what the noise lets it reach"
        )
        if not note.scheduled:
            text += "; a decaying --schedule (e.g. exp:0.99) shrinks the steps and their spread"
        return text
    if isinstance(note, Decayed):
        return _decayed_text(note)
    return _endpoint_text(note)


def _at_limit_text(note: ZigZag) -> str:
    """A run that bounces at gd's stability limit: f fell along the gentler directions, but along
    the steepest one each step lands (about) as far on the other side as it started — ‖∇f‖
    neither falls nor grows, so more steps do not help, and a larger lr diverges."""
    assert note.stalled is not None
    still = note.stalled >= 0.9995  # ×1.000 as shown: not even a slow fall to promise
    text = (
        f"oscillation at the stability limit: ∇f reversed direction at {note.reversals} of "
        f"{note.steps} steps and ‖∇f‖ {'neither falls nor grows' if still else 'hardly changes'} "
        f"(×{note.stalled:.4g} a step lately) — f {'rose' if note.ascent else 'fell'} (from "
        f"{note.start_value:.6g} to {note.final_value:.6g}) along the gentler directions, but "
        f"along the steepest one x bounces from one side of the valley to the other, "
        f"{'no' if still else 'hardly any'} closer to its floor"
    )
    steps = "more steps will not help" if still else "more steps barely help"
    if note.start_curvature is not None:
        limit = 2 / note.start_curvature
        return text + (
            f"; lr·λmax = {note.lr * note.start_curvature:.4g} (λmax = "
            f"{note.start_curvature:.3g}, the largest Hessian eigenvalue at the start) and plain "
            f"gd converges only for lr < 2/λmax = {limit:.3g}: try a smaller --lr ({steps}, "
            f"and a larger lr diverges)"
        )
    return text + f"; try a smaller --lr ({steps})"


def _clipped_text(note: Clipped) -> str:
    how = [f"--clip-norm {v:g}" for v in (note.clip_norm,) if v is not None]
    how += [f"--clip-value {v:g}" for v in (note.clip_value,) if v is not None]
    text = (
        f"clipping ({' and '.join(how)}) was active on {note.active:,} of {note.steps:,} "
        f"step{'s' if note.steps != 1 else ''}"
    )
    if note.without is not None:
        text += (
            f"; without it the same run diverges ({note.without}) — clipping caps each step "
            f"where the gradient explodes"
        )
    return text


def _decayed_text(note: Decayed) -> str:
    wd = f"{note.weight_decay:g}"
    if note.balance is None:
        return (
            f"weight decay (decoupled, AdamW): each step scales x by 1 − lr·{wd}, pulling it "
            f"toward 0 — the run heads for where that pull balances the Adam step, not for "
            f"∇f = 0, so ‖∇f‖ = {note.norm:.3g} need not reach tol"
        )
    where = (
        f"settled where ∇f + {wd}·x = 0 (‖∇f + {wd}·x‖ = {note.balance:.2g})"
        if note.balance <= note.tol
        else f"heads for ∇f + {wd}·x = 0 (‖∇f + {wd}·x‖ = {note.balance:.3g} now)"
    )
    return (
        f"weight decay: x {where}, the minimum of f + {note.weight_decay / 2:g}·‖x‖², not of f — "
        f"so ‖∇f‖ = {note.norm:.3g} stays above tol"
    )


def _vanishing_text(note: Vanishing) -> str:
    if not note.plateau:
        return (
            f"vanishing progress: the last step moved x by only {note.last_step:.2g} while "
            f"‖∇f‖ = {note.norm:.3g} is still above tol — lr·‖∇f‖ is tiny: lr = {note.lr:g} is "
            f"too small for this function"
        )
    text = (
        f"vanishing gradient: ‖∇f‖ stayed at or below {note.peak_norm:.2g} for all "
        f"{note.steps:,} steps and f barely moved ({note.start_value:.6g} → {note.final_value:.6g})"
    )
    if note.saturated is not None:
        u, slope, count = note.saturated
        text += (
            f" — a sigmoid is saturated: its argument is {u:.3g} here, where its slope "
            f"σ(1−σ) is only {slope:.2g} (1/4 at most, at 0)"
        )
        if count > 1:
            text += f", and the chain rule multiplies the slopes of all {count} sigmoids"
    elif note.lower is not None and note.distance is not None:
        text += (
            f" — a plateau: f = {note.lower:.6g} only {note.distance:.3g} away along "
            f"{_way(note.ascent)}, "
            f"but the gradient here is too small to get there"
        )
    else:
        text += " — the function is nearly flat here"
    return text + "; --method adam, whose steps do not shrink with ‖∇f‖, gets moving"


def _endpoint_text(note: EndPoint) -> str:
    if note.classification == "unclassified":
        from gradcli.symbolic import MAX_HESSIAN_VARIABLES

        return (
            f"converged; the end point was not classified: the Hessian test is limited to "
            f"{MAX_HESSIAN_VARIABLES} variables and f has {note.variables:,}"
        )
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


def _way(ascent: bool) -> str:
    return "+∇f" if ascent else "−∇f"
