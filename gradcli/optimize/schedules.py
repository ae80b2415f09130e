"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s exact arithmetic.

A :class:`Schedule` is at most a linear warm-up (torch's ``LinearLR`` rising to the base lr) and
one decay phase — ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR`` or a decaying ``LinearLR`` —
joined as torch joins them, ``SequentialLR([warm-up, decay], milestones=[warm-up length])``.

The lr torch's optimizer uses at its t-th step (t = 0, 1, ...; the scheduler steps once after each
optimizer step) is :meth:`Schedule.initial` for t = 0 and :meth:`Schedule.next` after that. Both
repeat torch's *recursive* formulas (``get_lr`` works from the previous lr, not from a closed
form), in its order of operations, so the sequence agrees with torch's to the last bit. They use
only arithmetic on ``lr`` and ``base`` (cosines are of Python floats computed from t alone), so the
same call advances one run's float or an ``(R,)`` array of runs with different base learning
rates, bit for bit alike. Pure Python: no numpy here.

The compact spec (``--schedule``), parsed by :func:`parse_schedule`::

    step:N[:GAMMA]        StepLR(step_size=N, gamma=GAMMA)           GAMMA default 0.1 (torch's)
    exp:GAMMA             ExponentialLR(gamma=GAMMA)
    cosine[:T[:ETA_MIN]]  CosineAnnealingLR(T_max=T, eta_min=ETA_MIN) ETA_MIN default 0
    linear[:N[:END]]      LinearLR(start_factor=1, end_factor=END, total_iters=N)  END default 0
    warmup:N[:START]      LinearLR(start_factor=START, total_iters=N) START default 1/3 (torch's)
    warmup:N[:START],PHASE   SequentialLR([warm-up, PHASE], milestones=[N])

A length left out (T of cosine, N of step or linear) comes from ``--schedule-steps``; cosine and
linear default to the rest of the run (``steps`` minus the warm-up).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from gradcli.errors import UsageError

#: The spellings a phase accepts, and the kind each means.
KINDS = {
    "step": "step",
    "steplr": "step",
    "exp": "exp",
    "exponential": "exp",
    "cosine": "cosine",
    "cos": "cosine",
    "linear": "linear",
    "warmup": "warmup",
}
FORMS = "step:N[:GAMMA], exp:GAMMA, cosine[:T[:ETA_MIN]], linear[:N[:END]], warmup:N[:START],PHASE"
STEP_GAMMA = 0.1  # torch StepLR's default gamma
WARMUP_START = 1.0 / 3  # torch LinearLR's default start_factor
_DEFAULTS = {"step": STEP_GAMMA, "cosine": 0.0, "linear": 0.0, "warmup": WARMUP_START}
_WHAT = {  # the phase's (length, value) in torch's words, for messages
    "step": ("step_size", "gamma"),
    "exp": (None, "gamma"),
    "cosine": ("T_max", "eta_min"),
    "linear": ("total_iters", "end_factor"),
    "warmup": ("total_iters", "start_factor"),
}

Num = Any  # a float, or an (R,) numpy array of one value per run (only arithmetic is used on it)


@dataclass(frozen=True)
class Phase:
    """One torch scheduler: ``length`` is StepLR's step_size, CosineAnnealingLR's T_max or
    LinearLR's total_iters (None for ExponentialLR, or not yet known); ``value`` the gamma (step,
    exp), eta_min (cosine), end_factor (linear) or start_factor (warmup)."""

    kind: str
    length: int | None
    value: float

    # --- torch's arithmetic, step by step (j: this scheduler's own last_epoch) -------------------
    def first(self, base: Num) -> Num:
        """The lr at this scheduler's epoch 0 when it starts the schedule (its initial step)."""
        if self.kind == "warmup":
            return base * self.value  # LinearLR: group["lr"] * start_factor
        if self.kind == "linear":
            return base * 1.0  # LinearLR(start_factor=1.0)
        return base  # StepLR, ExponentialLR, CosineAnnealingLR leave the lr as it is

    def closed(self, base: Num) -> Num:
        """The lr at epoch 0 when SequentialLR switches to this scheduler (``_update_lr(0)``: the
        closed form at 0)."""
        if self.kind in ("step", "exp"):
            return base * self.value**0  # base_lr * gamma ** 0
        if self.kind == "cosine":
            eta = self.value
            return eta + (base - eta) * (1 + math.cos(math.pi * 0 / self._length)) / 2
        # LinearLR(start_factor=1.0, end_factor=END): base * (start + (end - start) * 0 / N)
        return base * (1.0 + (self.value - 1.0) * min(self._length, 0) / self._length)

    def next(self, j: int, lr: Num, base: Num) -> Num:
        """The lr at this scheduler's epoch j ≥ 1, from the lr at j − 1 (torch's get_lr)."""
        kind, n = self.kind, self._length if self.kind != "exp" else 0
        if kind == "step":
            return lr * self.value if j % n == 0 else lr
        if kind == "exp":
            return lr * self.value
        if kind == "cosine":
            eta = self.value
            if (j - 1 - n) % (2 * n) == 0:
                return lr + (base - eta) * (1 - math.cos(math.pi / n)) / 2
            ratio = (1 + math.cos(math.pi * j / n)) / (1 + math.cos(math.pi * (j - 1) / n))
            return ratio * (lr - eta) + eta
        start, end = (self.value, 1.0) if kind == "warmup" else (1.0, self.value)
        if j > n:
            return lr
        return lr * (1.0 + (end - start) / (n * start + (j - 1) * (end - start)))

    @property
    def _length(self) -> int:
        assert self.length is not None, "a schedule is resolved (Schedule.resolved) before use"
        return self.length

    # --- how it reads --------------------------------------------------------------------------
    def spec(self) -> str:
        """The compact form, values at torch's defaults left out: 'cosine:500', 'step:100:0.5'."""
        if self.kind == "exp":
            return f"exp:{_number(self.value)}"
        parts = [self.kind, "" if self.length is None else str(self.length)]
        if self.value != _DEFAULTS[self.kind]:
            parts.append(_number(self.value))
        return ":".join(parts).rstrip(":")

    def torch(self) -> str:
        """The torch scheduler, its arguments at torch's defaults left out."""
        v = _number(self.value)
        default = self.value == _DEFAULTS.get(self.kind)
        if self.kind == "step":
            return f"StepLR(step_size={self.length}{'' if default else f', gamma={v}'})"
        if self.kind == "exp":
            return f"ExponentialLR(gamma={v})"
        if self.kind == "cosine":
            return f"CosineAnnealingLR(T_max={self.length}{'' if default else f', eta_min={v}'})"
        if self.kind == "linear":
            return f"LinearLR(start_factor=1.0, end_factor={v}, total_iters={self.length})"
        return f"LinearLR({'' if default else f'start_factor={v}, '}total_iters={self.length})"

    def words(self) -> str:
        v = f"{self.value:g}"
        if self.kind == "step":
            return f"lr × {v} every {self.length:,} steps"
        if self.kind == "exp":
            return f"lr × {v} every step"
        if self.kind == "cosine":
            return f"cosine annealing to {v} over {self.length:,} steps"
        if self.kind == "linear":
            return f"linear decay to {v}·lr over {self.length:,} steps"
        return f"linear warm-up from {v}·lr over {self.length:,} steps"


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: an optional warm-up, then an optional decay (one at least)."""

    decay: Phase | None
    warmup: Phase | None = None

    def initial(self, base: Num) -> Num:
        """The lr of the first optimizer step (t = 0)."""
        return (self.warmup or self._decay).first(base)

    def next(self, t: int, lr: Num, base: Num) -> Num:
        """The lr of optimizer step t ≥ 1, from the lr of step t − 1 and the base lr."""
        warm = self.warmup
        if warm is None:
            return self._decay.next(t, lr, base)
        n = warm._length
        if self.decay is None or t < n:
            return warm.next(t, lr, base)
        if t == n:
            return self.decay.closed(base)  # SequentialLR at its milestone
        return self.decay.next(t - n, lr, base)

    def lrs(self, base: float) -> Iterator[float]:
        """The lr of every optimizer step, t = 0, 1, 2, ... (endless)."""
        lr = self.initial(base)
        t = 0
        while True:
            yield lr
            t += 1
            lr = self.next(t, lr, base)

    def resolved(self, steps: int) -> Schedule:
        """Lengths left out (cosine's T_max, linear's total_iters) filled with the rest of the run:
        ``steps`` minus the warm-up (at least 1)."""
        decay = self.decay
        if decay is None or decay.length is not None or decay.kind == "exp":
            return self
        warm = self.warmup.length if self.warmup is not None else 0
        return replace(self, decay=replace(decay, length=max(1, steps - (warm or 0))))

    @property
    def _decay(self) -> Phase:
        assert self.decay is not None
        return self.decay

    def spec(self) -> str:
        """The compact form that reads back as this schedule: 'warmup:50,cosine:500'."""
        return ",".join(p.spec() for p in (self.warmup, self.decay) if p is not None)

    def torch(self) -> str:
        """The same schedule as torch code (the optimizer argument left out)."""
        if self.warmup is None:
            return self._decay.torch()
        if self.decay is None:
            return self.warmup.torch()
        return (
            f"SequentialLR([{self.warmup.torch()}, {self.decay.torch()}], "
            f"milestones=[{self.warmup.length}])"
        )

    def words(self) -> str:
        """'linear warm-up from 0.333333·lr over 50 steps, then cosine annealing to 0 over 500 steps'."""
        return ", then ".join(p.words() for p in (self.warmup, self.decay) if p is not None)


class LrAt:
    """A run's lr at its recorded steps, asked in step order: the lr of the update from x_t (torch's
    ``get_last_lr()`` before its t-th ``optimizer.step()``, t from 0), computed as the lanes compute
    it — so an ``lr_t`` column is the lr the run used. Without a schedule: the base lr."""

    def __init__(self, schedule: Schedule | None, base: float) -> None:
        self.schedule, self.base = schedule, base
        self.t = 0
        self.lr = base if schedule is None else schedule.initial(base)

    def at(self, step: int) -> float:
        schedule = self.schedule
        if schedule is not None:
            while self.t < step:
                self.t += 1
                self.lr = schedule.next(self.t, self.lr, self.base)
        return float(self.lr)


def parse_schedule(spec: str, length: int | None = None) -> Schedule:
    """The :class:`Schedule` a compact spec names (see the module docstring); ``length`` is
    ``--schedule-steps``: the decay phase's length where the spec leaves it out. A bad spec is a
    :class:`~gradcli.errors.UsageError` naming ``schedule`` (or ``schedule_steps``)."""
    text = spec.strip().lower()
    if not text:
        raise _bad(spec, "it is empty")
    pieces = [p.strip() for p in text.split(",")]
    if len(pieces) > 2:
        raise _bad(spec, "at most a warm-up and one more phase, e.g. warmup:50,cosine:500")
    phases = [_phase(p, spec) for p in pieces]
    warm = phases[0] if phases[0].kind == "warmup" else None
    rest = phases[1:] if warm is not None else phases
    if any(p.kind == "warmup" for p in rest):
        raise _bad(spec, "a warm-up comes first, and only once")
    if len(rest) > 1:
        raise _bad(spec, "one phase follows the warm-up, e.g. warmup:50,cosine:500")
    decay = rest[0] if rest else None
    if length is not None:
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise UsageError(
                f"{{schedule_steps}} must be a whole number ≥ 1, got {length!r}",
                parameters=("schedule_steps",),
            )
        if decay is None or decay.kind == "exp":
            what = "exp" if decay is not None else "a warm-up alone"
            raise UsageError(
                f"{{schedule_steps}} sets the length of step, cosine or linear; {what} has none",
                hint=f"drop {{schedule_steps}}, or give the length in {{schedule}} ({FORMS})",
                parameters=("schedule_steps", "schedule"),
            )
        if decay.length is not None and decay.length != length:
            raise UsageError(
                f"{{schedule}} {spec.strip()!r} already says {decay.length} steps, "
                f"and {{schedule_steps}} says {length}",
                hint="give the length once",
                parameters=("schedule", "schedule_steps"),
            )
        decay = replace(decay, length=length)
    if decay is not None and decay.kind == "step" and decay.length is None:
        raise _bad(spec, "step needs its step size, e.g. step:100 (or --schedule-steps 100)")
    return Schedule(decay, warm)


def _phase(piece: str, spec: str) -> Phase:
    name, *args = [a.strip() for a in piece.split(":")]
    kind = KINDS.get(name)
    if kind is None:
        import difflib

        close = difflib.get_close_matches(name, list(KINDS), n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        raise _bad(spec, f"{name!r} is no schedule{guess}")
    length_name, value_name = _WHAT[kind]
    takes = 1 if kind == "exp" else 2
    if len(args) > takes:
        raise _bad(spec, f"{name} takes at most {takes} value{'s' if takes > 1 else ''}")
    if kind == "exp":
        if not args or not args[0]:
            raise _bad(spec, "exp needs its gamma, e.g. exp:0.99")
        return Phase(kind, None, _value(args[0], value_name, spec, "> 0", lambda v: v > 0))
    length = _length(args[0], length_name or "", spec) if args and args[0] else None
    if kind == "warmup" and length is None:
        raise _bad(spec, "warmup needs its length, e.g. warmup:50")
    given = args[1] if len(args) > 1 and args[1] else None
    if kind == "step":
        value = STEP_GAMMA if given is None else _value(given, "gamma", spec, "> 0", _positive)
    elif kind == "cosine":
        value = 0.0 if given is None else _value(given, "eta_min", spec, "≥ 0", lambda v: v >= 0)
    elif kind == "linear":
        value = 0.0 if given is None else _value(given, "end_factor", spec, "in [0, 1]", _unit)
    else:
        value = (
            WARMUP_START
            if given is None
            else _value(given, "start_factor", spec, "in (0, 1]", lambda v: 0 < v <= 1)
        )
    return Phase(kind, length, value)


def _positive(v: float) -> bool:
    return v > 0


def _unit(v: float) -> bool:
    return 0 <= v <= 1


def _length(text: str, name: str, spec: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise _bad(spec, f"its {name} must be a whole number ≥ 1, got {text!r}")
    return value


def _value(text: str, name: str, spec: str, expected: str, ok: Any) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and ok(value)):
        raise _bad(spec, f"its {name} must be a finite number {expected}, got {text!r}")
    return value


def _bad(spec: str, why: str) -> UsageError:
    return UsageError(
        f"{{schedule}} {spec.strip()!r}: {why}",
        hint=f"forms: {FORMS}",
        parameters=("schedule",),
    )


def _number(value: float) -> str:
    """A value as short as it reads back exactly ('0.1', '0.3333333333333333')."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)
