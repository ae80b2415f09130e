"""gradcli.1, the manual page, written from the help text ``--help`` shows.

    python -m gradcli.cli.man                  # the page on stdout
    python -m gradcli.cli.man -o man/gradcli.1 # the file the package installs (share/man/man1)

One section per command, in the order ``gradcli --help`` lists them: its usage, its help (the
examples kept verbatim, as the ``\\b`` paragraphs of click are), then its arguments and options
from click's own help records, so the page says what ``gradcli COMMAND --help`` says. The
variables that give options their defaults are gathered from the options that read them.
``tests/test_shell.py`` regenerates the page and compares it with ``man/gradcli.1``: change a help
text, run the line above.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import typer
import typer.main

from gradcli import __version__
from gradcli.cli.app import app
from gradcli.cli.commands import COMMANDS, summary
from gradcli.cli.options import ENVIRONMENT

#: The typer that wrote the help records: its releases word them differently ('EXPR <str>' or
#: 'EXPR'), so the page is compared with the help of the typer that generated it.
TYPER: str = getattr(typer, "__version__", "?")

#: What the environment changes beyond the options' defaults (those are listed from the options).
OTHER_VARIABLES = (
    ("NO_COLOR", "Set (to anything): no colour, even on a terminal."),
    ("GRADCLI_DEBUG", "Set to 1: show the traceback behind an error (for bug reports)."),
)


def manual() -> str:
    """The whole page, in roff (man(7) macros)."""
    root: Any = typer.main.get_command(app)
    ctx = _context(root, "gradcli", None)
    paragraphs = _paragraphs(root.help or "")
    name_line = summary(root.help or "gradcli").rstrip(".")
    lines = [
        f'.\\" Generated from the help text by python -m gradcli.cli.man (typer {TYPER}); do not edit.',
        f'.TH GRADCLI 1 "" "gradcli {__version__}" "User Commands"',
        ".SH NAME",
        f"gradcli \\- {_text(name_line[0].lower() + name_line[1:])}",
        ".SH SYNOPSIS",
        ".B gradcli",
        _text(" ".join(root.collect_usage_pieces(ctx))),
        ".br",
        ".B gradcli",
        "\\fICOMMAND\\fR \\-\\-help",
        ".SH DESCRIPTION",
        *_help(paragraphs),
        ".SH OPTIONS",
        *_records(root, ctx, "option"),
        ".SH COMMANDS",
    ]
    commands = root.commands
    variables: dict[str, str] = {}
    for name in COMMANDS:
        command = commands[name]
        sub = _context(command, name, ctx)
        usage = " ".join(command.collect_usage_pieces(sub))
        lines += [f'.SS "gradcli {_text(name)} {_text(usage)}"', *_help(_paragraphs(command.help))]
        arguments = _records(command, sub, "argument")
        if arguments:
            lines += [".PP", "Arguments:", ".RS", *arguments, ".RE"]
        lines += [".PP", "Options:", ".RS", *_records(command, sub, "option"), ".RE"]
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            if isinstance(envvar, str) and envvar not in variables:
                flag = max(param.opts, key=len)
                note = ENVIRONMENT.get(envvar, "")
                variables[envvar] = f"The default of {flag}: {param.help or ''} {note}".strip()
    lines.append(".SH ENVIRONMENT")
    for envvar, text in (*sorted(variables.items()), *OTHER_VARIABLES):
        lines += [".TP", f"\\fB{_text(envvar)}\\fR", _text(text)]
    lines += [
        ".PP",
        "A flag given on the command line overrides the environment. An invalid value is an "
        "error naming the variable (exit 2).",
        ".SH SEE ALSO",
        "\\fBgradcli \\fICOMMAND\\fB \\-\\-help\\fR, \\fBgradcli functions\\fR",
    ]
    return "\n".join(lines) + "\n"


def _context(command: Any, name: str, parent: Any) -> Any:
    """A context for reading ``command``'s help (nothing parsed, nothing run)."""
    if parent is None:
        return command.make_context(name, [], resilient_parsing=True)
    return type(parent)(command, info_name=name, parent=parent)


def _paragraphs(help_text: str | None) -> list[list[str]]:
    """The help text as paragraphs of lines (a ``\\b`` paragraph keeps its lines as written)."""
    import inspect

    text = inspect.cleandoc(help_text or "")
    return [block.splitlines() for block in text.split("\n\n") if block.strip()]


def _help(paragraphs: Iterable[list[str]]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        if paragraph and paragraph[0].strip() == "\b":  # click's "do not rewrap" marker
            lines += [".PP", ".nf", ".RS 4", *(_text(line.strip()) for line in paragraph[1:])]
            lines += [".RE", ".fi"]
        else:
            lines += [".PP", _text(" ".join(line.strip() for line in paragraph))]
    return lines


def _records(command: Any, ctx: Any, kind: str) -> list[str]:
    """``.TP`` entries for ``command``'s parameters of ``kind`` ('option' or 'argument'), from the
    help records ``--help`` prints (hidden ones are left out there, and here)."""
    lines: list[str] = []
    for param in command.get_params(ctx):
        if getattr(param, "param_type_name", "") != kind:
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        lines += [".TP", f"\\fB{_text(names)}\\fR", _text(" ".join(help_text.split()))]
    return lines


def _text(text: str) -> str:
    """``text`` safe as roff: backslashes and hyphens escaped, no line read as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text.startswith((".", "'")) else text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gradcli.cli.man", description=__doc__)
    parser.add_argument("-o", "--output", type=Path, help="write the page here (default stdout)")
    args = parser.parse_args(argv)
    page = manual()
    if args.output is None:
        sys.stdout.write(page)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
