"""Settings: one optimizer with its hyperparameters and stopping rule, validated on construction.

The one home of the descent defaults: the command line reads them from here. Imports nothing heavy
(no numpy), so ``gradcli --help`` can show them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gradcli.errors import UsageError
from gradcli.optimize.schedules import Schedule, parse_schedule

#: The first-order methods: each has an elementwise (init, update) pair in :mod:`.optimizers`.
METHODS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
#: The methods that use curvature, each stepped one run at a time by :mod:`.curvature` with its
#: own line search: they have no learning rate.
CURVATURE_METHODS = ("newton", "bfgs", "lbfgs", "cg")
#: Every method a Settings accepts, in the order --help lists them.
ALL_METHODS = METHODS + CURVATURE_METHODS

# The defaults: torch.optim's, except the learning rate (torch has none for SGD).
METHOD = "gd"
LR = 0.1
MOMENTUM = 0.9
ALPHA = 0.99
BETA1 = 0.9
BETA2 = 0.999
STEPS = 1000
TOL = 1e-6
ENDS = 5  # rows kept at each end of a run with keep="ends": what a table shows of a long run

ARMIJO_C = 1e-4  # sufficient-decrease constant of the Armijo line search
ARMIJO_SHRINK = 0.5  # the trial step is halved until the Armijo condition holds
ARMIJO_MAX_HALVINGS = 60  # lr·2⁻⁶⁰: beyond this the step is numerically nothing; take it anyway

# The curvature methods' constants (Nocedal & Wright; scipy.optimize's values where it has one).
WOLFE_C1 = 1e-4  # sufficient decrease of the strong Wolfe line search
WOLFE_C2 = 0.9  # its curvature condition for newton, bfgs and lbfgs
CG_C2 = 0.4  # ... and for cg (scipy's CG; Nocedal & Wright suggest 0.1)
LBFGS_MEMORY = 10  # the (s, y) pairs lbfgs keeps (scipy's L-BFGS-B default)
NEWTON_BETA = 1e-3  # the first shift τ of a Hessian that is not positive definite (N&W Alg. 3.3)
CURVATURE_LR = 1.0  # what a curvature method's Settings.lr holds: the longest first trial step α

#: Options of the first-order loop that a curvature method refuses when set, as field → the value
#: that means "not set". A new knob of the first-order loop (a schedule, clipping, noise, weight
#: decay) adds its field here, and ``Settings(method="bfgs", knob=...)`` says it does not apply.
FIRST_ORDER_ONLY: dict[str, Any] = {
    "line_search": False,
    "schedule": None,
    "weight_decay": 0.0,
    "clip_norm": None,
    "clip_value": None,
    "noise": 0.0,
}

#: The training-loop knobs, in the order a command line lists them (and compares runs across them).
KNOBS = ("schedule", "weight_decay", "clip_norm", "clip_value", "noise")


class _MethodDefault(float):
    """The ``eps`` default: torch uses 1e-8 for Adam and RMSprop but 1e-10 for Adagrad.

    A float subclass (not ``None``) keeps ``Settings.eps`` a float for every reader while still letting
    ``__post_init__`` tell "left at the default" from "set to 1e-8", to pick the method's own default.
    """


EPS_DEFAULT = _MethodDefault(1e-8)
ADAGRAD_EPS = 1e-10
WEIGHT_DECAY_DEFAULT = _MethodDefault(0.0)
ADAMW_WEIGHT_DECAY = 1e-2  # torch.optim.AdamW's default weight_decay (the other optimizers': 0)
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6)
SEED_LIMIT = 2**64  # the noise generator keys on 64 bits of the seed


@dataclass(frozen=True)
class Settings:
    """One method and its hyperparameters; the defaults are torch.optim's, except ``lr``.

    Invalid values raise :class:`~gradcli.errors.UsageError` here, so every caller (the CLI, the plot
    command, Python code) gets the same checks and messages.
    """

    method: str = METHOD  # gd | momentum | … | adam | adamw | newton | bfgs | lbfgs | cg
    lr: float = LR  # not used by the curvature methods: for them it always reads CURVATURE_LR
    momentum: float = MOMENTUM
    alpha: float = ALPHA
    beta1: float = BETA1
    beta2: float = BETA2
    eps: float = EPS_DEFAULT  # 1e-8, or 1e-10 for adagrad, when not given
    line_search: bool = False
    ascent: bool = False
    steps: int = STEPS
    tol: float = TOL
    # --- the training-loop knobs (all off by default; see :mod:`.knobs`) ---
    schedule: Schedule | None = None  # or its compact spec, 'warmup:50,cosine:500' (parsed here)
    weight_decay: float = WEIGHT_DECAY_DEFAULT  # L2 (decoupled for adamw); 0, or 0.01 for adamw
    clip_norm: float | None = None  # torch.nn.utils.clip_grad_norm_'s max_norm
    clip_value: float | None = None  # torch.nn.utils.clip_grad_value_'s clip_value
    noise: float = 0.0  # σ of the Gaussian noise added to ∇f
    seed: int = 0  # keys the noise
    # The knobs this run is compared across (``--clip-norm none,1``): its name tags them even
    # when they are off, "gd (no clipping)" beside "gd (clip-norm 1)", and CSV gives each a
    # column. How the run is shown, not what it computes: equal Settings stay equal without it.
    compared: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if type(self.eps) is _MethodDefault:
            object.__setattr__(self, "eps", ADAGRAD_EPS if self.method == "adagrad" else 1e-8)
        if type(self.weight_decay) is _MethodDefault:
            decay = ADAMW_WEIGHT_DECAY if self.method == "adamw" else 0.0
            object.__setattr__(self, "weight_decay", decay)
        if isinstance(self.schedule, str):
            object.__setattr__(self, "schedule", parse_schedule(self.schedule))
        self._validate()
        if self.method in CURVATURE_METHODS:
            # their line search picks every step: lr means nothing to them, and one value lets
            # --lr 0.01 --lr 0.1 (for the first-order methods) give each of them one run, not two
            object.__setattr__(self, "lr", CURVATURE_LR)
        if self.schedule is not None:
            object.__setattr__(self, "schedule", self.schedule.resolved(self.steps))

    def _validate(self) -> None:
        if self.method not in ALL_METHODS:
            raise UsageError(
                f"unknown method {self.method!r}{_did_you_mean(self.method)}",
                hint=f"choose one of: {', '.join(ALL_METHODS)}",
            )
        _check(self.lr, "lr", "a finite number > 0", lambda v: v > 0)
        if self.method in CURVATURE_METHODS:
            self._refuse_first_order_knobs()
        _check(self.momentum, "momentum", "a finite number ≥ 0", lambda v: v >= 0)
        if self.method == "nesterov" and not self.momentum > 0:
            raise UsageError(
                "nesterov needs {momentum} > 0",
                hint="e.g. {momentum} 0.9",
                parameters=("momentum",),
            )
        _check(self.alpha, "alpha", "in [0, 1]", lambda v: 0 <= v <= 1)
        _check(self.beta1, "beta1", "in [0, 1)", lambda v: 0 <= v < 1)
        _check(self.beta2, "beta2", "in [0, 1)", lambda v: 0 <= v < 1)
        _check(self.eps, "eps", "a finite number ≥ 0", lambda v: v >= 0)
        _check(self.tol, "tol", "a finite number ≥ 0 (0 never stops early)", lambda v: v >= 0)
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 0:
            raise UsageError(
                f"{{steps}} must be a whole number ≥ 0, got {self.steps!r}",
                parameters=("steps",),
            )
        if self.line_search and self.method != "gd":
            # Still names the flags: tests/test_optimize.py pins "line-search" in the message
            # (a template would say "line_search" in Python).
            raise UsageError(
                f"--line-search is Armijo backtracking for gd, not for {self.method}",
                hint="drop --line-search or use --method gd",
            )
        self._validate_knobs()

    def _validate_knobs(self) -> None:
        if self.schedule is not None and not isinstance(self.schedule, Schedule):
            raise UsageError(
                f"{{schedule}} must be a Schedule or its spec, got {self.schedule!r}",
                parameters=("schedule",),
            )
        _check(self.weight_decay, "weight_decay", "a finite number ≥ 0", lambda v: v >= 0)
        for name in ("clip_norm", "clip_value"):
            if getattr(self, name) is not None:
                _check(getattr(self, name), name, "a finite number > 0", lambda v: v > 0)
        _check(self.noise, "noise", "a finite number ≥ 0", lambda v: v >= 0)
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < SEED_LIMIT:
            raise UsageError(
                f"{{seed}} must be a whole number from 0 to 2**64 − 1, got {seed!r}",
                parameters=("seed",),
            )
        if self.line_search and self.knobs is not None:
            first = next(iter(self.knob_values()))
            raise UsageError(
                f"--line-search picks each step's size itself; it cannot go with {{{first}}}",
                hint=f"drop --line-search or {{{first}}}",
                parameters=(first,),
            )

    # --- the knobs ---------------------------------------------------------------------------------
    def knob_values(self) -> dict[str, Any]:
        """The knobs that are on, by name (AdamW's weight decay counts: it is its rule's)."""
        knobs: dict[str, Any] = {}
        if self.schedule is not None:
            knobs["schedule"] = self.schedule
        if self.weight_decay:
            knobs["weight_decay"] = self.weight_decay
        if self.clip_norm is not None:
            knobs["clip_norm"] = self.clip_norm
        if self.clip_value is not None:
            knobs["clip_value"] = self.clip_value
        if self.noise:
            knobs.update(noise=self.noise, seed=self.seed)
        return knobs

    @property
    def knobs(self) -> tuple[Any, ...] | None:
        """The knobs as one hashable value (None: none is on) — runs computed together share it."""
        if (  # the common case first, cheaply: the engine asks once per run
            self.schedule is None
            and not self.weight_decay
            and self.clip_norm is None
            and self.clip_value is None
            and not self.noise
        ):
            return None
        return tuple(self.knob_values().items())

    def _refuse_first_order_knobs(self) -> None:
        for name, unset in FIRST_ORDER_ONLY.items():
            if getattr(self, name, unset) == unset:
                continue
            if name == "line_search":  # still names the flag, as gd's refusal does
                raise UsageError(
                    f"--line-search is Armijo backtracking for gd; {self.method} has its own "
                    "strong-Wolfe line search",
                    hint=f"drop --line-search, or run gd with it beside {self.method}",
                )
            raise UsageError(
                f"{{{name}}} applies to the first-order methods, not to {self.method}, whose "
                "line search picks every step",
                hint=f"drop {{{name}}}, or compare {self.method} with a first-order method without it",
                parameters=(name,),
            )

    @property
    def uses_lr(self) -> bool:
        """Whether ``lr`` is this method's learning rate (the curvature methods have none)."""
        return self.method not in CURVATURE_METHODS

    # --- how a run states what it did --------------------------------------------------------------
    def hyperparameters(self) -> dict[str, float]:
        """Every hyperparameter the method uses (and only those), by name."""
        if self.method in CURVATURE_METHODS:
            return _curvature_hyperparameters(self.method)
        params: dict[str, float] = {"lr": self.lr}
        if self.method in ("momentum", "nesterov"):
            params["momentum"] = self.momentum
        elif self.method == "adagrad":
            params["eps"] = self.eps
        elif self.method == "rmsprop":
            params.update(alpha=self.alpha, eps=self.eps)
        elif self.method in ("adam", "adamw"):
            params.update(beta1=self.beta1, beta2=self.beta2, eps=self.eps)
        if self.line_search:
            params.update(armijo_c=ARMIJO_C, shrink=ARMIJO_SHRINK)
        # the knobs that are on (a schedule is no number: see ``schedule``)
        params.update({k: v for k, v in self.knob_values().items() if k != "schedule"})
        return params

    @property
    def name(self) -> str:
        """The method as a person reads it: 'gd', 'gd+line-search', 'adam (ascent)',
        'gd (clip-norm 1)': the knobs that change its path, so runs that differ can be told apart
        in a legend or a summary."""
        tags = self.tags
        return self.base_name + (f" ({', '.join(tags)})" if tags else "")

    @property
    def base_name(self) -> str:
        """'gd', 'gd+line-search': the method and how it steps, without the knobs around it."""
        return self.method + ("+line-search" if self.line_search else "")

    @property
    def tags(self) -> list[str]:
        """What tells this run's path apart besides the method: 'ascent', a schedule, 'wd 0.01',
        'clip-norm 1' or 'no clipping' (when compared with clipping), 'noise 0.5' …"""
        tags = ["ascent"] if self.ascent else []
        compared = self.compared
        if self.schedule is not None:
            tags.append(self.schedule.spec())
        elif "schedule" in compared:
            tags.append("constant lr")
        if "weight_decay" in compared or (self.weight_decay and self.method != "adamw"):
            tags.append(f"wd {self.weight_decay:g}")  # adamw's own default goes unsaid
        if self.clip_norm is not None:
            tags.append(f"clip-norm {self.clip_norm:g}")
        if self.clip_value is not None:
            tags.append(f"clip-value {self.clip_value:g}")
        if self.clip_norm is None and self.clip_value is None:
            if "clip_norm" in compared or "clip_value" in compared:
                tags.append("no clipping")
        elif self.clip_norm is None and "clip_norm" in compared:
            tags.append("no clip-norm")
        elif self.clip_value is None and "clip_value" in compared:
            tags.append("no clip-value")
        if self.noise:
            tags.append(f"noise {self.noise:g}")
        elif "noise" in compared:
            tags.append("no noise")
        return tags

    def compared_values(self) -> dict[str, Any]:
        """The compared knobs' values, for a machine (CSV's columns): the schedule's spec or
        'constant', a number, or None for clipping that is off."""
        values: dict[str, Any] = {}
        for knob in self.compared:
            if knob == "schedule":
                values[knob] = self.schedule.spec() if self.schedule is not None else "constant"
            else:
                values[knob] = getattr(self, knob)
        return values

    def describe(self) -> str:
        """'adam lr=0.02 beta1=0.9 beta2=0.999 eps=1e-08': the method and every hyperparameter."""
        params = " ".join(f"{k}={v:g}" for k, v in self.hyperparameters().items())
        return f"{self.name} {params}"  # a schedule is in the name

    def rule(self) -> str:
        """The update rule, in symbols, exactly as the optimizer applies it."""
        if self.knobs is not None:
            return self._knob_rule()
        grad = "g = −∇f(x) (ascent)" if self.ascent else "g = ∇f(x)"
        if self.method in CURVATURE_METHODS:
            goal = "minimises −f (ascent)" if self.ascent else "minimises f"
            return f"{goal}; {CURVATURE_RULES[self.method]}"
        if self.method == "gd":
            sign = "+" if self.ascent else "−"
            if not self.line_search:
                return f"x ← x {sign} lr·∇f(x)"
            better = "≥ f(x) +" if self.ascent else "≤ f(x) −"
            return (
                f"x ← x {sign} a·∇f(x), a = lr·2⁻ᵏ for the smallest k ≥ 0 with "
                f"f(x {sign} a·∇f(x)) {better} {ARMIJO_C:g}·a·‖∇f(x)‖² (Armijo backtracking)"
            )
        return f"{grad}; {_RULES[self.method]}"

    def _knob_rule(self) -> str:
        """The rule with the knobs, in the order a torch loop applies them: noise on the gradient
        (before clip_grad_*_), clipping, then the optimizer's weight decay and step."""
        grad = "g = −∇f(x)" if self.ascent else "g = ∇f(x)"
        if self.noise:
            grad += " + noise·ξ, ξ ~ N(0, 1) per coordinate and step"
        parts = [grad]
        if self.clip_norm is not None:
            parts.append(f"g ← g·min(1, clip_norm/(‖g‖ + {CLIP_EPS:g}))")
        if self.clip_value is not None:
            parts.append("g ← clamp(g, −clip_value, clip_value)")
        if self.weight_decay and self.method != "adamw":
            parts.append("g ← g + weight_decay·x")
        if self.method == "adamw":
            parts.append("x ← (1 − lr·weight_decay)·x")
        parts.append("x ← x − lr·g" if self.method == "gd" else _RULES[self.method])
        text = "; ".join(parts)
        if self.schedule is not None:
            text = text.replace("lr", "lrₜ") + f"; lrₜ: {self.schedule.words()}"
        return text


_RULES = {
    "momentum": "b ← μ·b + g (b = g on the first step); x ← x − lr·b",
    "nesterov": "b ← μ·b + g (b = g on the first step); x ← x − lr·(g + μ·b)",
    "adagrad": "s ← s + g² (s = 0 at first); x ← x − lr·g/(√s + eps), elementwise",
    "rmsprop": "v ← α·v + (1−α)·g² (v = 0 at first); x ← x − lr·g/(√v + eps), elementwise",
    "adam": "m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ); "
    "x ← x − lr·m̂/(√v̂ + eps), elementwise",
}
_RULES["adamw"] = _RULES["adam"]


#: The curvature methods' rules, in words that match :mod:`.newton`, :mod:`.quasi_newton`,
#: :mod:`.conjugate` and :mod:`.wolfe`.
_WOLFE = "α from a strong-Wolfe line search"
CURVATURE_RULES = {
    "newton": "x ← x + α·p, (∇²f(x) + τI)·p = −∇f(x) with τ = 0 where ∇²f is positive definite, "
    "else the first of β, 2β, 4β, … that makes it so (Nocedal–Wright Alg. 3.3); "
    f"{_WOLFE} trying α = 1 first",
    "bfgs": "x ← x − α·H·∇f(x); H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ with s = x′ − x, "
    f"y = ∇f(x′) − ∇f(x), ρ = 1/(yᵀs), H = I at first; {_WOLFE}",
    "lbfgs": "x ← x − α·H·∇f(x), H·∇f by the two-loop recursion over the last m pairs "
    f"(s, y) with H₀ = (sᵀy/yᵀy)·I; {_WOLFE}",
    "cg": "x ← x + α·p; p ← −∇f(x) + β·p with β = max(0, ∇f(x′)ᵀ(∇f(x′) − ∇f(x))/‖∇f(x)‖²) "
    f"(Polak–Ribière+), p = −∇f(x) at the start and when p is not downhill; {_WOLFE}",
}


def _curvature_hyperparameters(method: str) -> dict[str, float]:
    params: dict[str, float] = {"c1": WOLFE_C1, "c2": CG_C2 if method == "cg" else WOLFE_C2}
    if method == "newton":
        params["beta"] = NEWTON_BETA
    elif method == "lbfgs":
        params["memory"] = LBFGS_MEMORY
    return params


def _check(value: Any, name: str, expected: str, ok: Any) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and ok(number)):
        raise UsageError(f"{{{name}}} must be {expected}, got {value!r}", parameters=(name,))


def _did_you_mean(method: str) -> str:
    aliases = {
        "sgd": "gd",
        "gradient": "gd",
        "rms": "rmsprop",
        "nag": "nesterov",
        "l-bfgs": "lbfgs",
        "l-bfgs-b": "lbfgs",
        "newton-cg": "newton",
        "conjugate": "cg",
    }
    guess = aliases.get(method.lower())
    if guess is None:
        import difflib

        close = difflib.get_close_matches(method.lower(), ALL_METHODS, n=1)
        guess = close[0] if close else None
    return f" (did you mean {guess}?)" if guess else ""
