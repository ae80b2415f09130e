"""The options commands share: EXPR, --at, --format, --precision, --vars, --let, --check, --step,
and the descent options of ``gradcli descend`` and ``gradcli plot --from ...`` (with the training-loop knobs).

The options people set once take a default from the environment (:data:`ENVIRONMENT`), shown in
``--help`` and overridden by the flag. Values the shell can complete (``@name``, ``--method``,
``--format``) come from the small completers at the end, which import only what they list.

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
    ALPHA,
    BETA1,
    BETA2,
    LR,
    METHOD,
    METHODS,
    MOMENTUM,
    STEPS,
    TOL,
)

if TYPE_CHECKING:
    from gradcli.optimize.settings import Settings


#: The variables that give an option its default (shown in --help; a flag given wins), with what
#: the manual page adds to the option's help.
ENVIRONMENT = {
    "GRADCLI_FORMAT": "A preference: a command that does not write the format writes its table "
    "(descend has no latex, level no csv, functions neither csv nor ndjson), and plot, whose output "
    "is a figure, ignores it.",
    "GRADCLI_PRECISION": "",
    "GRADCLI_THEME": "",
}

#: The formats each command writes (``tests/test_shell.py`` holds this to what they accept).
COMMAND_FORMATS: dict[str, tuple[str, ...]] = {
    "critical": ("table", "json", "ndjson", "csv", "latex"),
    "descend": ("table", "json", "ndjson", "csv"),
    "functions": ("table", "json", "latex"),
    "grad": ("table", "json", "ndjson", "csv", "latex"),
    "level": ("table", "json", "ndjson", "latex"),
    "partial": ("table", "json", "ndjson", "csv", "latex"),
    "plot": ("table", "json"),
}
#: GRADCLI_FORMAT is a preference: a command that does not write that format writes its table.
#: ``plot``'s output is the figure (its table or JSON only describes it, and a picture drawn in
#: the terminal has no JSON), so the environment's format never applies to it.
ENV_FORMATS: dict[str, tuple[str, ...]] = {**COMMAND_FORMATS, "plot": ("table",)}


def _known_format(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
    from gradcli.views.render import FORMATS

    value = value.lower()
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORMATS)}")
    if from_environment(ctx, param) and value not in ENV_FORMATS.get(ctx.info_name or "", ()):
        return "table"  # the environment's preference, where this command cannot meet it
    return value


def from_environment(ctx: typer.Context, param: typer.CallbackParam) -> bool:
    """Whether ``param``'s value came from its environment variable (not a flag or default)."""
    source = ctx.get_parameter_source(param.name or "")
    return getattr(source, "name", None) == "ENVIRONMENT"


# --- shared option types ------------------------------------------------------------------------
ExprArg = Annotated[
    str,
    typer.Argument(
        metavar="EXPR",
        help="The function, e.g. 'x**2+y**2' or 'x^2 + 3x y'; '@rosenbrock' for a named one "
        "(see 'gradcli functions'); '-' reads it from stdin.",
        show_default=False,
        autocompletion=lambda incomplete: complete_preset(incomplete, "@"),
    ),
]
AtOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        "-a",
        metavar="P",
        help="A point: '3,1' in variable order or 'x=3,y=1'; constants like pi/4 allowed; "
        "repeatable; '-' reads one point per line from stdin.",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Output: table, json, ndjson, csv or latex (where the command supports it).",
        callback=_known_format,
        envvar="GRADCLI_FORMAT",
        show_envvar=True,
        autocompletion=lambda ctx, incomplete: complete_format(ctx, incomplete),
    ),
]
PrecisionOpt = Annotated[
    int,
    typer.Option(
        "--precision",
        "-p",
        min=1,
        max=17,
        help="Significant digits in tables.",
        envvar="GRADCLI_PRECISION",
        show_envvar=True,
    ),
]
VarsOpt = Annotated[
    str | None,
    typer.Option(
        "--vars",
        metavar="x,y",
        help="Variable order (default: alphabetical, x2 before x10); may add unused variables.",
        show_default=False,
    ),
]
LetOpt = Annotated[
    str | None,
    typer.Option(
        "--let",
        metavar="a=2,b=0.5",
        help="Substitute constants for names before anything else.",
        show_default=False,
    ),
]


def _known_theme(value: str) -> str:
    from gradcli.plotting.style import THEMES

    if value.lower() not in THEMES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(THEMES)}")
    return value.lower()


#: ``plot --theme``, with its default from GRADCLI_THEME (for plot to declare: ``theme: ThemeOpt
#: = "light"``; the same values and message as the option it replaces).
ThemeOpt = Annotated[
    str,
    typer.Option(
        "--theme",
        metavar="light|dark",
        callback=_known_theme,
        help="Colours.",
        envvar="GRADCLI_THEME",
        show_envvar=True,
        autocompletion=lambda incomplete: [
            t for t in ("light", "dark") if t.startswith(incomplete)
        ],
    ),
]
CheckOpt = Annotated[
    bool,
    typer.Option("--check", help="Compare with forward and central finite differences."),
]
StepOpt = Annotated[
    float | None,
    typer.Option(
        # --h was its name; -h is help, so '--h' alone read well but '-h 0.001' showed help
        "--step",
        "--h",
        metavar="H",
        # a step given is a step whose slope the user wants to see
        help="Finite-difference step; giving it implies --check (default: √ε·max(1,|x|) forward, "
        "∛ε·max(1,|x|) central).",
        show_default=False,
    ),
]


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
        help="gd, momentum, nesterov, adagrad, rmsprop, adam or adamw (default gd); repeatable.",
        show_default=False,
        autocompletion=lambda incomplete: [m for m in METHODS if m.startswith(incomplete.lower())],
    ),
]
LrOpt = Annotated[
    list[float] | None,
    typer.Option(
        "--lr",
        metavar="LR",
        help=f"Learning rate (default {LR:g}); repeatable: one run per value.",
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
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", metavar="N", help="Random seed (default 0).", show_default=False),
]


@dataclass(frozen=True)
class DescentArgs:
    """The descent options as a command received them (defaults: Settings')."""

    method: Sequence[str] | None = None
    lr: Sequence[float] | None = None
    momentum: float = MOMENTUM
    alpha: float = ALPHA
    beta1: float = BETA1
    beta2: float = BETA2
    eps: float | None = None
    line_search: bool = False
    ascent: bool = False
    steps: int = STEPS
    tol: float = TOL
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

        methods = [m.strip().lower() for m in self.method] if self.method else [METHOD]
        rates = list(self.lr) if self.lr else [LR]
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
        return [
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


DESCENT = DescentArgs()  # the default of a command's ``descent`` parameter

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


# --- values the shell completes ------------------------------------------------------------------
def complete_preset(incomplete: str, prefix: str = "") -> list[tuple[str, str]]:
    """The named functions whose ``prefix`` + name starts with ``incomplete``, with their titles:
    EXPR completes ``@ros`` to ``@rosenbrock`` (and offers them all at an empty word)."""
    if incomplete and not incomplete.startswith(prefix):
        return []  # a formula being typed: nothing to offer (and no file names either)
    from gradcli.presets import PRESETS

    return [(prefix + p.name, p.title) for p in PRESETS if (prefix + p.name).startswith(incomplete)]


def complete_format(ctx: typer.Context, incomplete: str) -> list[str]:
    """The formats the command being completed writes."""
    formats = COMMAND_FORMATS.get(ctx.info_name or "", ("table", "json"))
    return [f for f in formats if f.startswith(incomplete.lower())]
