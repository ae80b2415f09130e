"""Errors the core raises and the exit codes the CLI maps them to.

The core never prints: it raises a :class:`GradcliError` carrying everything the one error funnel in
``cli.py`` needs to print a single line (and, for expressions, the source with a caret).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, as documented in CLI.md."""

    OK = 0
    MATH = 1  # undefined or not real at a point, a file that cannot be written
    USAGE = 2  # bad options, rejected expressions or points
    NOT_CONVERGED = 3  # descend --strict with a run that did not converge
    INTERRUPTED = 130  # Ctrl-C


class GradcliError(Exception):
    """Base of every error gradcli reports to a user.

    ``source`` and ``column`` (0-based, into ``source``) let the CLI draw a caret under the offending
    character; ``hint`` is a short suggestion appended after an em dash.
    """

    exit_code: ExitCode = ExitCode.MATH

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        source: str | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.source = source
        self.column = column

    def one_line(self) -> str:
        """The message and hint as the single line printed after ``gradcli: error:``."""
        return f"{self.message} — {self.hint}" if self.hint else self.message


class UsageError(GradcliError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = ExitCode.USAGE


class ParseError(UsageError):
    """An expression or point was rejected by the parser (exit 2)."""


class MathError(GradcliError):
    """A mathematical problem: undefined, not real or not finite where asked (exit 1)."""

    exit_code = ExitCode.MATH


class OutputError(GradcliError):
    """Output could not be written, e.g. an unwritable figure path (exit 1)."""

    exit_code = ExitCode.MATH


class TimeLimitError(MathError):
    """A symbolic step ran past its time budget (exit 1)."""
