"""The optimizers: small pure ``(init, update)`` pairs with the update rules of ``torch.optim``.

Every optimizer here is *elementwise*: coordinate i of the update depends only on coordinate i of the
gradient and of the optimizer's state. So one rule serves both engines in :mod:`.engine` unchanged —
called with float scalars it advances one coordinate of one run, called with ``(R,)``
arrays it advances one coordinate of R runs at once — and the two give bit-identical numbers.

``update(g, state, hyper, t, ops)`` receives the gradient g (already negated for ascent, exactly like
torch's ``maximize=True``), the state, the hyperparameters, the 1-based step number t and the
arithmetic backend ``ops``; it returns ``(delta, new_state)`` and the engine sets ``x ← x − delta``.
The order of operations follows torch's CPU kernels (``buf.mul_(μ).add_(g)``, ``addcmul``,
``addcdiv``, ``lerp``), so results agree with ``torch.optim`` to the last bit or two: torch fuses some
multiply-adds (fma), which numpy cannot.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeAlias

import numpy as np

from gradcli.optimize.settings import METHODS

#: One coordinate of one run (a float) or of many runs (an ``(R,)`` float64 array).
#: Hyperparameters are Python floats when every run of a group shares them, else ``(R,)`` arrays.
Num: TypeAlias = Any


class Hyper(NamedTuple):
    """The hyperparameters of one group of runs (floats, or one value per run)."""

    lr: Num
    momentum: Num
    alpha: Num
    beta1: Num
    beta2: Num
    eps: Num


class Ops(NamedTuple):
    """The few non-operator functions an update needs, for scalars or for arrays."""

    sqrt: Callable[[Num], Num]
    lerp: Callable[[Num, Num, Num], Num]


def _scalar_lerp(start: Num, end: Num, weight: Num) -> Num:
    # torch.lerp's formula: the branch keeps it exact at both ends of the weight range.
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def _array_lerp(start: Num, end: Num, weight: Num) -> Num:
    if np.ndim(weight) == 0:
        return _scalar_lerp(start, end, weight)
    small = np.abs(weight) < 0.5
    if small.all():
        return start + weight * (end - start)
    if not small.any():
        return end - (end - start) * (1 - weight)
    return np.where(small, start + weight * (end - start), end - (end - start) * (1 - weight))


#: For one run: Python floats (math.sqrt is ~10x faster than np.sqrt on a scalar). Python raises
#: ZeroDivisionError where numpy gives inf/nan (possible only with eps = 0); the engine then redoes
#: that update with NUMPY_SCALAR_OPS on numpy scalars, so the result is numpy's either way.
FLOAT_OPS = Ops(math.sqrt, _scalar_lerp)
NUMPY_SCALAR_OPS = Ops(np.sqrt, _scalar_lerp)
ARRAY_OPS = Ops(np.sqrt, _array_lerp)


# --- states -----------------------------------------------------------------------------------
class GDState(NamedTuple):
    """Plain gradient descent keeps no state."""


class MomentumState(NamedTuple):
    buf: Num  # the momentum buffer b (torch: 'momentum_buffer')


class AdagradState(NamedTuple):
    sum: Num  # the running sum of squared gradients s (torch: 'sum'); starts at 0


class RMSpropState(NamedTuple):
    square_avg: Num  # the moving average v of g² (torch: 'square_avg'); starts at 0


class AdamState(NamedTuple):
    exp_avg: Num  # m, the moving average of g
    exp_avg_sq: Num  # v, the moving average of g²


State: TypeAlias = GDState | MomentumState | AdagradState | RMSpropState | AdamState


class Optimizer(NamedTuple):
    """An ``(init, update)`` pair: ``init(zero)`` builds the state from a zero of the right shape."""

    init: Callable[[Num], Any]
    update: Callable[[Num, Any, Hyper, int, Ops], tuple[Num, Any]]


# --- the rules --------------------------------------------------------------------------------
def _gd_init(zero: Num) -> GDState:
    return GDState()


def _gd_update(g: Num, state: GDState, h: Hyper, t: int, ops: Ops) -> tuple[Num, GDState]:
    # torch SGD: param.add_(grad, alpha=-lr)
    return h.lr * g, state


def _momentum_init(zero: Num) -> MomentumState:
    return MomentumState(zero)


def _momentum_buffer(g: Num, state: MomentumState, h: Hyper, t: int) -> Num:
    # torch SGD: the buffer is a clone of the first gradient, then buf.mul_(momentum).add_(grad)
    return g if t == 1 else state.buf * h.momentum + g


def _momentum_update(
    g: Num, state: MomentumState, h: Hyper, t: int, ops: Ops
) -> tuple[Num, MomentumState]:
    buf = _momentum_buffer(g, state, h, t)
    return h.lr * buf, MomentumState(buf)


def _nesterov_update(
    g: Num, state: MomentumState, h: Hyper, t: int, ops: Ops
) -> tuple[Num, MomentumState]:
    buf = _momentum_buffer(g, state, h, t)
    # torch SGD(nesterov=True): grad = grad.add(buf, alpha=momentum)
    return h.lr * (g + h.momentum * buf), MomentumState(buf)


def _adagrad_init(zero: Num) -> AdagradState:
    return AdagradState(zero)  # torch's initial_accumulator_value = 0


def _adagrad_update(
    g: Num, state: AdagradState, h: Hyper, t: int, ops: Ops
) -> tuple[Num, AdagradState]:
    # torch Adagrad (lr_decay 0): sum.addcmul_(g, g, value=1); std = sum.sqrt().add_(eps);
    # param.addcdiv_(g, std, value=-lr)
    total = state.sum + g * g
    return (h.lr * g) / (ops.sqrt(total) + h.eps), AdagradState(total)


def _rmsprop_init(zero: Num) -> RMSpropState:
    return RMSpropState(zero)


def _rmsprop_update(
    g: Num, state: RMSpropState, h: Hyper, t: int, ops: Ops
) -> tuple[Num, RMSpropState]:
    # torch RMSprop (not centered, no momentum): square_avg.mul_(alpha).addcmul_(g, g, value=1-alpha);
    # avg = square_avg.sqrt().add_(eps); param.addcdiv_(g, avg, value=-lr)
    avg = state.square_avg * h.alpha + ((1 - h.alpha) * g) * g
    return (h.lr * g) / (ops.sqrt(avg) + h.eps), RMSpropState(avg)


def _adam_init(zero: Num) -> AdamState:
    return AdamState(zero, zero)


def _adam_update(g: Num, state: AdamState, h: Hyper, t: int, ops: Ops) -> tuple[Num, AdamState]:
    # torch Adam (single-tensor, amsgrad off): exp_avg.lerp_(g, 1-beta1);
    # exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2); step_size = lr / (1 - beta1**t);
    # denom = exp_avg_sq.sqrt() / sqrt(1 - beta2**t) + eps; param.addcdiv_(exp_avg, denom, -step_size)
    m = ops.lerp(state.exp_avg, g, 1 - h.beta1)
    v = state.exp_avg_sq * h.beta2 + ((1 - h.beta2) * g) * g
    step_size = h.lr / (1 - h.beta1**t)
    denom = ops.sqrt(v) / ops.sqrt(1 - h.beta2**t) + h.eps
    return (step_size * m) / denom, AdamState(m, v)


OPTIMIZERS: dict[str, Optimizer] = {
    "gd": Optimizer(_gd_init, _gd_update),
    "momentum": Optimizer(_momentum_init, _momentum_update),
    "nesterov": Optimizer(_momentum_init, _nesterov_update),
    "adagrad": Optimizer(_adagrad_init, _adagrad_update),
    "rmsprop": Optimizer(_rmsprop_init, _rmsprop_update),
    "adam": Optimizer(_adam_init, _adam_update),
    # torch AdamW = Adam's step after param.mul_(1 − lr·weight_decay): that decoupled decay scales
    # x itself, not g, so the loop applies it (see .knobs); the rule is Adam's
    "adamw": Optimizer(_adam_init, _adam_update),
}
# The curvature methods (settings.CURVATURE_METHODS) are not elementwise: .curvature steps them.
assert tuple(OPTIMIZERS) == METHODS, "every first-order method has exactly one rule"
