"""A vector lane's fast path: the steps at which nobody watches, taken in one go.

Most steps of a many-run descent change nothing anyone sees: no run stops, nothing is recorded, no
note is gathered (``--summary``, CSV, ``--every``). :class:`Coast` takes such steps with a lean
loop — f and ∇f written in place into rows allocated once (:func:`gradcli.in_place.in_place`, the
lambdified code's own arithmetic), one BLAS dot as the test that no run stops, and the optimizer's
update — and hands the first step it cannot vouch for back to the lane's loop, which takes it as
usual. So every number, the step at which each run stops, its status and notes are what the loop
alone gives; only the time differs.

Why one dot is enough: a run stops at step t when f, ‖∇f‖² or some x_i is not finite or beyond the
bounds (|f|, |x_i| ≤ 1e150, ‖∇f‖² ≤ 1e300), or when ‖∇f‖² ≤ tol², or at its step limit. The dot of
the rows [f, ∇f, x] with themselves is Σ over runs of f² + ‖∇f‖² + ‖x‖²: when it is finite and
below :data:`LIMIT` (a sixteenth of 1e300, far beyond any rounding of the sum), every one of those
terms is within its bound — a nan or an inf anywhere makes it nan or inf. When any run has a
tolerance, ‖∇f‖² is also summed per run exactly as the loop sums it, and its minimum compared. A
step the dot does not clear (large but legal values too) goes back to the loop, which decides;
after such a step the coast waits a while before trying again, so legal large values cost little.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gradcli.optimize.bounds import WIDEN, magnitude_bound
from gradcli.optimize.optimizers import ARRAY_OPS, Hyper
from gradcli.optimize.runs import BOUND, BOUND_SQ, SQ_TINY
from gradcli.optimize.settings import Settings

Array = np.ndarray[Any, Any]
LIMIT = BOUND_SQ / 16  # the dot's bound: each of its terms is then far inside BOUND_SQ
SAFE, SAFE_SQ = BOUND / 16, BOUND_SQ / 16  # what the bounds must clear: far inside the loop's
MAX_BLOCK = 1024  # steps one block may clear (a gentle f could clear thousands: bounds the work)
# The fields a coast knows how to step. A field added to Settings later (a schedule, clipping,
# noise …) turns coasting off for runs that set it, until the coast learns it.
KNOWN = frozenset("method lr momentum alpha beta1 beta2 eps line_search ascent steps tol".split())


def plain(settings: Settings) -> bool:
    """Whether ``settings`` asks for nothing but what a coast steps exactly like the loop: every
    field it does not know is at its default."""
    for f in dataclasses.fields(settings):
        if f.name in KNOWN:
            continue
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            return False
        if getattr(settings, f.name) != default:
            return False
    return True


PIECE = 10_000  # elements per dot: OpenBLAS's ddot starts threads beyond 10,000, and waking them
# between two numpy calls on a busy machine costs milliseconds (measured: 0.8 ms a dot at 50,000)


def _pieces(flat: Array) -> list[Array]:
    """``flat`` as consecutive views of at most :data:`PIECE` elements."""
    return [flat[i : i + PIECE] for i in range(0, len(flat), PIECE)]


class Coast:
    """The lean loop of one vector lane (see the module's docstring)."""

    def __init__(
        self,
        make: Callable[[int], Callable[..., None]],
        n: int,
        update: Any,
        gd: bool,
        gradient: Callable[[int], Callable[..., None]] | None = None,
        both: Callable[..., Any] | None = None,
    ):
        """``gradient``: ``make`` for ∇f alone (gd only), and ``both`` the lambdified [f, ∇f]
        it came from: with both, steps that :mod:`.bounds` clears skip f and every check."""
        self.make = make
        self.n = n
        self.update = update
        self.gd = gd
        self.gradient = gradient
        self.both = both
        self.bound: Callable[[float], tuple[float, float]] | None = None
        self.size = -1  # the run count the buffers are for
        self.resume = 0  # do not try before this step (after a step the dot did not clear)
        self.wait = 1
        self.prove_from = 0  # likewise for the bounds, after a block start they did not clear
        self.prove_wait = 1
        self.counts: dict[tuple[float, int], int] = {}  # (lr, reach's key) -> steps cleared

    def _buffers(self, size: int) -> None:
        """Two blocks of rows [f, ∂f/∂x1 … ∂f/∂xn, x1 … xn], one per parity of the step: x_{t+1}
        is written into the other block, so x_{t−1} is still there when the coast stops."""
        n = self.n
        evaluate = self.make(size)
        self.blocks = [np.empty((2 * n + 1, size)) for _ in range(2)]
        self.pieces = [_pieces(b.reshape(-1)) for b in self.blocks]
        self.grads = [list(b[1 : n + 1]) for b in self.blocks]
        self.xs = [list(b[n + 1 :]) for b in self.blocks]
        self.calls = [(evaluate, (*b[n + 1 :], *b[: n + 1])) for b in self.blocks]
        if self.gradient is not None:  # ∇f alone into the same rows, then x − lr·∇f
            bare = self.gradient(size)
            self.bare = [
                (bare, (*b[n + 1 :], *b[1 : n + 1]), b[1 : n + 1], b[n + 1 :], other[n + 1 :])
                for b, other in zip(self.blocks, self.blocks[::-1])
            ]
        self.delta = np.empty((n, size))
        self.sq = np.empty(size)
        self.term = np.empty(size)
        self.size = size

    def _cleared(self, x: Array, lr: float, most: int) -> int:
        """How many of the next steps (at most ``most``) the bounds clear, from the points ``x``
        ((n, R): every run's coordinates) — see :mod:`.bounds` for why no run can stop at them."""
        with np.errstate(all="ignore"):
            reach = float(np.maximum(x.max(), -x.min()))  # a nan anywhere stays nan
        if not reach <= SAFE:
            return 0
        # The count from a reach rounded up to a quarter power of two, remembered: the bounds
        # only grow with the reach, so the count from above holds below (a step or so shorter).
        key = (lr, math.ceil(4 * math.log2(max(reach, 1.0))))
        steps = self.counts.get(key)
        if steps is None:
            steps = self.counts[key] = self._count(2 ** (key[1] / 4), lr)
        return min(steps, most)

    def _count(self, reach: float, lr: float) -> int:
        """How many steps from points within ``reach`` the bounds clear (at most MAX_BLOCK)."""
        bound = self.bound
        assert bound is not None
        steps = 0
        while steps < MAX_BLOCK:
            f, g = bound(reach)  # every point within reach: |f| ≤ f, Σ|∂f/∂x_i| ≤ g
            if not (reach <= SAFE and f <= SAFE and g * g <= SAFE_SQ):
                break
            steps += 1
            reach = (reach + lr * g) * WIDEN  # x − lr·∇f: the next points are within this
        return steps

    def run(
        self,
        t: int,
        end: int,
        x: Any,
        states: list[Any],
        hyper: Hyper,
        sign: Any,
        watch_sq: bool,
        stops: Any,
    ) -> tuple[Any, Any, list[Any], int]:
        """Steps t, t+1, … (before ``end``) while each is cleared; ``(x, prev_x, states, idle)``
        at the first one that is not (idle = how many were taken; 0: x and states as given)."""
        size = len(x[0])
        if size != self.size:
            self._buffers(size)
        n, dot, multiply, subtract = self.n, np.dot, np.multiply, np.subtract
        pieces, grads, xs, calls, delta = self.pieces, self.grads, self.xs, self.calls, self.delta
        blocks = self.blocks
        for xi, row in zip(x, xs[0]):
            row[...] = xi
        widest_tol_sq, tiny_tol = stops[2], stops[4]
        descending = not isinstance(sign, np.ndarray) and sign > 0
        lr, update, gd = hyper.lr, self.update, self.gd
        sq, term = self.sq, self.term
        # Unchecked blocks: gd descending with every tol 0 (no run can converge, only diverge or
        # reach its limit, which ends the coast), on code the bounds understand.
        proving = gd and descending and not watch_sq
        if proving and self.bound is None and self.both is not None:
            self.bound = magnitude_bound(self.both)
            self.both = None  # asked once
        proving = proving and self.bound is not None
        widest_lr = float(np.max(np.abs(lr)))  # one lr, or each run's: the largest moves most
        ahead = 0  # steps the bounds have cleared
        k, u = 0, t
        while u < end:
            if proving and not ahead and u >= self.prove_from:
                ahead = self._cleared(blocks[k][n + 1 :], widest_lr, end - u)
                if not ahead:  # a run too far out for the bounds: check a few steps first
                    self.prove_from = u + self.prove_wait
                    self.prove_wait = min(2 * self.prove_wait, 64)
                else:
                    self.prove_wait = 1
            if ahead:  # ∇f alone, and the gd update: nothing else can happen at these steps
                bare = self.bare
                for _ in range(ahead):
                    evaluate, args, g_rows, x_rows, next_rows = bare[k]
                    evaluate(*args)
                    multiply(lr, g_rows, delta)
                    subtract(x_rows, delta, next_rows)
                    k ^= 1
                u += ahead
                ahead = 0
                continue
            evaluate, args = calls[k]
            evaluate(*args)
            total = 0.0
            for piece in pieces[k]:
                total += dot(piece, piece)
            if not total <= LIMIT:
                break
            g = grads[k]
            if watch_sq:  # ‖∇f‖² per run, summed as the lane's _measure sums it
                multiply(g[0], g[0], sq)
                for i in range(1, n):
                    multiply(g[i], g[i], term)
                    sq += term
                low = sq.min()
                if not (low > widest_tol_sq and (tiny_tol is None or low >= SQ_TINY)):
                    break
            if not descending:
                g = [gi * sign for gi in g]  # the loop's _signed
            here, there = xs[k], xs[k ^ 1]
            if gd and descending:  # the gd rule, lr·g, then x − delta: the loop's arithmetic
                multiply(lr, blocks[k][1 : n + 1], delta)  # (all coordinates in one call each)
                subtract(blocks[k][n + 1 :], delta, blocks[k ^ 1][n + 1 :])
            elif gd:
                for i in range(n):
                    multiply(lr, g[i], delta[i])
                    subtract(here[i], delta[i], there[i])
            else:
                # the rule itself (its state arrays are its own: from step 2 on no rule keeps g)
                for i in range(n):
                    d, states[i] = update(g[i], states[i], hyper, u + 1, ARRAY_OPS)
                    subtract(here[i], d, there[i])
            k ^= 1
            u += 1
        idle = u - t
        if not idle:
            if u < end:  # the dot did not clear step t: let the loop take a few alone
                self.resume = t + self.wait
                self.wait = min(2 * self.wait, 64)
            return x, x, states, 0
        self.wait = 1
        # copies: the loop keeps these in its State while the blocks are reused
        return (
            tuple([row.copy() for row in xs[k]]),
            tuple([row.copy() for row in xs[k ^ 1]]),
            states,
            idle,
        )
