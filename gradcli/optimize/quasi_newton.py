"""Quasi-Newton methods: BFGS and L-BFGS (Nocedal & Wright, chapters 6 and 7).

Both build a model of the inverse Hessian H from the steps s = x_{k+1} − x_k and the changes of
the gradient y = ∇f_{k+1} − ∇f_k, and step along p = −H·∇f with the strong Wolfe line search of
:mod:`.wolfe` (c1 = 10⁻⁴, c2 = 0.9, as scipy's BFGS).

- **BFGS** keeps H as an n×n matrix, starting from H₀ = I (as scipy's ``minimize(method='BFGS')``;
  N&W's eq. 6.20 would rescale it after the first step) and updating it by N&W eq. 6.17,
  H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ with ρ = 1/(yᵀs). The first trial step of each line
  search is scipy's (:func:`.wolfe.initial_step`).
- **L-BFGS** keeps only the last m = 10 pairs (s, y) (scipy's L-BFGS-B default) and computes H·∇f
  by the two-loop recursion (N&W Algorithm 7.4) with H₀ = γ·I, γ = sᵀy/yᵀy from the newest pair
  (eq. 7.20). Its first line search tries α = 1/‖∇f‖ (a step of length 1, as L-BFGS-B's first
  iteration), every later one the full step α = 1.

A pair with yᵀs not clearly positive is skipped, so H stays positive definite.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from gradcli.optimize.direction import Array, Direction, curvature_pair
from gradcli.optimize.settings import LBFGS_MEMORY, WOLFE_C1, WOLFE_C2


class BFGS(Direction):
    """The dense inverse-Hessian model."""

    c1 = WOLFE_C1
    c2 = WOLFE_C2

    def __init__(self, n: int) -> None:
        self.n = n
        self.inverse = np.eye(n)

    def direction(self, x: Array, g: Array) -> Array:
        return -(self.inverse @ g)

    def accepted(self, s: Array, y: Array, g_new: Array) -> None:
        rho = curvature_pair(s, y)
        if rho is None:
            return
        h = self.inverse
        hy = h @ y
        # (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ, expanded: H − ρ(s·(Hy)ᵀ + (Hy)·sᵀ) + (ρ²·yᵀHy + ρ)·ssᵀ
        self.inverse = (
            h
            - rho * (np.outer(s, hy) + np.outer(hy, s))
            + (rho * rho * float(y @ hy) + rho) * np.outer(s, s)
        )

    def restart(self) -> None:
        self.inverse = np.eye(self.n)


class LBFGS(Direction):
    """The limited-memory model: the last ``memory`` pairs and the two-loop recursion."""

    c1 = WOLFE_C1
    c2 = WOLFE_C2

    def __init__(self, memory: int = LBFGS_MEMORY) -> None:
        self.pairs: deque[tuple[Array, Array, float]] = deque(maxlen=memory)

    def direction(self, x: Array, g: Array) -> Array:
        q = np.array(g, dtype=float)
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * float(s @ q)
            q -= a * y
            alphas.append(a)
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= float(s @ y) / float(y @ y)
        for (s, y, rho), a in zip(self.pairs, reversed(alphas)):
            b = rho * float(y @ q)
            q += (a - b) * s
        return -q

    def first_step(self, phi: float, previous_phi: float | None, slope: float, g: Array) -> float:
        if self.pairs:
            return 1.0
        size = float(np.linalg.norm(g))
        return 1.0 / size if size > 0 else 1.0

    def accepted(self, s: Array, y: Array, g_new: Array) -> None:
        rho = curvature_pair(s, y)
        if rho is not None:
            self.pairs.append((s, y, rho))

    def restart(self) -> None:
        self.pairs.clear()
