"""The descent options of ``gradcli descend`` and ``gradcli plot --from ...`` (with the
training-loop knobs and the generated starts), declared once.

Each option is an ``Annotated`` type; a command declares it with its default. The descent
options are declared once, here: a command decorated with :func:`descent_options` takes one
``descent: DescentArgs`` parameter, and its ``--help`` lists the options in its place::

    @app.command()
    @descent_options
    def plot(expr: ExprArg, starts: FromOpt = None, descent: DescentArgs = DESCENT, ...):
        settings = descent.settings()
        points = load_points(starts, fn, option="--from")
        runs = gradcli.optimize.descend(compile_function(fn), [p.values for p in points], settings)

``--method`` and ``--lr`` are repeatable: the settings are their product (method-major), and with the
starts the runs are starts × settings. Values are checked by :class:`gradcli.optimize.Settings`
(exit 2 with one clear line), so every command reports a bad ``--lr`` the same way. The defaults
are :mod:`gradcli.optimize.settings`'s (which imports no numpy, so ``--help`` stays light).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from gradcli.optimize.settings import (
    ALL_METHODS,
    ALPHA,
    BETA1,
    BETA2,
    CURVATURE_METHODS,
    LR,
    METHOD,
    METHODS,
    MOMENTUM,
    STEPS,
    TOL,
)

if TYPE_CHECKING:
    from gradcli.optimize.settings import Settings

EVERY_METHOD = "all"  # --method all: every method Settings accepts (settings.ALL_METHODS)


# --- descent options ---------------------------------------------------------------------------
FromOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--from",
        "-s",
        metavar="P",
        help="A start: '3,1' or 'x=3,y=1'; repeatable; '-' reads one start per line from stdin.",
        show_default=False,
    ),
]
MethodOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--method",
        "-m",
        metavar="NAME",
        help=f"{', '.join(METHODS)} (default {METHOD}), or with curvature and a line search "
        f"instead of --lr: {', '.join(CURVATURE_METHODS)}; '{EVERY_METHOD}' for every method; "
        "repeatable, or a comma list: gd,adam.",
        show_default=False,
        autocompletion=lambda incomplete: [
            m for m in (*ALL_METHODS, EVERY_METHOD) if m.startswith(incomplete.lower())
        ],
    ),
]
LrOpt = Annotated[
    # text, not float: a comma list '0.01,0.05' is split and read by DescentArgs.settings
    list[str] | None,
    typer.Option(
        "--lr",
        metavar="LR",
        help=f"Learning rate (default {LR:g}); repeatable, or a comma list 0.01,0.05: one run per "
        f"value. {', '.join(CURVATURE_METHODS)} have none.",
        show_default=False,
    ),
]
MomentumOpt = Annotated[
    float, typer.Option("--momentum", metavar="MU", help="μ for momentum and nesterov.")
]
AlphaOpt = Annotated[
    float, typer.Option("--alpha", metavar="A", help="Smoothing constant of rmsprop.")
]
Beta1Opt = Annotated[float, typer.Option("--beta1", metavar="B1", help="Adam's β1.")]
Beta2Opt = Annotated[float, typer.Option("--beta2", metavar="B2", help="Adam's β2.")]
EpsOpt = Annotated[
    float | None,
    typer.Option(
        "--eps",
        metavar="EPS",
        help="Added to the denominator of adagrad, rmsprop, adam and adamw "
        "(default torch's: 1e-10 for adagrad, 1e-8 otherwise).",
        show_default=False,
    ),
]
LineSearchOpt = Annotated[
    bool,
    typer.Option(
        "--line-search",
        help="gd with Armijo backtracking: start at lr, halve until f drops enough.",
    ),
]
AscentOpt = Annotated[bool, typer.Option("--ascent", help="Climb (+∇f) instead of descending.")]
StepsOpt = Annotated[int, typer.Option("--steps", metavar="N", help="At most N steps per run.")]
TolOpt = Annotated[
    float,
    typer.Option("--tol", metavar="TOL", help="Stop when ‖∇f‖ ≤ TOL (0: never stop early)."),
]
# --- the training-loop knobs (gradcli.optimize.knobs): all off unless given ---
ScheduleOpt = Annotated[
    str | None,
    typer.Option(
        "--schedule",
        metavar="SPEC",
        help="Learning-rate schedule, as torch.optim.lr_scheduler: step:N[:GAMMA], exp:GAMMA, "
        "cosine[:T[:ETA_MIN]], linear[:N[:END]], or warmup:N[:START] before one of them "
        "(warmup:50,cosine:500).",
        show_default=False,
    ),
]
ScheduleStepsOpt = Annotated[
    int | None,
    typer.Option(
        "--schedule-steps",
        metavar="N",
        help="The schedule's length where SPEC leaves it out (cosine's T_max, step's step size, "
        "linear's steps; cosine and linear default to the run's --steps).",
        show_default=False,
    ),
]
WeightDecayOpt = Annotated[
    float | None,
    typer.Option(
        "--weight-decay",
        metavar="WD",
        help="torch's weight_decay: g + WD·x before the rule; adamw's is decoupled, "
        "x·(1 − lr·WD) (default 0, and 0.01 for adamw).",
        show_default=False,
    ),
]
ClipNormOpt = Annotated[
    float | None,
    typer.Option(
        "--clip-norm",
        metavar="C",
        help="Scale g down to norm C when it is longer (torch.nn.utils.clip_grad_norm_).",
        show_default=False,
    ),
]
ClipValueOpt = Annotated[
    float | None,
    typer.Option(
        "--clip-value",
        metavar="C",
        help="Clamp each coordinate of g to [−C, C] (torch.nn.utils.clip_grad_value_).",
        show_default=False,
    ),
]
NoiseOpt = Annotated[
    float,
    typer.Option(
        "--noise",
        metavar="SIGMA",
        help="Add SIGMA·N(0, 1) to each coordinate of ∇f at each step: a stochastic gradient.",
    ),
]
StartsOpt = Annotated[
    str | None,
    typer.Option(
        "--starts",
        metavar="N|grid:K",
        help="Generated starts: N uniform in --range (reproducible with --seed), or grid:K, K per "
        "axis; besides any --from.",
        show_default=False,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        metavar="S",
        help="Random seed: numpy default_rng for --starts (without it one is chosen and shown); "
        "the gradient noise's (--noise; default 0).",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class DescentArgs:
    """The descent options as a command received them (defaults: Settings')."""

    method: Sequence[str] | None = None  # names or comma lists; 'all' is every method
    lr: Sequence[float | str] | None = None  # numbers, or text: '0.1' or a comma list '0.01,0.05'
    momentum: float = MOMENTUM
    alpha: float = ALPHA
    beta1: float = BETA1
    beta2: float = BETA2
    eps: float | None = None
    line_search: bool = False
    ascent: bool = False
    steps: int = STEPS
    tol: float = TOL
    start_spec: str | None = None  # --starts N or grid:K (the commands call --from "starts")
    schedule: str | None = None
    schedule_steps: int | None = None
    weight_decay: float | None = None
    clip_norm: float | None = None
    clip_value: float | None = None
    noise: float = 0.0
    seed: int | None = None

    def settings(self) -> list[Settings]:
        """One :class:`~gradcli.optimize.Settings` per (method, lr) pair, methods outer, in the
        order given. Raises :class:`~gradcli.errors.UsageError` (exit 2) for an unknown method or a
        bad value."""
        from gradcli.optimize.settings import EPS_DEFAULT, WEIGHT_DECAY_DEFAULT, Settings

        methods = _methods(self.method) or [METHOD]
        rates = _rates(self.lr) or [LR]
        schedule = None
        if self.schedule is not None:
            from gradcli.optimize.schedules import parse_schedule

            schedule = parse_schedule(self.schedule, self.schedule_steps)
        elif self.schedule_steps is not None:
            from gradcli.errors import UsageError

            raise UsageError(
                "{schedule_steps} is the length of a schedule: give one with {schedule}",
                hint="e.g. {schedule} cosine {schedule_steps} 500",
                parameters=("schedule_steps", "schedule"),
            )
        decay = WEIGHT_DECAY_DEFAULT if self.weight_decay is None else self.weight_decay
        made = [
            Settings(
                method=m,
                lr=rate,
                momentum=self.momentum,
                alpha=self.alpha,
                beta1=self.beta1,
                beta2=self.beta2,
                line_search=self.line_search,
                ascent=self.ascent,
                steps=self.steps,
                tol=self.tol,
                eps=EPS_DEFAULT if self.eps is None else self.eps,  # the default is the method's
                schedule=schedule,
                weight_decay=decay,  # like eps: the default is the method's
                clip_norm=self.clip_norm,
                clip_value=self.clip_value,
                noise=self.noise,
                seed=0 if self.seed is None else self.seed,
            )
            for m in dict.fromkeys(methods)
            for rate in dict.fromkeys(rates)
        ]
        if self.lr and not any(s.uses_lr for s in made):
            from gradcli.errors import UsageError

            raise UsageError(
                f"--lr does not apply to {', '.join(dict.fromkeys(s.method for s in made))}: "
                "a line search picks every step",
                hint="drop --lr, or add a first-order --method (gd, adam, …) it applies to",
            )
        # a curvature method's Settings ignore lr: one run each, however many --lr were given
        return list(dict.fromkeys(made))


DESCENT = DescentArgs()  # the default of a command's ``descent`` parameter


def _elements(values: Sequence[Any]) -> list[Any]:
    """Repeated values and comma lists as one list: ['gd,adam', 'rmsprop'] → gd, adam, rmsprop."""
    out: list[Any] = []
    for value in values:
        out.extend(value.split(",") if isinstance(value, str) else [value])
    return out


def _methods(given: Sequence[str] | None) -> list[str]:
    """The methods asked for, in order; 'all' stands for every method Settings accepts (read now:
    the list grows as methods are added). An unknown name is left for Settings to refuse."""
    from gradcli.errors import UsageError
    from gradcli.optimize import settings

    methods: list[str] = []
    for name in _elements(given or ()):
        name = name.strip().lower()
        if not name:
            raise UsageError("{method}: an empty name in the list", parameters=("method",))
        methods.extend(settings.ALL_METHODS if name == EVERY_METHOD else [name])
    return methods


def _rates(given: Sequence[float | str] | None) -> list[float]:
    """The learning rates asked for, in order (a bad one is named; Settings checks the range)."""
    from gradcli.errors import UsageError

    rates: list[float] = []
    for value in _elements(given or ()):
        try:
            rates.append(float(value.strip() if isinstance(value, str) else value))
        except (TypeError, ValueError):
            raise UsageError(
                f"{{lr}}: {str(value).strip()!r} is not a number",
                hint="e.g. {lr} 0.01,0.05,0.1",
                parameters=("lr",),
            ) from None
    return rates


#: Each DescentArgs field's option, in the order ``--help`` lists them.
_DESCENT_OPTIONS: dict[str, Any] = {
    "method": MethodOpt,
    "lr": LrOpt,
    "momentum": MomentumOpt,
    "alpha": AlphaOpt,
    "beta1": Beta1Opt,
    "beta2": Beta2Opt,
    "eps": EpsOpt,
    "line_search": LineSearchOpt,
    "ascent": AscentOpt,
    "steps": StepsOpt,
    "tol": TolOpt,
    "start_spec": StartsOpt,
    "schedule": ScheduleOpt,
    "schedule_steps": ScheduleStepsOpt,
    "weight_decay": WeightDecayOpt,
    "clip_norm": ClipNormOpt,
    "clip_value": ClipValueOpt,
    "noise": NoiseOpt,
    "seed": SeedOpt,
}
assert list(_DESCENT_OPTIONS) == [f.name for f in fields(DescentArgs)]

Command = TypeVar("Command", bound=Callable[..., Any])


def descent_options(command: Command) -> Command:
    """``command`` with its ``descent: DescentArgs`` parameter replaced by the descent options.

    Typer reads a command's options from ``inspect.signature``: the wrapper's ``__signature__``
    lists the options where ``descent`` stood, and the wrapper hands ``command`` one DescentArgs.
    """
    signature = inspect.signature(command, eval_str=True)
    names = list(_DESCENT_OPTIONS)
    params: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        if param.name != "descent":
            params.append(param)
            continue
        params.extend(
            inspect.Parameter(
                name, param.kind, annotation=_DESCENT_OPTIONS[name], default=getattr(DESCENT, name)
            )
            for name in names
        )
    if len(params) != len(signature.parameters) + len(names) - 1:
        raise TypeError(f"{command.__name__} has no 'descent: DescentArgs' parameter")

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in names if name in kwargs}
        return command(*args, descent=DescentArgs(**given), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    wrapper.__annotations__["return"] = signature.return_annotation
    return wrapper  # type: ignore[return-value]
