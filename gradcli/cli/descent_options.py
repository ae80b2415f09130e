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

``--method``, ``--lr`` and the training-loop knobs (``--schedule``, ``--weight-decay``,
``--clip-norm``, ``--clip-value``, ``--noise``) are repeatable: the settings are their product
(method-major, then lr, then the knobs in that order), so one figure or table compares a run with
and without a knob (``--clip-norm none,1``); with the starts the runs are starts × settings. Values are checked by :class:`gradcli.optimize.Settings`
(exit 2 with one clear line), so every command reports a bad ``--lr`` the same way. The defaults
are :mod:`gradcli.optimize.settings`'s (which imports no numpy, so ``--help`` stays light).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
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
Knob = float | str | Sequence[float | str] | None  # a knob's value(s) in DescentArgs


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
# Each knob is repeatable, and (but --schedule, whose spec has commas) takes a comma list: one
# run per value, 'none' (a clip) / 0 / 'constant' (a schedule) being the run without it.
ScheduleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--schedule",
        metavar="SPEC",
        help="Learning-rate schedule, as torch.optim.lr_scheduler: step:N[:GAMMA], exp:GAMMA, "
        "cosine[:T[:ETA_MIN]], linear[:N[:END]], or warmup:N[:START] before one of them "
        "(warmup:50,cosine:500); 'constant' is none. Repeatable: one run per schedule "
        "(--schedule constant --schedule cosine).",
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
    list[str] | None,
    typer.Option(
        "--weight-decay",
        metavar="WD",
        help="torch's weight_decay: g + WD·x before the rule; adamw's is decoupled, "
        "x·(1 − lr·WD) (default 0, and 0.01 for adamw). Repeatable, or a comma list: 0,0.1.",
        show_default=False,
    ),
]
ClipNormOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--clip-norm",
        metavar="C",
        help="Scale g down to norm C when it is longer (torch.nn.utils.clip_grad_norm_). "
        "Repeatable, or a comma list; 'none' is no clipping: none,1.",
        show_default=False,
    ),
]
ClipValueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--clip-value",
        metavar="C",
        help="Clamp each coordinate of g to [−C, C] (torch.nn.utils.clip_grad_value_). "
        "Repeatable, or a comma list; 'none' is no clipping: none,0.5.",
        show_default=False,
    ),
]
NoiseOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--noise",
        metavar="SIGMA",
        help="Add SIGMA·N(0, 1) to each coordinate of ∇f at each step: a stochastic gradient "
        "(default 0). Repeatable, or a comma list: 0,0.5.",
        show_default=False,
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
    # the knobs: a value, or several (text may be a comma list, but a schedule's)
    schedule: str | Sequence[str] | None = None  # a spec, or 'constant' for none
    schedule_steps: int | None = None
    weight_decay: Knob = None
    clip_norm: Knob = None  # a number, or 'none'
    clip_value: Knob = None
    noise: Knob = None
    seed: int | None = None

    @property
    def noisy(self) -> bool:
        """Whether some run has gradient noise (then --seed is the noise's)."""
        return any(v for v in _numbers(self.noise, "noise"))

    def given(self) -> list[str]:
        """The descent options given (set away from their defaults), as flags, in --help order:
        what ``plot`` refuses without a start (there would be no descent for them to shape)."""
        return [
            "--" + name.replace("_", "-")
            for name in _DESCENT_OPTIONS
            if name not in ("start_spec", "seed") and getattr(self, name) != getattr(DESCENT, name)
        ]

    def settings(self) -> list[Settings]:
        """One :class:`~gradcli.optimize.Settings` per (method, lr, knobs) combination: methods
        outer, then the learning rates, then each knob's values (schedule, weight decay, clip
        norm, clip value, noise), in the order given. A curvature method, which refuses the
        knobs, gets the combinations without any. Raises :class:`~gradcli.errors.UsageError`
        (exit 2) for an unknown method, a bad value, or more than
        :data:`KNOB_COMBINATIONS_MAX` knob combinations."""
        from gradcli.errors import UsageError
        from gradcli.optimize.settings import EPS_DEFAULT, WEIGHT_DECAY_DEFAULT, Settings

        methods = list(dict.fromkeys(_methods(self.method) or [METHOD]))
        rates = _rates(self.lr) or [LR]
        lists: dict[str, list[Any]] = {
            "schedule": _schedules(self.schedule, self.schedule_steps),
            # like eps: the default is the method's (0, or 0.01 for adamw)
            "weight_decay": _numbers(self.weight_decay, "weight_decay") or [WEIGHT_DECAY_DEFAULT],
            "clip_norm": _numbers(self.clip_norm, "clip_norm", off=True) or [None],
            "clip_value": _numbers(self.clip_value, "clip_value", off=True) or [None],
            "noise": _numbers(self.noise, "noise") or [0.0],
        }
        lists = {name: list(dict.fromkeys(values)) for name, values in lists.items()}
        combinations = math.prod(len(values) for values in lists.values())
        if combinations > KNOB_COMBINATIONS_MAX:
            sizes = " × ".join(f"{len(v)} {{{name}}}" for name, v in lists.items() if len(v) > 1)
            raise UsageError(
                f"the knob lists make {combinations:,} runs per method, lr and start ({sizes}); "
                f"at most {KNOB_COMBINATIONS_MAX}",
                hint="compare fewer values at once",
                parameters=tuple(name for name, v in lists.items() if len(v) > 1),
            )
        compared = tuple(name for name, values in lists.items() if len(values) > 1)
        every = [dict(zip(lists, c)) for c in itertools.product(*lists.values())]
        curvature_only = all(m in CURVATURE_METHODS for m in methods)
        made: list[Settings] = []
        for m in methods:
            # a curvature method runs without the knobs (as it has no lr); with the knob lists
            # offering no run without them, its Settings says why it refuses them
            combos = every
            if m in CURVATURE_METHODS and not curvature_only:
                combos = [k for k in every if not any(_on(name, v) for name, v in k.items())]
                combos = combos or every[:1]
            for rate in dict.fromkeys(rates):
                for knobs in combos:
                    made.append(
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
                            # the default is the method's
                            eps=EPS_DEFAULT if self.eps is None else self.eps,
                            seed=0 if self.seed is None else self.seed,
                            compared=() if m in CURVATURE_METHODS else compared,
                            **knobs,
                        )
                    )
        if self.lr and not any(s.uses_lr for s in made):
            raise UsageError(
                f"--lr does not apply to {', '.join(dict.fromkeys(s.method for s in made))}: "
                "a line search picks every step",
                hint="drop --lr, or add a first-order --method (gd, adam, …) it applies to",
            )
        # a curvature method's Settings ignore lr: one run each, however many --lr were given
        return list(dict.fromkeys(made))


DESCENT = DescentArgs()  # the default of a command's ``descent`` parameter

#: At most this many combinations of the knob lists (each a lane of its own in the engine, and a
#: line of its own in a legend): --noise 0,0.1,0.2 --clip-norm none,1 is 6.
KNOB_COMBINATIONS_MAX = 100
CONSTANT = ("constant", "none")  # --schedule constant: the run without a schedule
OFF = "none"  # --clip-norm none: the run without clipping


def _on(name: str, value: Any) -> bool:
    """Whether a knob's value turns it on (the curvature methods' refusal's test)."""
    if name in ("schedule", "clip_norm", "clip_value"):
        return value is not None
    return bool(value)  # weight decay's method default is 0.0 for them


def _listed(value: Any) -> list[Any]:
    """A knob's value(s) as a list: None is none given; one value, or a sequence of them."""
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [value]
    return list(value)


def _schedules(given: str | Sequence[str] | None, length: int | None) -> list[Any]:
    """The schedules asked for, parsed ('constant': None, no schedule); [None] without any."""
    from gradcli.errors import UsageError
    from gradcli.optimize.schedules import parse_schedule

    specs = [str(v).strip() for v in _listed(given)]
    schedules = [None if s.lower() in CONSTANT else parse_schedule(s, length) for s in specs]
    if length is not None and not any(s is not None for s in schedules):
        raise UsageError(
            "{schedule_steps} is the length of a schedule: give one with {schedule}",
            hint="e.g. {schedule} cosine {schedule_steps} 500",
            parameters=("schedule_steps", "schedule"),
        )
    return schedules or [None]


def _numbers(given: Knob, name: str, off: bool = False) -> list[float | None]:
    """A knob's numbers in order (comma lists split; with ``off``, 'none' is None); the range is
    Settings' to check. A word that is no number is named."""
    from gradcli.errors import UsageError

    values: list[float | None] = []
    for value in _elements(_listed(given)):
        text = value.strip().lower() if isinstance(value, str) else value
        if off and text == OFF:
            values.append(None)
            continue
        try:
            values.append(float(text))
        except (TypeError, ValueError):
            hint = f"e.g. {{{name}}} none,1" if off else f"e.g. {{{name}}} 0,0.1"
            raise UsageError(
                f"{{{name}}}: {str(value).strip()!r} is not a number"
                + (" (or 'none')" if off else ""),
                hint=hint,
                parameters=(name,),
            ) from None
    return values


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
