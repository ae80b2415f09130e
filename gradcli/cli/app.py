"""The Typer application: the app object, the root command, and the one error funnel.

Imports nothing heavy: sympy, numpy and matplotlib are imported inside the commands that need them,
so ``gradcli --help`` stays fast. Command modules register themselves on :data:`app`, which keeps
them aside: the root group builds a command only when it is looked up by name (see
:mod:`gradcli.cli.commands`), and gives its parameters gradcli's plain converters
(:mod:`gradcli.cli.convert`), so a run builds and converts only what it uses.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from gradcli import __version__
from gradcli.cli import process
from gradcli.cli.commands import COMMANDS, LazyCommands
from gradcli.cli.convert import lean, lean_parameter
from gradcli.errors import ExitCode, GradcliError

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
    """The single error line on stderr, plus the source and a caret for expression errors.

    User text is shown escaped (an ESC or a right-to-left override in an expression must not act on
    the terminal), and the caret counts the escaped text so it stays under the offending column. A
    closed or full stderr loses the message but never changes the exit code.
    """
    from gradcli.views.render import printable

    message = printable(message)
    if len(message) > MAX_MESSAGE:  # a megabyte argument must not come back as a megabyte line
        message = message[: MAX_MESSAGE - 40] + " … " + message[-37:]
    text = f"gradcli: error: {message}\n"
    if source is not None and column is not None and len(source) <= 200:
        shown = printable(source)
        text += f"  {shown}\n  {' ' * _display_width(printable(source[:column]))}^\n"
    write_stderr(text)


def write_stderr(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        with contextlib.suppress(Exception):
            process.silence(sys.stderr.fileno())


def report_error(exc: GradcliError) -> None:
    """Report ``exc`` as the funnel would, naming the running command's flags (for commands that
    carry on after a bad input, e.g. a bad line among the points on stdin)."""
    report(exc.one_line(flag_names(GradcliGroup.running)), source=exc.source, column=exc.column)


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class GradcliCommand(TyperCommand):
    """Every gradcli command: typer's, with its --help option converted without pydantic too."""

    def get_help_option(self, ctx: Any) -> Any:
        return lean_parameter(super().get_help_option(ctx))


class GradcliGroup(TyperGroup):
    """A Typer group whose ``main`` is the one error funnel for every command.

    Whether run as the console script or through ``typer.testing.CliRunner``, every failure ends as
    one line on stderr and a named exit code: no tracebacks (unless ``GRADCLI_DEBUG=1``), no rich
    error panels, Ctrl-C -> 130 (SIGTERM -> 143, SIGHUP -> 129), a closed stdout pipe -> quiet exit,
    any other write failure -> one line and exit 1. Figures written by a command are put in place
    only when it succeeds; on any failure or signal their temp files are removed.
    """

    running: Any = None  # the command being run, so errors can name its flags
    arguments: list[str] = []  # noqa: RUF012  (its arguments, so a suggestion can reuse a value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A command is built when looked up by name, not all of them for every call.
        self.lazy = LazyCommands(self.commands, self._build_command)
        self.commands = self.lazy
        for command in (self, *self.lazy.built.values()):
            lean(command)
        self._listing = False

    def _build_command(self, name: str) -> Any:
        info = app.lazy_commands.get(name)
        if info is None:
            raise KeyError(name)
        command = typer.main.get_command_from_info(
            info,
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=getattr(self, "rich_markup_mode", None),
        )
        return lean(command)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The root --help's list of commands, from the static table: nothing is built for it."""
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def get_help_option(self, ctx: Any) -> Any:
        # made on first use, and checked on every call even when absent
        return lean_parameter(super().get_help_option(ctx))

    def _main_shell_completion(
        self, ctx_args: Any, prog_name: str, complete_var: str | None = None
    ) -> None:
        # A shell asking for completions: only then is the completion machinery imported.
        complete_var = complete_var or f"_{prog_name.replace('-', '_').upper()}_COMPLETE"
        instruction = os.environ.get(complete_var)
        if instruction:
            from gradcli.cli.completion import complete

            sys.exit(complete(self, ctx_args, prog_name, complete_var, instruction))

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """Command names from the static table (nothing is built), then the root's options."""
        from gradcli.cli.completion import command_items

        command: Any = next(c for c in type(self).__mro__ if c.__name__ == "Command")
        return [*command_items(ctx, incomplete), *command.shell_complete(self, ctx, incomplete)]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0].partition("=")[0] in _SCRIPT_FLAGS and not ctx.resilient_parsing:
            # '--show-completion [SHELL]': an optional value, which click options cannot have
            from gradcli.cli.completion import script_flag

            raise typer.Exit(script_flag(ctx, args))
        return list(super().parse_args(ctx, args))

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the names alone (typer's version reads every command)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if self._listing and cmd_name in COMMANDS and cmd_name not in self.lazy.built:
            # A bare click command with the summary is all the listing reads (its short help).
            return _PlainCommand(name=cmd_name, help=COMMANDS[cmd_name].summary)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, cmd, rest = super().resolve_command(ctx, args)
        if ctx.resilient_parsing:  # completing a command line: nothing runs
            return name, cmd, rest
        GradcliGroup.running = cmd
        GradcliGroup.arguments = list(rest)
        if cmd is not None:
            from gradcli.cli.arguments import help_with_a_value, leading_dash_expression

            help_with_a_value(cmd, rest)
            rest = leading_dash_expression(cmd, rest)
            if _writes_figure(cmd, rest):
                process.hold_files()
        return name, cmd, rest

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        process.prepare_streams()
        code = self._run(args, prog_name, complete_var, **extra)
        code = _finish_files(code)
        if standalone_mode:
            failed = _flush_stdout()
            sys.exit(failed if failed is not None and code == ExitCode.OK else code)
        return code

    def _run(self, args: Any, prog_name: str | None, complete_var: str | None, **extra: Any) -> int:
        code: int = ExitCode.OK
        try:
            result = super().main(
                args, prog_name or "gradcli", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else ExitCode.OK
            if code == ExitCode.INTERRUPTED:  # typer returns Ctrl-C as Exit(130) here
                code = _interrupted()
        except GradcliError as exc:
            if _debug():
                raise
            report_error(exc)
            code = exc.exit_code
        except typer.Exit as exc:
            code = exc.exit_code
        except _ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare 'gradcli CMD': show its help
                ctx = getattr(exc, "ctx", None)
                write_stderr((ctx.get_help() if ctx else "") + "\n")
            else:
                report(_click_message(exc))
            code = ExitCode.USAGE if getattr(exc, "exit_code", 2) == 2 else exc.exit_code  # type: ignore[attr-defined]
        except (KeyboardInterrupt, typer.Abort):
            code = _interrupted()
        except BrokenPipeError:
            process.silence(1)
            code = ExitCode.OK
        except SystemExit as exc:
            # click turns EPIPE into sys.exit(1) even outside standalone mode; a reader that
            # stopped reading (| head) is not a failure.
            if isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE:
                process.silence(1)
                code = ExitCode.OK
            else:
                raise
        except process.OutputFailed as exc:
            process.silence(1)  # what could not be written must not fail again at exit
            report(f"cannot write the output: {exc.strerror or exc}")
            code = ExitCode.MATH
        except Exception as exc:  # a bug: still one line, the traceback only on request
            if _debug():
                raise
            report(f"internal error: {type(exc).__name__}: {exc} (set GRADCLI_DEBUG=1 for details)")
            code = ExitCode.MATH
        return code


def _interrupted() -> int:
    process.discard_files()
    write_stderr(f"\n{process.signal_message()}\n")
    return process.signal_exit_code()


def _finish_files(code: int) -> int:
    """Put the command's figures in place if it succeeded (a descent that did not converge is
    still a result), otherwise remove them: a failed command leaves every target as it was."""
    try:
        if code not in (ExitCode.OK, ExitCode.NOT_CONVERGED):
            process.discard_files()
            return code
        process.commit_files()
    except GradcliError as exc:
        report_error(exc)
        return exc.exit_code
    finally:
        process.release_files()
    return code


def _flush_stdout() -> int | None:
    """Flush stdout before exiting; the exit code for a failure there (None if all went out)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        process.silence(1)
    except (OSError, ValueError) as exc:
        process.silence(1)
        report(f"cannot write the output: {getattr(exc, 'strerror', None) or exc}")
        return int(ExitCode.MATH)
    return None


def _writes_figure(command: Any, args: list[str]) -> bool:
    """Whether this run of ``command`` may write a figure (plot -o, descend --plot)."""
    for param in getattr(command, "params", ()):
        if param.name not in FIGURE_PARAMETERS:
            continue
        for opt in param.opts:
            if any(
                a == opt or a.startswith(opt + ("=" if opt.startswith("--") else "")) for a in args
            ):
                return True
    return False


FIGURE_PARAMETERS = ("output", "plot")


def flag_names(command: Any) -> dict[str, str]:
    """Parameter name -> the flag a user typed for it in ``command`` (``lr`` -> ``--lr``).

    The core names parameters as Python does; the command line names them as flags. A parameter
    the command does not declare is still written as a flag (``line_search`` -> ``--line-search``).
    """
    names: dict[str, str] = {}
    typed = {a.partition("=")[0] for a in GradcliGroup.arguments}
    for param in getattr(command, "params", ()):
        flags = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
        if param.name and flags:  # the spelling typed (--h), else the first (--step)
            names[param.name] = next((f for f in flags if f in typed), flags[0])
    return _FlagNames(names)


class _FlagNames(dict[str, str]):
    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key) or "--" + key.replace("_", "-")


def _click_message(exc: Exception) -> str:
    from gradcli.cli.convert import bad_value_message

    message = bad_value_message(exc)
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoSuchOption" and ctx is not None:
        close = list(getattr(exc, "possibilities", None) or ())
        from gradcli.cli.suggest import suggest_option

        option = str(getattr(exc, "option_name", ""))
        better = suggest_option(option, ctx, close, GradcliGroup.arguments)
        if better is not None:
            return better
    if isinstance(exc, _ClickUsageError) and ctx is not None:
        return f"{message} (see '{ctx.command_path} --help')"
    return message


# The listing's stand-in for a command not built (only its short help is read).
_PlainCommand: Any = TyperCommand
_SCRIPT_FLAGS = ("--show-completion", "--install-completion")  # completion.SCRIPT_FLAGS


class GradcliApp(typer.Typer):
    """A Typer app whose commands are registered, not built: ``@app.command()`` keeps each in
    :attr:`lazy_commands` (name -> typer's record of it) for :class:`GradcliGroup` to build when
    it is looked up, so neither a run nor ``typer.testing.CliRunner`` builds the other commands."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lazy_commands: dict[str, Any] = {}

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", GradcliCommand)
        register = super().command(*args, **kwargs)

        def decorator(function: Any) -> Any:
            result = register(function)
            info = self.registered_commands.pop()
            name = info.name or typer.main.get_command_name(function.__name__)
            self.lazy_commands[name] = info
            return result

        return decorator


app = GradcliApp(
    cls=GradcliGroup,
    name="gradcli",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich would add ~60 ms to every --help
    context_settings={"help_option_names": ["-h", "--help"]},
    # gradcli's own --install-completion/--show-completion take an optional SHELL and import the
    # completion machinery only when used (cli/completion.py)
)


def _version(ctx: typer.Context, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        sys.stdout.write(f"gradcli {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    # Read before click parses (GradcliGroup.parse_args: SHELL is optional); declared for --help.
    install_completion: Annotated[
        str | None,
        typer.Option(
            "--install-completion",
            metavar="[SHELL]",
            help="Install completion for SHELL (bash, zsh or fish; default: this shell).",
            show_default=False,
        ),
    ] = None,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            metavar="[SHELL]",
            help="Print the completion script for SHELL, to install it by hand.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """A command-line gradient explorer: partial derivatives, gradients, stationary points, level
    sets, gradient descent and slide-ready figures.

    EXPR syntax: Python/sympy (x**2 + y**2), ^ for powers, implicit products (2x, 3x y, 2(x+1)),
    Unicode (x², ·, ×, −, π, √x). Constants pi and e; every other name is a real variable.
    Functions: sin cos tan sec csc cot asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp log
    (log(x, b)) ln log2 log10 sqrt cbrt abs sign min max sigmoid relu softplus erf heaviside.
    '@name' stands for a named test function (gradcli functions lists them).

    Lesson notation: |x| is abs(x) (|x|+|y|, 2|x|, |x - |y||); sin^2(x) and sin²(x) are sin(x)^2
    (write asin(x), not sin^-1(x)); y = 5x and f(x, y) = x^2 + y^2 give the right side (f(y, x) also
    fixes the order); σ(z) and sigma(z) are sigmoid(z). xy and sinx stay one name each, and a note
    on stderr says how to write x*y or sin(x).

    Exit codes: 0 done, 1 undefined/not real at a point or a file that cannot be written,
    2 usage or rejected expression, 3 descend --strict with a run that did not converge, 130 Ctrl-C,
    143 SIGTERM, 129 SIGHUP (a figure is never left half-written). An EXPR may start with '-'
    where it stands: gradcli grad "-x^2" --at 1.
    """
