"""The line search of the curvature methods: a step α along a descent direction p that satisfies the
strong Wolfe conditions (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithms 3.5 and 3.6)::

    φ(α) ≤ φ(0) + c1·α·φ'(0)        (sufficient decrease)
    |φ'(α)| ≤ c2·|φ'(0)|            (curvature: the slope has flattened enough)

where φ(α) = f(x + α·p) (−f in ascent). Bracketing doubles α until a bracket is found, then the
zoom narrows it by cubic interpolation, falling back to quadratic interpolation and to bisection
when the interpolant lands too near an end — the safeguards of scipy's ``scalar_search_wolfe2``
(δ1 = 0.2, δ2 = 0.1), which this follows. Two differences, both about robustness: a trial point
where f is not finite (overflow, outside f's domain) counts as "too far" instead of failing, and
when the search runs out of trials it returns the lowest trial that satisfied sufficient decrease
(``wolfe=False``) rather than nothing, so a run keeps its progress.

Pure Python floats: α is one number, and a trial costs one call of the compiled [f, ∇f].
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

BRACKET_TRIALS = 20  # α doubles at most this often (×10⁶ past the first trial)
ZOOM_TRIALS = 30  # interpolations inside a bracket before the search gives up
ALPHA_MAX = 1e100  # as scipy's: a direction's length already carries the scale
CUBIC_MARGIN = 0.2  # δ1: a cubic minimiser nearer an end than this share of the bracket is refused
QUADRATIC_MARGIN = 0.1  # δ2: the same for the quadratic one (then bisection)


class Trial(NamedTuple):
    """φ and φ' at α, and what the evaluator computed on the way (f and ∇f at x + α·p)."""

    alpha: float
    phi: float
    slope: float
    payload: Any


class Search(NamedTuple):
    """The step found (None: no trial lowered φ at all) and how many trials it took."""

    trial: Trial | None
    wolfe: bool  # both conditions hold (False: only sufficient decrease, the best trial seen)
    evaluations: int


#: α ↦ (φ(α), φ'(α), payload)
Evaluate = Callable[[float], tuple[float, float, Any]]


def initial_step(phi0: float, previous_phi: float | None, slope0: float) -> float:
    """scipy's first trial α for BFGS and CG: the step that would repeat the last decrease of φ on a
    quadratic model, 1.01·2·(φ₀ − φ₋₁)/φ'(0), capped at 1 (the full quasi-Newton step). At the
    first iteration there is no last decrease; φ₋₁ = φ₀ + ‖∇f‖/2 makes the first trial a step of
    length 1.01 along −∇f."""
    if previous_phi is None or slope0 == 0:
        return 1.0
    alpha = min(1.0, 1.01 * 2 * (phi0 - previous_phi) / slope0)
    return alpha if alpha > 0 and math.isfinite(alpha) else 1.0


def strong_wolfe(
    evaluate: Evaluate, phi0: float, slope0: float, alpha1: float, c1: float, c2: float
) -> Search:
    """A step α > 0 satisfying the strong Wolfe conditions with ``0 < c1 < c2 < 1``, starting from
    the trial ``alpha1``; ``slope0`` = φ'(0) must be negative (a descent direction)."""
    searching = _Searching(evaluate, phi0, slope0, c1, c2)
    a_prev, phi_prev, slope_prev = 0.0, phi0, slope0
    alpha = min(alpha1, ALPHA_MAX)
    for i in range(BRACKET_TRIALS):
        trial = searching.at(alpha)
        if trial is None:  # f is not finite there: a bracket's far end
            return searching.zoom(a_prev, phi_prev, slope_prev, alpha, math.inf)
        if not searching.decreases(trial) or (i > 0 and trial.phi >= phi_prev):
            return searching.zoom(a_prev, phi_prev, slope_prev, alpha, trial.phi)
        if searching.flat(trial):
            return searching.found(trial)
        if trial.slope >= 0:  # φ turned upward: a minimum lies between
            return searching.zoom(alpha, trial.phi, trial.slope, a_prev, phi_prev)
        a_prev, phi_prev, slope_prev = alpha, trial.phi, trial.slope
        alpha = min(2 * alpha, ALPHA_MAX)
    return searching.failed()


class _Searching:
    """One search's evaluations, the best trial so far, and the zoom."""

    def __init__(self, evaluate: Evaluate, phi0: float, slope0: float, c1: float, c2: float):
        self.evaluate = evaluate
        self.phi0, self.slope0, self.c1, self.c2 = phi0, slope0, c1, c2
        self.count = 0
        self.best: Trial | None = None  # the lowest trial with sufficient decrease

    def at(self, alpha: float) -> Trial | None:
        """φ and φ' at α (None where either is not a finite number)."""
        self.count += 1
        phi, slope, payload = self.evaluate(alpha)
        if not (math.isfinite(phi) and math.isfinite(slope)):
            return None
        trial = Trial(alpha, phi, slope, payload)
        if self.decreases(trial) and (self.best is None or phi < self.best.phi):
            self.best = trial
        return trial

    def decreases(self, trial: Trial) -> bool:
        return trial.phi <= self.phi0 + self.c1 * trial.alpha * self.slope0

    def flat(self, trial: Trial) -> bool:
        return abs(trial.slope) <= -self.c2 * self.slope0

    def found(self, trial: Trial) -> Search:
        return Search(trial, True, self.count)

    def failed(self) -> Search:
        return Search(self.best, False, self.count)

    def zoom(
        self, a_lo: float, phi_lo: float, slope_lo: float, a_hi: float, phi_hi: float
    ) -> Search:
        """Algorithm 3.6: α_lo satisfies sufficient decrease with the lowest φ so far, and the
        bracket between α_lo and α_hi holds a step satisfying both conditions."""
        a_rec, phi_rec = 0.0, self.phi0  # the end point dropped last, for the cubic
        for i in range(ZOOM_TRIALS):
            width = a_hi - a_lo
            low, high = (a_lo, a_hi) if width > 0 else (a_hi, a_lo)
            a_j = None
            if i > 0 and math.isfinite(phi_hi):
                a_j = _cubic_min(a_lo, phi_lo, slope_lo, a_hi, phi_hi, a_rec, phi_rec)
            if a_j is None or not low + CUBIC_MARGIN * abs(width) < a_j < high - CUBIC_MARGIN * abs(
                width
            ):
                a_j = _quadratic_min(a_lo, phi_lo, slope_lo, a_hi, phi_hi)
                margin = QUADRATIC_MARGIN * abs(width)
                if a_j is None or not low + margin < a_j < high - margin:
                    a_j = a_lo + 0.5 * width
            if a_j in (a_lo, a_hi):  # the bracket is below float resolution
                break
            trial = self.at(a_j)
            if trial is None or not self.decreases(trial) or trial.phi >= phi_lo:
                a_rec, phi_rec = a_hi, phi_hi
                a_hi, phi_hi = a_j, (math.inf if trial is None else trial.phi)
                continue
            if self.flat(trial):
                return self.found(trial)
            if trial.slope * (a_hi - a_lo) >= 0:
                a_rec, phi_rec = a_hi, phi_hi
                a_hi, phi_hi = a_lo, phi_lo
            else:
                a_rec, phi_rec = a_lo, phi_lo
            a_lo, phi_lo, slope_lo = a_j, trial.phi, trial.slope
        return self.failed()


def _cubic_min(
    a: float, fa: float, fpa: float, b: float, fb: float, c: float, fc: float
) -> float | None:
    """The minimiser of the cubic through (a, fa), (b, fb), (c, fc) with slope fpa at a (None:
    it has none, or the arithmetic broke down)."""
    try:
        db, dc = b - a, c - a
        denom = (db * dc) ** 2 * (db - dc)
        rb, rc = fb - fa - fpa * db, fc - fa - fpa * dc
        big_a = (dc * dc * rb - db * db * rc) / denom
        big_b = (-(dc**3) * rb + db**3 * rc) / denom
        radical = big_b * big_b - 3 * big_a * fpa
        if radical < 0:
            return None
        x = a + (-big_b + math.sqrt(radical)) / (3 * big_a)
    except (ArithmeticError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _quadratic_min(a: float, fa: float, fpa: float, b: float, fb: float) -> float | None:
    """The minimiser of the quadratic through (a, fa), (b, fb) with slope fpa at a."""
    try:
        db = b - a
        curvature = (fb - fa - fpa * db) / (db * db)
        x = a - fpa / (2.0 * curvature)
    except (ArithmeticError, ValueError):
        return None
    return x if math.isfinite(x) else None
