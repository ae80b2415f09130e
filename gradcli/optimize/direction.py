"""What every curvature method is to its lane: a search direction from the gradient (and, for
Newton, the Hessian), the first trial step of each line search, and the memory updated after a
step. The methods themselves live in :mod:`.newton`, :mod:`.quasi_newton` and :mod:`.conjugate`;
the loop that steps them, in :mod:`.curvature`.

Everything is written for minimising φ: the lane hands in φ = f and ∇φ = ∇f, or −f and −∇f for
an ascent (and −∇²f to Newton), so no method knows which way the run is going.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradcli.optimize.wolfe import initial_step

Array = np.ndarray[Any, Any]


class Direction:
    """A search direction with the memory it keeps between steps.

    ``direction`` is called once per step at the current point; after the line search accepted
    x_{k+1} = x_k + α·p, ``accepted`` gets s = x_{k+1} − x_k and y = ∇φ_{k+1} − ∇φ_k.
    ``restart`` forgets everything (the next direction is −∇φ): the lane calls it when a direction
    is not a descent direction or its line search found no lower φ.
    """

    c1: float
    c2: float

    def direction(self, x: Array, g: Array) -> Array:
        raise NotImplementedError

    def first_step(self, phi: float, previous_phi: float | None, slope: float, g: Array) -> float:
        """The line search's first trial α (scipy's rule for BFGS and CG by default)."""
        if previous_phi is None:  # scipy: φ₋₁ = φ₀ + ‖∇φ‖/2 at the first iteration
            previous_phi = phi + float(np.linalg.norm(g)) / 2
        return initial_step(phi, previous_phi, slope)

    def accepted(self, s: Array, y: Array, g_new: Array) -> None:
        """Learn from the step just taken (nothing, by default)."""

    def restart(self) -> None:
        """Forget what was learned (nothing to forget, by default)."""


def curvature_pair(s: Array, y: Array) -> float | None:
    """1/(yᵀs) for a pair worth learning from, else None: yᵀs must be clearly positive (f curved
    upward along the step; the strong Wolfe conditions promise it, round-off may not)."""
    ys = float(y @ s)
    scale = float(np.linalg.norm(y)) * float(np.linalg.norm(s))
    if not (ys > 1e-10 * scale and math.isfinite(ys) and math.isfinite(scale)):
        return None
    return 1.0 / ys
