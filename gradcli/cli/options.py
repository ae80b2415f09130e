"""The options commands share: EXPR, --at, --format, --precision, --vars, --let, --check, --h, and
the descent options of ``gradcli descend`` and ``gradcli plot --from ...``.

Each option is an ``Annotated`` type; a command declares it with its default, e.g.::

    def plot(..., starts: FromOpt = None, method: MethodOpt = None, lr: LrOpt = None,
             momentum: MomentumOpt = MOMENTUM, ..., steps: StepsOpt = STEPS, tol: TolOpt = TOL):
        settings = descent_settings(method=method, lr=lr, momentum=momentum, ...)
        points = load_points(starts, fn, option="--from")
        runs = gradcli.optimize.descend(compile_function(fn), [p.values for p in points], settings)

``--method`` and ``--lr`` are repeatable: the settings are their product (method-major), and with the
starts the runs are starts × settings. Values are checked by :class:`gradcli.optimize.Settings`
(exit 2 with one clear line), so every command reports a bad ``--lr`` the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gradcli.optimize import Settings


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
        help="Finite-difference step for --check (default: √ε·max(1,|x|) forward, ∛ε·max(1,|x|) central).",
        show_default=False,
    ),
]


# --- descent options ---------------------------------------------------------------------------
# The defaults: torch.optim's, except the learning rate (torch has none for SGD).
METHOD = "gd"
LR = 0.1
MOMENTUM = 0.9
ALPHA = 0.99
BETA1 = 0.9
BETA2 = 0.999
STEPS = 1000
TOL = 1e-6

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


def descent_settings(
    *,
    method: Sequence[str] | None = None,
    lr: Sequence[float] | None = None,
    momentum: float = MOMENTUM,
    alpha: float = ALPHA,
    beta1: float = BETA1,
    beta2: float = BETA2,
    eps: float | None = None,
    line_search: bool = False,
    ascent: bool = False,
    steps: int = STEPS,
    tol: float = TOL,
) -> list[Settings]:
    """One :class:`~gradcli.optimize.Settings` per (method, lr) pair, methods outer, in order given.

    Raises :class:`~gradcli.errors.UsageError` (exit 2) for an unknown method or a bad value.
    """
    from gradcli.optimize import Settings
    from gradcli.optimize.settings import EPS_DEFAULT

    methods = [m.strip().lower() for m in method] if method else [METHOD]
    rates = list(lr) if lr else [LR]
    return [
        Settings(
            method=m,
            lr=rate,
            momentum=momentum,
            alpha=alpha,
            beta1=beta1,
            beta2=beta2,
            line_search=line_search,
            ascent=ascent,
            steps=steps,
            tol=tol,
            eps=EPS_DEFAULT if eps is None else eps,  # the default is the method's own
        )
        for m in dict.fromkeys(methods)
        for rate in dict.fromkeys(rates)
    ]
