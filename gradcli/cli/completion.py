"""Shell completion for bash, zsh and fish: typer's scripts and protocol, at no cost to start-up.

Typer's ``add_completion`` imports its completion machinery (and shellingham) on every call to
build two options; gradcli imports this module only when the shell asks for completions (the
``_GRADCLI_COMPLETE`` variable is set) or a user asks for the script (``--show-completion``,
``--install-completion``). The protocol is typer's, so the scripts typer writes work unchanged:

    bash   COMP_WORDS="gradcli gr" COMP_CWORD=1 _GRADCLI_COMPLETE=complete_bash gradcli
    zsh    _TYPER_COMPLETE_ARGS="gradcli gr" _GRADCLI_COMPLETE=complete_zsh gradcli
    fish   _TYPER_COMPLETE_ARGS="gradcli gr" _TYPER_COMPLETE_FISH_ACTION=get-args \\
           _GRADCLI_COMPLETE=complete_fish gradcli

(click's spelling, ``bash_complete`` / ``bash_source``, is accepted too). Command names come from
the static table (:mod:`gradcli.cli.commands`): completing ``gradcli gr`` builds no command;
completing a command's options builds that one command; EXPR completes ``@name``, ``--method`` its
methods and ``--format`` the formats of the command (:mod:`gradcli.cli.options`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import MutableMapping
from typing import Any

SHELLS = ("bash", "zsh", "fish")
#: The root options that print or install the script; an optional SHELL may follow them.
SCRIPT_FLAGS = ("--show-completion", "--install-completion")
_CLICK_STYLE = {
    f"{shell}_{what}": f"{what}_{shell}" for shell in SHELLS for what in ("complete", "source")
}


def complete(
    command: Any,
    ctx_args: MutableMapping[str, Any],
    prog_name: str,
    complete_var: str,
    instruction: str,
) -> int:
    """Answer the shell's request ``instruction`` (``complete_bash``, ``source_zsh``, …); the exit
    code. A failure is quiet: the shell prints whatever a completion writes to stderr over the line
    being edited (``GRADCLI_DEBUG=1`` shows it)."""
    from typer import completion

    try:
        _register()
        return int(
            completion.shell_complete(
                command,
                ctx_args,
                prog_name,
                complete_var,
                _CLICK_STYLE.get(instruction, instruction),
            )
        )
    except Exception:
        if os.environ.get("GRADCLI_DEBUG"):
            raise
        return 1


def script_flag(ctx: Any, args: list[str]) -> int:
    """``--show-completion [SHELL]`` / ``--install-completion [SHELL]`` (SHELL: bash, zsh or fish;
    default the shell gradcli runs in). Returns the exit code."""
    import typer
    from typer._completion_shared import get_completion_script, install

    flag, _, shell = args[0].partition("=")
    if not shell and len(args) > 1:
        shell = args[1]
    if not shell:
        shell = _current_shell() or ""
    if shell not in SHELLS:
        if not shell:
            problem = "cannot tell which shell this is; name it"
        else:
            problem = f"no completion for {shell!r}; choose one"  # repr: no escapes reach the tty
        typer.echo(f"gradcli: error: {flag}: {problem}: {flag} bash|zsh|fish", err=True)
        return 2
    _register()
    prog_name = ctx.find_root().info_name or "gradcli"
    complete_var = f"_{prog_name.replace('-', '_').upper()}_COMPLETE"
    if flag == "--show-completion":
        script = get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)
        typer.echo(script)
        return 0
    name, path = install(shell=shell, prog_name=prog_name, complete_var=complete_var)
    typer.echo(f"{name} completion installed in {path}")
    typer.echo("Completion will take effect once you restart the terminal")
    return 0


def _current_shell() -> str | None:
    """The shell gradcli was started from (typer's detection), else $SHELL's name."""
    try:
        from typer._completion_shared import _get_shell_name

        name = _get_shell_name()
    except Exception:  # detection is a guess; a failure is no shell, not an error
        name = None
    if name is None:
        name = os.path.basename(os.environ.get("SHELL", "")) or None
    return name


def command_items(ctx: Any, incomplete: str) -> list[Any]:
    """The commands whose names start with ``incomplete``, with their summaries, from the table."""
    from gradcli.cli.commands import COMMANDS

    item = _click_module(ctx, "shell_completion").CompletionItem
    return [
        item(name, help=entry.summary)
        for name, entry in COMMANDS.items()
        if name.startswith(incomplete)
    ]


def _click_module(ctx: Any, name: str) -> Any:
    """``name`` of the click typer runs on (its vendored copy in newer typer, click in older)."""
    package = type(ctx).__module__.rsplit(".", 1)[0]
    return importlib.import_module(f"{package}.{name}")


_registered = False


def _register() -> None:
    """typer's completion classes, with gradcli's bash class in place of typer's."""
    global _registered
    if _registered:
        return
    from typer import _completion_classes as classes

    classes.completion_init()
    # the click typer's classes build on (its vendored copy, or click itself in older typer)
    click_completion = importlib.import_module(classes.BashComplete.__mro__[1].__module__)
    click_completion.add_completion_class(_bash_class(classes.BashComplete), "bash")
    _registered = True


def _bash_class(base: type) -> type:
    class BashComplete(base):
        """typer's bash completion, whole across '@' and '='.

        bash splits COMP_WORDS at the characters of COMP_WORDBREAKS: '@ros' comes as the words '@'
        and 'ros', '--method=ad' as '--method', '=' and 'ad'. They are completed as the words the
        user typed, '@ros' and '--method=ad' (for which click completes the value)."""

        def get_completion_args(self) -> tuple[list[str], str]:
            args, incomplete = super().get_completion_args()
            if args and args[-1] == "@":
                args, incomplete = args[:-1], "@" + incomplete
            elif len(args) > 1 and args[-1] == "=" and args[-2].startswith("--"):
                args = args[:-1]  # click reads the value after the option as its value
            return args, incomplete

    return BashComplete
