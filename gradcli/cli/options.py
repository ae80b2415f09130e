"""The options commands share: EXPR, --at, --format, --precision, --vars, --let, --check, --step,
--subject-to, --bounds, --theme (the descent options are :mod:`gradcli.cli.descent_options`).

The options people set once take a default from the environment (:data:`ENVIRONMENT`), shown in
``--help`` and overridden by the flag. Values the shell can complete (``@name``, ``--method``,
``--format``) come from the small completers at the end, which import only what they list.

Each option is an ``Annotated`` type; a command declares it with its default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass


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
    written = COMMAND_FORMATS.get(ctx.info_name or "")
    if written is not None:
        from gradcli.views.render import check_format

        # refused before any work (level of 2,000 variables computed for 6 s, then refused csv)
        check_format(value, written, ctx.info_name or "")
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
