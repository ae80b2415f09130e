"""What to say to an option the running command does not have: the flag of the same meaning.

Students carry flags from one command to another (``descend --at``, ``level --c``), from other
tools (``--learning-rate``, ``--epochs``, ``--optimizer``, ``--json``) and from lessons. click
answers with close spellings (``--at``: "Possible options: --format, --let, --tol"), which miss the
meaning; the table below answers with the flag that means the same in THIS command.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from typing import Any

_OPTION_LIKE = re.compile(r"-[A-Za-z][A-Za-z0-9_-]*")

# Flags carried over from another command, another tool or a lesson, grouped by meaning. An unknown
# option from a group is answered with the running command's flag for that meaning (descend --at
# -> --from, level --c -> --value), or, when the command has none, with the commands that do.
CONFUSED_OPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the point", ("--at", "--from", "--point", "--start", "--x0", "--p0", "--init", "--initial")),
    ("the level c", ("--value", "--c", "--level", "--val", "--contour", "--height")),
    ("the variable", ("--wrt", "--var", "--variable", "--with-respect-to", "--respect", "--diff")),
    (
        "the learning rate",
        ("--lr", "--learning-rate", "--learning_rate", "--eta", "--rate", "--step-size"),
    ),
    (
        "the number of steps",
        (
            "--steps",
            "--iterations",
            "--iters",
            "--iter",
            "--epochs",
            "--max-steps",
            "--max-iter",
            "--maxiter",
            "--n-steps",
            "--num-steps",
        ),
    ),
    (
        "the optimizer",
        ("--method", "--optimizer", "--optimiser", "--optim", "--algorithm", "--algo"),
    ),
    (
        "the output format",
        (
            "--format",
            "--fmt",
            "--output-format",
            *(f"--{f}" for f in ("json", "csv", "ndjson", "latex", "table")),
        ),
    ),
    # '--step' is grad's and partial's; elsewhere click's close spelling adds descend's --steps
    ("the finite-difference step", ("--step", "--h", "--dx", "--delta")),
    (
        "the finite-difference check",
        ("--check", "--verify", "--fd", "--numeric", "--finite-difference"),
    ),
    ("the tolerance", ("--tol", "--tolerance", "--atol")),
    (
        "the figure file",
        ("--output", "--out", "--save", "--file", "--outfile", "--plot", "--figure"),
    ),
    ("the variable order", ("--vars", "--variables", "--order-vars", "--varnames")),
    ("the direction", ("--dir", "--direction", "--along", "--towards")),
    (
        "the range",
        ("--range", "--domain", "--bounds", "--xlim", "--window", "--limits", "--xrange"),
    ),
    ("the digits shown", ("--precision", "--digits", "--decimals", "--sig-figs", "--places")),
    ("constants", ("--let", "--set", "--const", "--constants", "--param", "--params", "--subs")),
    ("the order", ("--order", "--times", "--nth", "--degree")),
)
# Flags that stand for an option with its value.
OPTION_WITH_VALUE = {f"--{f}": f"--format {f}" for f in ("json", "csv", "ndjson", "latex", "table")}


def suggest_option(
    option: str, ctx: Any, close: Sequence[str] = (), args: Sequence[str] = ()
) -> str | None:
    """The one-line answer to an unknown ``option``: the running command's flag of the same
    meaning (with the value the user gave, ready to retype), or the commands that have it; None
    when the option is nothing people are known to confuse (click's own message then stands).
    ``close`` are click's close spellings among the command's own flags, ``args`` the command's
    arguments as typed."""
    command = ctx.command
    own = _option_flags(command)
    if not own or option in own:
        return None
    name = ctx.info_name or getattr(command, "name", "") or "this command"
    meanings = [(meaning, flags) for meaning, flags in CONFUSED_OPTIONS if option in flags]
    matches = [
        (meaning, flag)
        for meaning, flags in meanings
        for flag in flags
        if flag in own and flag != option
    ]
    if option in OPTION_WITH_VALUE and OPTION_WITH_VALUE[option].split()[0] in own:
        return f"No such option: {option} — try {OPTION_WITH_VALUE[option]}"
    if matches:
        meaning, flag = matches[0]
        value = _value_after(option, args) if own[flag] else None
        retype = f"{flag} {shlex.quote(value)}" if value is not None else flag
        also = "".join(f" (or {f}, for {m})" for m, f in matches[1:2])
        return f"No such option: {option} — {name} takes {meaning} as {flag}: try {retype}{also}"
    elsewhere = _commands_with(ctx, option, [f for _, flags in meanings for f in flags])
    if elsewhere:
        what = meanings[0][0].removeprefix("the ") if meanings else option
        listed = [f"{c} ({f})" for c, f in elsewhere]
        them = ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else listed[0]
        # click's close spellings only when they extend the option (plot --level: --levels).
        near = [c for c in close if c.startswith(option) or option.startswith(c)]
        maybe = f" (or did you mean {' or '.join(near)}?)" if near else ""
        return (
            f"No such option: {option} — {name} has no {what}; "
            f"{them} {'has' if len(listed) == 1 else 'have'} it{maybe}"
        )
    return None


def _option_flags(command: Any) -> dict[str, bool]:
    """Every flag of ``command`` -> whether it takes a value."""
    flags: dict[str, bool] = {}
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") != "option":
            continue
        takes = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        for opt in (*param.opts, *getattr(param, "secondary_opts", ())):
            flags[opt] = takes
    return flags


def _value_after(option: str, args: Sequence[str]) -> str | None:
    """The value the user typed for ``option`` (``--at 3,1`` or ``--at=3,1``), if any."""
    for k, arg in enumerate(args):
        if arg.startswith(option + "="):
            return arg[len(option) + 1 :]
        if arg == option and k + 1 < len(args):
            value = args[k + 1]
            if value == "-" or not (value.startswith("--") or _OPTION_LIKE.fullmatch(value)):
                return value
    return None


def _commands_with(ctx: Any, option: str, same: list[str]) -> list[tuple[str, str]]:
    """(command, its flag) for the other commands that have ``option`` or a flag meaning the same."""
    root = ctx.find_root().command
    found = []
    for name, command in sorted(getattr(root, "commands", {}).items()):
        flags = _option_flags(command)
        flag = option if option in flags else next((f for f in same if f in flags), None)
        if flag is not None and command is not ctx.command:
            found.append((name, flag))
    return found
