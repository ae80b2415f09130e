"""The options commands share: EXPR, --at, --format, --precision, --vars, --let, --check, --h, and
the descent options of ``gradcli descend`` and ``gradcli plot --from ...``.

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

from gradcli.optimize.settings import ALPHA, BETA1, BETA2, LR, METHOD, MOMENTUM, STEPS, TOL

if TYPE_CHECKING:
    from gradcli.optimize.settings import Settings


def _known_format(value: str) -> str:
    from gradcli.views.render import FORMATS

    value = value.lower()
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FORMATS)}")
    return value


# --- shared option types ------------------------------------------------------------------------
ExprArg = Annotated[
    str,
    typer.Argument(
        metavar="EXPR",
        help="The function, e.g. 'x**2+y**2' or 'x^2 + 3x y'; '@rosenbrock' for a named one "
        "(see 'gradcli functions'); '-' reads it from stdin.",
        show_default=False,
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
        callback=lambda value: _known_format(value),
    ),
]
PrecisionOpt = Annotated[
    int,
    typer.Option("--precision", "-p", min=1, max=17, help="Significant digits in tables."),
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
CheckOpt = Annotated[
    bool,
    typer.Option("--check", help="Compare with forward and central finite differences."),
]
StepOpt = Annotated[
    float | None,
    typer.Option(
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
