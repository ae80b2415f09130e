"""The numeric side of constrained stationary points: the bordered-Hessian test, and a bounded
multi-start Newton search on the Lagrange system ∇L(x, λ) = 0 for when the exact solve cannot
prove its list complete.

The search reuses ``critical``'s pieces (:mod:`gradcli.calculus.critical_search`): its starts
(a grid in one or two variables, a Halton design above) over the range of x only — λ enters the
system linearly, so each start's λ is the least-squares multiplier ∇f ≈ Σ λ_k ∇g_k there — its
Newton step on ∇L (the Hessian of L is the KKT matrix [[H_L, −Jᵀ], [−J, 0]]) and its root test.
A start counts where Newton converged with x inside the range; λ is not limited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from gradcli.calculus.critical_search import (
    SearchOutcome,
    distinct,
    lengths,
    newton_sweep,
    starts,
)

Array = np.ndarray[Any, Any]

MAX_STARTS = (
    400  # a 20 × 20 grid in the plane: the Lagrange system costs more per start than ∇f = 0
)
ZERO = 1e-9  # a minor or eigenvalue this small (relative to its scale) counts as zero


class Verdict(NamedTuple):
    kind: str  # minimum | maximum | saddle | degenerate | isolated | singular
    minors: tuple[float, ...]
    eigenvalues: tuple[float, ...]
    test: str  # "minors" | "tangent" | "none"


@dataclass(frozen=True)
class Bordered:
    matrix: Array  # [[0, J], [Jᵀ, H_L]], (m + n) × (m + n)
    hessian: Array  # H_L = ∇²f − Σ λ_k ∇²g_k, n × n
    jacobian: Array  # J: row k is ∇g_k, m × n


def bordered(kkt: Array, n: int) -> tuple[Bordered]:
    """The bordered Hessian from the Hessian of L(x, λ) (whose λ block is −J): as a 1-tuple, so
    that ``classify(*bordered(kkt, n))`` reads as one step."""
    hessian = (kkt[:n, :n] + kkt[:n, :n].T) / 2
    jacobian = -kkt[n:, :n]
    m = len(jacobian)
    matrix = np.zeros((m + n, m + n))
    matrix[:m, m:] = jacobian
    matrix[m:, :m] = jacobian.T
    matrix[m:, m:] = hessian
    return (Bordered(matrix, hessian, jacobian),)


def classify(b: Bordered) -> Verdict:
    """The bordered-Hessian test, with m constraints in n variables.

    The last n − m leading principal minors of B = [[0, J], [Jᵀ, H_L]] (orders 2m + 1 … m + n)
    decide: all with the sign of (−1)^m — a constrained minimum; alternating, the one of order k
    with the sign of (−1)^(k−m) — a constrained maximum; all nonzero otherwise — a saddle on the
    constraint. Where a minor vanishes the test is silent, and the eigenvalues of H_L on the
    tangent space {d : J d = 0} decide (the same verdict wherever the minors speak); a zero one
    there makes the point degenerate. Where the ∇g_k are dependent (LICQ fails) nothing is
    claimed: "singular". With as many constraints as variables the point is "isolated".
    """
    j, h = b.jacobian, b.hessian
    m, n = j.shape
    scale = max(1.0, float(np.abs(b.matrix).max()))
    singular_values = np.linalg.svd(j, compute_uv=False) if m else np.zeros(0)
    if m and singular_values[-1] <= ZERO * max(1.0, float(singular_values[0])):
        return Verdict("singular", (), (), "none")
    if n == m:
        return Verdict("isolated", (), (), "none")
    minors = []
    for k in range(2 * m + 1, m + n + 1):
        block = b.matrix[:k, :k]
        d = float(np.linalg.det(block))
        # Hadamard's bound: |det| ≤ Π ‖row‖; below a sliver of it the minor is round-off
        bound = float(np.prod(np.linalg.norm(block, axis=1)))
        minors.append(0.0 if abs(d) <= ZERO * max(bound, 1e-300) else d)
    # An orthonormal basis of the tangent space: the right singular vectors past rank m.
    _, _, vt = np.linalg.svd(j) if m else (None, None, np.eye(n))
    basis = vt[m:].T
    eig = np.linalg.eigvalsh(basis.T @ h @ basis)
    zero = ZERO * max(scale, float(np.abs(eig).max()))
    eigenvalues = tuple(0.0 if abs(e) <= zero else float(e) for e in eig)
    if all(d != 0.0 for d in minors):
        signs = [np.sign(d) for d in minors]
        if all(s == (-1) ** m for s in signs):
            kind = "minimum"
        elif all(s == (-1) ** (k - m) for s, k in zip(signs, range(2 * m + 1, m + n + 1))):
            kind = "maximum"
        else:
            kind = "saddle"
        return Verdict(kind, tuple(minors), eigenvalues, "minors")
    if any(e == 0.0 for e in eigenvalues):
        kind = "degenerate"
    elif all(e > 0 for e in eigenvalues):
        kind = "minimum"
    elif all(e < 0 for e in eigenvalues):
        kind = "maximum"
    else:
        kind = "saddle"
    return Verdict(kind, tuple(minors), eigenvalues, "tangent")


def search(
    compiled: Any, n: int, box: Sequence[tuple[float, float]], deadline: float
) -> SearchOutcome | None:
    """Damped Newton on ∇L = 0 from starts over the range of x, every start at once; None where
    L's derivatives cannot be evaluated numerically."""
    try:
        return _search(compiled, n, box, deadline)
    except (NameError, TypeError, ValueError, AttributeError, ZeroDivisionError):
        return None


def _search(
    compiled: Any, n: int, box: Sequence[tuple[float, float]], deadline: float
) -> SearchOutcome:
    xs, design = starts(box, MAX_STARTS)
    m = compiled.n - n
    z = np.hstack([xs, _multipliers(compiled, xs, n, m)])
    # λ moves freely; only x is held to the range (as in critical's search)
    sweep = newton_sweep(compiled, z, box, deadline, n)
    found = z[sweep.converged & sweep.inside]
    found[np.abs(found) <= 1e-14 * (1 + lengths(found)[:, None])] = 0.0  # a huge λ: no overflow
    return SearchOutcome(distinct(found), sweep.summary(design))


def _multipliers(compiled: Any, xs: Array, n: int, m: int) -> Array:
    """The least-squares λ at each start: ∇f ≈ Jᵀλ, read off ∇L at λ = 0 (= ∇f, −g) and the
    Hessian's λ block (−J)."""
    z0 = np.hstack([xs, np.zeros((len(xs), m))])
    with np.errstate(all="ignore"):
        grad = compiled.gradient(z0)[:, :n]
        jac = -compiled.hessian(z0)[:, n:, :n]  # (S, m, n)
        lam = np.zeros((len(xs), m))
        good = np.all(np.isfinite(grad), axis=1) & np.all(np.isfinite(jac), axis=(1, 2))
        for i in np.flatnonzero(good):
            lam[i] = np.linalg.lstsq(jac[i].T, grad[i], rcond=None)[0]
    return lam
