"""The descent options, shared by ``gradcli descend`` and ``gradcli plot --from ...``.

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
