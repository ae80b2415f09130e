"""The options commands share: EXPR, --at, --format, --precision, --vars, --let, --check, --step,
and the descent options of ``gradcli descend`` and ``gradcli plot --from ...``.

The options people set once take a default from the environment (:data:`ENVIRONMENT`), shown in
``--help`` and overridden by the flag. Values the shell can complete (``@name``, ``--method``,
``--format``) come from the small completers at the end, which import only what they list.

Each option is an ``Annotated`` type; a command declares it with its default. The eleven descent
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
SubjectToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--subject-to",
        metavar="G=C",
        help="An equality constraint, 'x^2+y^2=1' (an expression alone means = 0).",
        show_default=False,
    ),
]
BoundsOpt = Annotated[
    str | None,
    typer.Option(
        "--bounds",
        metavar="LO:HI",
        help="A box the runs stay in (projected gradient: each step clamped): '-1:1' for every "
        "variable, 'x=-1:1,y=0:2', or an open end 'x=0:'.",
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
        help="gd, momentum, nesterov, adagrad, rmsprop or adam (default gd); repeatable.",
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
        help="Added to the denominator of adagrad, rmsprop and adam "
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


@dataclass(frozen=True)
class DescentArgs:
    """The eleven descent options as a command received them (defaults: Settings')."""

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

    def settings(self) -> list[Settings]:
        """One :class:`~gradcli.optimize.Settings` per (method, lr) pair, methods outer, in the
        order given. Raises :class:`~gradcli.errors.UsageError` (exit 2) for an unknown method or a
        bad value."""
        from gradcli.optimize.settings import EPS_DEFAULT, Settings

        methods = [m.strip().lower() for m in self.method] if self.method else [METHOD]
        rates = list(self.lr) if self.lr else [LR]
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
}
assert list(_DESCENT_OPTIONS) == [f.name for f in fields(DescentArgs)]

Command = TypeVar("Command", bound=Callable[..., Any])


def descent_options(command: Command) -> Command:
    """``command`` with its ``descent: DescentArgs`` parameter replaced by the eleven options.

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
