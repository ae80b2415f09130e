"""The training-loop knobs around an optimizer step, as a lane applies them.

In the order a torch training loop applies them at each step t (1-based)::

    g = ±∇f(x)                                   loss.backward() (maximize negates)
    g = g + noise·ξ                               a stochastic gradient: ξ ~ N(0, 1), keyed below
    g = g·min(1, clip_norm/(‖g‖ + 1e-6))          torch.nn.utils.clip_grad_norm_
    g = clamp(g, −clip_value, clip_value)         torch.nn.utils.clip_grad_value_
    lr = the schedule's lr for step t             (scheduler.step() after each optimizer step)
    g = g + weight_decay·x                        the optimizer's L2 ``weight_decay``
    x = (1 − lr·weight_decay)·x                   AdamW's decoupled decay, instead of the line above
    x = x − delta(g)                              the rule of :mod:`.optimizers`

(torch's optimizers negate for ``maximize`` before their weight decay; the noise here is added to
the gradient the optimizer receives, so with ``--ascent`` it is added after the sign — ξ is
symmetric, so the distribution is the same.)

:class:`Knobs` wraps a lane's ``_updates`` and ``_advance`` hooks once, when the lane starts and
only if some knob is on: a descent without knobs runs the loop exactly as before, with no test per
step. Every operation is arithmetic on the lane's numbers — floats on the scalar lane, ``(R,)``
arrays on the vector lane — in the same order, so both lanes give the same bits.

The noise is counter-based: ξ for (seed, start, step, coordinate) is a hash of those four, turned
into a normal deviate by Box–Muller. So it needs no generator state, is the same whichever lane
steps a run and however runs are batched, and two runs from the same start with the same seed —
``--method gd --method adam`` — see the same noise, as if ``torch.manual_seed(seed)`` had been
called before each.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from gradcli.optimize.settings import CLIP_EPS

if TYPE_CHECKING:
    from gradcli.optimize.runs import RunPlan
    from gradcli.optimize.settings import Settings

Array = np.ndarray[Any, Any]

# splitmix64's constants: its increment (2⁶⁴/φ) and the two multipliers of its finaliser
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(k) for k in (30, 27, 31, 11))
_ULP53 = 2.0**-53


def _mix(z: Array) -> Array:
    """splitmix64 on a uint64 array: a bijection whose every output bit depends on every input
    bit (the arithmetic wraps modulo 2⁶⁴, as numpy's unsigned arrays do)."""
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def start_keys(seed: int, starts: Array) -> Array:
    """One 64-bit key per start (rows of ``starts``): the seed mixed with each coordinate's bits."""
    points = np.ascontiguousarray(np.asarray(starts, dtype=np.float64) + 0.0)  # −0.0 is 0.0
    bits = points.view(np.uint64).reshape(points.shape)
    key = np.full(len(points), _mix(np.array([seed], dtype=np.uint64))[0], dtype=np.uint64)
    for i in range(points.shape[1]):
        key = _mix(key ^ bits[:, i])
    return key


def gaussian(keys: Array, t: int, n: int) -> Array:
    """Standard normal deviates, ``(n, R)``: coordinate i of step t for each key. The same key, t
    and i give the same bits whatever R is (elementwise numpy, contiguous arrays)."""
    return _deviates(_mix(keys ^ np.uint64(t)), n)


def gaussian_steps(key: Array, first: int, count: int, n: int) -> Array:
    """:func:`gaussian` for one key over the steps first, ..., first + count − 1: ``(n, count)``,
    column j the bits ``gaussian(key, first + j, n)`` gives (the scalar lane draws a block at a
    time: one numpy call per step would cost more than the step)."""
    steps = np.arange(first, first + count, dtype=np.uint64)
    return _deviates(_mix(key[0] ^ steps), n)


def _deviates(step: Array, n: int) -> Array:
    """Box–Muller on two hashes of each (step key, coordinate): ``(n, len(step))``."""
    pairs = np.arange(n, dtype=np.uint64)[:, None] * np.uint64(2)
    a = _mix(step[None, :] ^ pairs)
    b = _mix(step[None, :] ^ (pairs + np.uint64(1)))
    u1 = ((a >> _S11).astype(np.float64) + 0.5) * _ULP53  # in (0, 1): log is finite
    u2 = (b >> _S11).astype(np.float64) * _ULP53  # in [0, 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos((2.0 * math.pi) * u2)


NOISE_BLOCK = 256  # steps of noise the scalar lane draws at once


class LaneView(Protocol):
    """What the knobs read of their lane (:class:`~.lane.Lane`, which imports this module)."""

    @property
    def ctx(self) -> Any: ...  # its LaneContext: ``n``, the coordinates

    @property
    def current(self) -> Any: ...  # the State being updated: ``x`` and ``runs``


class Knobs:
    """The knobs of one lane's runs (they share them: the engine groups runs by their knobs)."""

    def __init__(self, lane: LaneView, plans: Sequence[RunPlan], vector: bool) -> None:
        s: Settings = plans[0].settings
        self.lane = lane
        self.vector = vector
        self.n = lane.ctx.n
        self.schedule = s.schedule
        self.noise = s.noise
        self.clip_norm = s.clip_norm
        self.clip_value = s.clip_value
        self.decoupled = s.method == "adamw" and s.weight_decay != 0
        self.weight_decay = 0.0 if self.decoupled else s.weight_decay
        self.decay = s.weight_decay
        rates = [p.settings.lr for p in plans]
        # the base lr: a float when the runs share it (then the scheduled lr is a float too)
        self.base: Any = rates[0] if len(set(rates)) == 1 else np.array(rates)
        self.lr: Any = self.base  # the lr of the step in progress (after the schedule)
        self.keys = start_keys(s.seed, np.array([p.start for p in plans])) if self.noise else None
        self.counts: Any = np.zeros(len(plans), dtype=np.int64) if vector else 0
        self.run_ids = np.array([p.run for p in plans])
        self._runs: Any = None
        self._rows: Any = None
        self._first = -NOISE_BLOCK  # the scalar lane's block of noise: its first step, its rows
        self._block: list[list[float]] = []

    # --- what the lane calls ----------------------------------------------------------------------
    def wrap(self, updates: Callable[..., Any], advance: Callable[..., Any]) -> tuple[Any, Any]:
        """The lane's ``updates`` and ``advance`` with the knobs applied around them."""

        def knob_updates(
            update: Callable[..., Any], g: Sequence[Any], states: list[Any], h: Any, t: int
        ) -> tuple[Any, list[Any]]:
            rows, x = self._now(g, h)
            g = self._gradient(g, t, rows, x)
            return updates(update, g, states, self._hyper(h, t, rows), t)

        if not self.decoupled:
            return knob_updates, advance

        def decayed_advance(x: Any, prev_x: Any, deltas: Any) -> Any:
            keep = 1 - self.lr * self.decay  # torch AdamW: param.mul_(1 − lr·weight_decay)
            return advance([xi * keep for xi in x], prev_x, deltas)

        return knob_updates, decayed_advance

    def clipped(self, run: int) -> int:
        """On how many steps clipping changed ``run``'s gradient."""
        if not self.vector:
            return int(self.counts)
        return int(self.counts[int(np.searchsorted(self.run_ids, run))])

    # --- the steps ------------------------------------------------------------------------------------
    def _now(self, g: Sequence[Any], h: Any) -> tuple[Any, Sequence[Any]]:
        """The lane positions (vector lane; None on the scalar lane) and the points x of the runs
        this update is for. The lane's current State is the step's; when runs ended at this step,
        the lane has dropped them from g before the update, and they are dropped here too."""
        state = self.lane.current
        assert state is not None
        if not self.vector:
            return None, state.x
        runs, x = state.runs, state.x
        if runs is not self._runs:
            self._runs, self._rows = runs, np.searchsorted(self.run_ids, runs)
        rows = self._rows
        count = len(g[0]) if len(g) else len(np.atleast_1d(h.lr)) if self.schedule else len(rows)
        if count != len(rows):
            # VectorLane.event: -1 until a run ends (only a vector lane drops runs)
            going = getattr(self.lane, "event")[rows] < 0  # noqa: B009
            rows, x = rows[going], [xi[going] for xi in x]
        return rows, x

    def _gradient(self, g: Sequence[Any], t: int, rows: Any, x: Sequence[Any]) -> Sequence[Any]:
        keys = self.keys
        if keys is not None:  # noise
            if self.vector:
                xi = gaussian(keys[rows], t, self.n)
                g = [gi + self.noise * xi[i] for i, gi in enumerate(g)]
            else:
                if not self._first <= t < self._first + NOISE_BLOCK:
                    self._first = t
                    self._block = gaussian_steps(keys, t, NOISE_BLOCK, self.n).T.tolist()
                deviates = self._block[t - self._first]
                g = [gi + self.noise * e for gi, e in zip(g, deviates)]
        if self.clip_norm is not None or self.clip_value is not None:
            g = self._clip(g, rows)
        if self.weight_decay:
            wd = self.weight_decay
            g = [gi + wd * xi for gi, xi in zip(g, x)]  # torch: grad.add(param, alpha=wd)
        return g

    def _clip(self, g: Sequence[Any], rows: Any) -> Sequence[Any]:
        """Clipped by norm, then by value (whichever are on), counting the steps either changed."""
        if self.vector:
            active: Any = False
            if self.clip_norm is not None:
                g, active = _clip_norm_rows(g, self.clip_norm)
            if self.clip_value is not None:
                g, by_value = _clip_value_rows(g, self.clip_value)
                active = active | by_value
            if np.any(active):
                self.counts[rows] += active
            return g
        changed = False
        if self.clip_norm is not None:
            g, changed = _clip_norm(g, self.clip_norm)
        if self.clip_value is not None:
            g, by_value = _clip_value(g, self.clip_value)
            changed = changed or by_value
        self.counts += changed
        return g

    def _hyper(self, h: Any, t: int, rows: Any) -> Any:
        """The hyperparameters of step t: the scheduled lr in place of the base lr."""
        schedule = self.schedule
        if schedule is None:
            self.lr = h.lr
            return h
        # the schedule advances every run of the lane (finished ones too: harmless, and no
        # bookkeeping); the step's lr is that of the runs still going
        lr_all = self.lr_all = (
            schedule.initial(self.base) if t == 1 else schedule.next(t - 1, self.lr_all, self.base)
        )
        lr = lr_all[rows] if isinstance(lr_all, np.ndarray) else lr_all
        self.lr = lr
        return h._replace(lr=lr)

    lr_all: Any = None


# --- clipping, one run (floats) or many (arrays): the same operations ---------------------------
def _sum_sq(g: Sequence[Any]) -> Any:
    sq = g[0] * g[0]
    for gi in g[1:]:
        sq = sq + gi * gi
    return sq


def _clip_norm(g: Sequence[float], limit: float) -> tuple[Sequence[float], bool]:
    """torch.nn.utils.clip_grad_norm_ on one run's gradient: (the gradient, whether it clipped)."""
    coef = limit / (math.sqrt(_sum_sq(g)) + CLIP_EPS) if len(g) else 1.0
    if not coef < 1.0:
        return g, False
    return [gi * coef for gi in g], True


def _clip_norm_rows(g: Sequence[Array], limit: float) -> tuple[Sequence[Array], Array | bool]:
    if not len(g):
        return g, False
    coef = limit / (np.sqrt(_sum_sq(g)) + CLIP_EPS)
    active = coef < 1.0
    if not active.any():
        return g, False
    coef = np.minimum(coef, 1.0)  # torch multiplies by the clamped coef: ×1.0 leaves g as it is
    return [gi * coef for gi in g], active


def _clip_value(g: Sequence[float], limit: float) -> tuple[Sequence[float], bool]:
    """torch.nn.utils.clip_grad_value_: each coordinate clamped to [−limit, limit]."""
    if all(-limit <= gi <= limit for gi in g):
        return g, False
    return [limit if gi > limit else -limit if gi < -limit else gi for gi in g], True


def _clip_value_rows(g: Sequence[Array], limit: float) -> tuple[Sequence[Array], Array | bool]:
    active: Any = False
    for gi in g:
        active = active | (gi > limit) | (gi < -limit)
    if not np.any(active):
        return g, False
    return [np.clip(gi, -limit, limit) for gi in g], active
