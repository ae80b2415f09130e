"""The Typer application: the app object, shared option types, and the one error funnel.

Imports nothing heavy: sympy, numpy and matplotlib are imported inside the commands that need them,
so ``gradcli --help`` stays fast. Command modules register themselves on :data:`app`.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from gradcli import __version__
from gradcli.errors import ExitCode, GradcliError

if TYPE_CHECKING:
    pass

# Newer typer vendors its own click (typer._click); take the exception classes from typer's public
# ones so the funnel catches what typer really raises, whichever click that is.
_ClickException: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_ClickUsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)

MAX_MESSAGE = 300  # bytes read for '-': a larger expression is refused, not slurped


def _debug() -> bool:
    return bool(os.environ.get("GRADCLI_DEBUG"))


def report(message: str, *, source: str | None = None, column: int | None = None) -> None:
    """The single error line on stderr, plus the source and a caret for expression errors."""
    err = sys.stderr
    if len(message) > MAX_MESSAGE:  # a megabyte argument must not come back as a megabyte line
        message = message[: MAX_MESSAGE - 40] + " … " + message[-37:]
    err.write(f"gradcli: error: {message}\n")
    if source is not None and column is not None and "\n" not in source and len(source) <= 200:
        err.write(f"  {source}\n  {' ' * _display_width(source[:column])}^\n")
    err.flush()


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class GradcliGroup(TyperGroup):
    """A Typer group whose ``main`` is the one error funnel for every command.

    Whether run as the console script or through ``typer.testing.CliRunner``, every failure ends as
    one line on stderr and a named exit code: no tracebacks (unless ``GRADCLI_DEBUG=1``), no rich
    error panels, Ctrl-C -> 130, a closed stdout pipe -> quiet exit.
    """

    running: Any = None  # the command being run, so errors can name its flags

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        GradcliGroup.running = cmd
        return name, cmd, rest

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code: int = ExitCode.OK
        try:
            result = super().main(
                args, prog_name or "gradcli", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else ExitCode.OK
            if code == ExitCode.INTERRUPTED:  # typer returns Ctrl-C as Exit(130) here
                sys.stderr.write("\ngradcli: interrupted\n")
        except GradcliError as exc:
            if _debug():
                raise
            report(
                exc.one_line(flag_names(GradcliGroup.running)), source=exc.source, column=exc.column
            )
            code = exc.exit_code
        except typer.Exit as exc:
            code = exc.exit_code
        except _ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare 'gradcli CMD': show its help
                ctx = getattr(exc, "ctx", None)
                sys.stderr.write((ctx.get_help() if ctx else "") + "\n")
            else:
                report(_click_message(exc))
            code = ExitCode.USAGE if getattr(exc, "exit_code", 2) == 2 else exc.exit_code  # type: ignore[attr-defined]
        except (KeyboardInterrupt, typer.Abort):
            sys.stderr.write("\ngradcli: interrupted\n")
            code = ExitCode.INTERRUPTED
        except BrokenPipeError:
            _silence_stdout()
            code = ExitCode.OK
        except SystemExit as exc:
            # click turns EPIPE into sys.exit(1) even outside standalone mode; a reader that
            # stopped reading (| head) is not a failure.
            if isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE:
                _silence_stdout()
                code = ExitCode.OK
            else:
                raise
        except Exception as exc:  # a bug: still one line, the traceback only on request
            if _debug():
                raise
            report(f"internal error: {type(exc).__name__}: {exc} (set GRADCLI_DEBUG=1 for details)")
            code = ExitCode.MATH
        if standalone_mode:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                _silence_stdout()
            sys.exit(code)
        return code


def flag_names(command: Any) -> dict[str, str]:
    """Parameter name -> the flag a user typed for it in ``command`` (``lr`` -> ``--lr``).

    The core names parameters as Python does; the command line names them as flags. A parameter
    the command does not declare is still written as a flag (``line_search`` -> ``--line-search``).
    """
    names: dict[str, str] = {}
    for param in getattr(command, "params", ()):
        flags = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
        if param.name and flags:
            names[param.name] = flags[0]
    return _FlagNames(names)


class _FlagNames(dict[str, str]):
    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key) or "--" + key.replace("_", "-")


def _click_message(exc: Exception) -> str:
    message = str(exc.format_message())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    if message.startswith("No such option: -") and not message.startswith("No such option: --"):
        # '-x**2' looks like a bundle of short options to the option parser
        command = ctx.command_path if ctx is not None else "gradcli grad"
        return (
            f"{message} — an expression starting with '-'? put it after '--': {command} -- '-x**2'"
        )
    if isinstance(exc, _ClickUsageError) and ctx is not None:
        return f"{message} (see '{ctx.command_path} --help')"
    return message


def _silence_stdout() -> None:
    """After the reader of our stdout went away, point stdout at /dev/null so the interpreter's
    final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


app = typer.Typer(
    cls=GradcliGroup,
    name="gradcli",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich would add ~60 ms to every --help
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"gradcli {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """A command-line gradient explorer: partial derivatives, gradients, stationary points, level
    sets, gradient descent and slide-ready figures.

    EXPR syntax: Python/sympy (x**2 + y**2), ^ for powers, implicit products (2x, 3x y, 2(x+1)),
    Unicode (x², ·, ×, −, π, √x). Constants pi and e; every other name is a real variable.
    Functions: sin cos tan sec csc cot asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp log
    (log(x, b)) ln log2 log10 sqrt cbrt abs sign min max sigmoid relu softplus erf heaviside.
    '@name' stands for a named test function (gradcli functions lists them).

    Exit codes: 0 done, 1 undefined/not real at a point or a file that cannot be written,
    2 usage or rejected expression, 3 descend --strict with a run that did not converge, 130 Ctrl-C.
    """
