"""Nonlinear conjugate gradient, Polak–Ribière+ (Nocedal & Wright §5.2, eq. 5.45), as scipy's
``minimize(method='CG')``.

The first direction is −∇f; after each step p ← −∇f_{k+1} + β·p with
β = max(0, ∇f_{k+1}ᵀ(∇f_{k+1} − ∇f_k)/‖∇f_k‖²). Clipping β at 0 restarts the method (p = −∇f)
whenever the Polak–Ribière β would turn negative; a direction that is not clearly downhill,
∇fᵀp > −σ₃·‖∇f‖² with σ₃ = 0.01, is replaced by −∇f too (scipy's descent condition, which scipy
checks inside its line search and gradcli after it). The line search is the strong Wolfe search
of :mod:`.wolfe` with scipy's constants for CG, c1 = 10⁻⁴ and c2 = 0.4 (N&W suggest 0.1 for CG;
scipy's 0.4 is followed so the two can be compared), and scipy's first trial step.

Only two vectors of memory: the previous direction and gradient.
"""

from __future__ import annotations

from gradcli.optimize.direction import Array, Direction
from gradcli.optimize.settings import CG_C2, WOLFE_C1

DESCENT_SHARE = 0.01  # σ₃: a direction must descend at least this share of ‖∇f‖² (scipy's)


class ConjugateGradient(Direction):
    """Polak–Ribière+ directions, restarting to −∇f when β clips at 0 or a direction is not
    downhill."""

    c1 = WOLFE_C1
    c2 = CG_C2

    def __init__(self) -> None:
        self.previous: Array | None = None  # the last direction p_k
        self.beta = 0.0  # β of the next direction
        self.restarts = 0

    def direction(self, x: Array, g: Array) -> Array:
        if self.previous is None:
            p = -g
        else:
            p = -g + self.beta * self.previous
            if not float(g @ p) <= -DESCENT_SHARE * float(g @ g):
                self.restarts += 1
                p = -g
        self.previous = p
        return p

    def accepted(self, s: Array, y: Array, g_new: Array) -> None:
        if self.previous is None:
            return
        g_old = g_new - y
        old_sq = float(g_old @ g_old)
        self.beta = max(0.0, float(y @ g_new) / old_sq) if old_sq > 0 else 0.0

    def restart(self) -> None:
        self.previous = None
        self.beta = 0.0
