"""Newton's method with a modified Hessian and a line search: Nocedal & Wright's "line search
Newton with modification" (Algorithm 3.2) with their Cholesky-with-added-multiple-of-the-identity
(Algorithm 3.3).

The Newton step p solves ∇²f·p = −∇f. Where ∇²f is positive definite, p points downhill and on a
quadratic the full step α = 1 lands on the minimum. Where it is not (near a saddle, on a ridge),
the pure Newton step heads for the nearest stationary point — possibly a saddle or a maximum —
so ∇²f is shifted to ∇²f + τI with τ = 0, β, 2β, 4β, … (β = 10⁻³, or starting from −min aᵢᵢ + β
when a diagonal entry is not positive) until its Cholesky factorisation succeeds: the shifted
step is a descent direction, and far from positive definite it turns toward −∇f. Every step
then takes the strong Wolfe line search of :mod:`.wolfe`, trying the full step α = 1 first
(c1 = 10⁻⁴, c2 = 0.9), so Newton's quadratic convergence is kept near a minimum.

``newton`` in gradcli is always this modified, line-searched Newton: where the Hessian is positive
definite and α = 1 is accepted it is exactly the pure Newton step.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gradcli.optimize.direction import Array, Direction
from gradcli.optimize.settings import NEWTON_BETA, WOLFE_C1, WOLFE_C2

MAX_SHIFTS = 200  # τ doubles at most this often (β·2²⁰⁰ ≈ 1e57: past any finite Hessian's scale)


def shifted_cholesky(hessian: Array, beta: float = NEWTON_BETA) -> tuple[Array, float] | None:
    """(L, τ): the Cholesky factor of ``hessian`` + τI for the smallest τ Algorithm 3.3 tries
    (0 when the matrix is positive definite already); None for a Hessian that is not finite."""
    if not np.all(np.isfinite(hessian)):
        return None
    n = len(hessian)
    eye = np.eye(n)
    smallest = float(np.min(np.diag(hessian))) if n else 1.0
    tau = 0.0 if smallest > 0 else beta - smallest
    for _ in range(MAX_SHIFTS):
        try:
            return np.linalg.cholesky(hessian + tau * eye), tau
        except np.linalg.LinAlgError:
            tau = max(2 * tau, beta)
    return None


def newton_step(hessian: Array, g: Array) -> tuple[Array, float] | None:
    """(p, τ): the step solving (∇²φ + τI)·p = −∇φ, and the shift τ it needed."""
    factored = shifted_cholesky(hessian)
    if factored is None:
        return None
    lower, tau = factored
    # two triangular solves with L, done as general solves: numpy has no triangular solver, and n is
    # at most symbolic.MAX_HESSIAN_VARIABLES
    z = np.linalg.solve(lower, -g)
    p = np.linalg.solve(lower.T, z)
    return (p, tau) if np.all(np.isfinite(p)) else None


class Newton(Direction):
    """The modified Newton direction; counts the steps whose Hessian needed a shift."""

    c1 = WOLFE_C1
    c2 = WOLFE_C2

    def __init__(self, hessian: Callable[[Array], Array], sign: float) -> None:
        self.hessian = hessian  # x ↦ ∇²f(x), (n,) → (n, n)
        self.sign = sign  # ∇²φ = sign·∇²f
        self.shifted = 0  # steps at which ∇²φ was not positive definite
        self.largest_shift = 0.0
        self.last_shift = 0.0
        self.steepest = False  # after a restart: −∇φ once

    def direction(self, x: Array, g: Array) -> Array:
        if self.steepest:
            self.steepest = False
            return -g
        with np.errstate(all="ignore"):
            step = newton_step(self.sign * np.asarray(self.hessian(x), dtype=float), g)
        if step is None:  # the Hessian is not finite here: steepest descent this once
            self.last_shift = math.inf
            return -g
        p, tau = step
        self.last_shift = tau
        if tau > 0:
            self.shifted += 1
            self.largest_shift = max(self.largest_shift, tau)
        return p

    def restart(self) -> None:
        self.steepest = True

    def first_step(self, phi: float, previous_phi: float | None, slope: float, g: Array) -> float:
        return 1.0  # the full Newton step, always first: it is what converges quadratically
