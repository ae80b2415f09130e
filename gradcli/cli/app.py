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
from gradcli.errors import ExitCode, GradcliError, UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.points import Point
    from gradcli.views.render import Document

# Newer typer vendors its own click (typer._click); take the exception classes from typer's public
# ones so the funnel catches what typer really raises, whichever click that is.
_ClickException: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)
_ClickUsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)

STDIN_LIMIT = 1 << 20
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
            report(exc.one_line(), source=exc.source, column=exc.column)
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
    (log(x, b)) ln log2 log10 sqrt cbrt abs sign min max sigmoid relu softplus erf.
    '@name' stands for a named test function (gradcli functions lists them).

    Exit codes: 0 done, 1 undefined/not real at a point or a file that cannot be written,
    2 usage or rejected expression, 3 descend --strict with a run that did not converge, 130 Ctrl-C.
    """


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


# --- helpers every command uses -----------------------------------------------------------------
def read_stdin_text(what: str) -> str:
    data = sys.stdin.read(STDIN_LIMIT + 1)
    if len(data) > STDIN_LIMIT:
        raise UsageError(f"{what} on stdin is too large (more than {STDIN_LIMIT} characters)")
    return data.strip()


def load_function(text: str, vars: str | None = None, let: str | None = None) -> Function:
    """EXPR as typed ('-' = stdin, '@name' = a preset) -> a parsed :class:`Function`."""
    from gradcli.expr import parse

    if text.strip() == "-":
        text = read_stdin_text("the expression")
    if text.strip().startswith("@"):
        from gradcli.presets import expand

        expanded = expand(text.strip())
        if expanded is not None:
            sys.stderr.write(f"gradcli: {text.strip()} = {expanded}\n")
            text = expanded
    return parse(text, vars=vars, let=let)


def load_points(texts: list[str] | None, fn: Function, option: str = "--at") -> list[Point]:
    from gradcli.points import parse_points

    return parse_points(texts or [], fn, option=option)


def stdin_users(expr: str, *point_lists: list[str] | None) -> None:
    """Refuse reading stdin twice (EXPR '-' and a '-' point list)."""
    users = int(expr.strip() == "-") + sum(
        1 for texts in point_lists for t in (texts or []) if t.strip() == "-"
    )
    if users > 1:
        raise UsageError("only one of EXPR and the point options can read stdin ('-')")


def emit(doc: Document, fmt: str, command: str) -> None:
    from gradcli.views.render import check_format, render

    check_format(fmt, doc.formats(), command)
    render(doc, fmt)
