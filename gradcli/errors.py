"""Errors the core raises and the exit codes the CLI maps them to.

The core never prints: it raises a :class:`GradcliError` carrying everything the one error funnel in
:mod:`gradcli.cli.app` needs to print a single line (and, for expressions, the source with a caret).

The core speaks Python, not command lines: a bad argument is named as the parameter it is
(``Settings(lr=-1)`` says "lr must be …"). The message writes the name as a ``{lr}`` placeholder
listed in ``parameters``; :meth:`GradcliError.one_line` fills it with the bare name, and the CLI
with the flag of the command that ran (``--lr``). Only listed placeholders are replaced, so a
message may quote user text with braces in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        parameters: tuple[str, ...] = (),
    ) -> None:
        self.template = message
        self.hint_template = hint
        self.parameters = parameters
        self.source = source
        self.column = column
        self.message = self._fill(message, {})
        self.hint = self._fill(hint, {}) if hint is not None else None
        super().__init__(self.message)

    def _fill(self, text: str, names: Mapping[str, str]) -> str:
        # Plain replacement, not str.format: messages quote user text, which may hold braces.
        for p in self.parameters:
            text = text.replace("{" + p + "}", names.get(p, p))
        return text

    def one_line(self, names: Mapping[str, str] | None = None) -> str:
        """The message and hint as the single line printed after ``gradcli: error:``.

        ``names`` maps parameter names to what the caller calls them (the CLI: their flags).
        """
        message = self._fill(self.template, names or {})
        if self.hint_template is None:
            return message
        return f"{message} — {self._fill(self.hint_template, names or {})}"


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


class NotConverged(GradcliError):
    """A descent asked to converge (``strict``) where some run did not (exit 3)."""

    exit_code = ExitCode.NOT_CONVERGED


def few_names(names: Sequence[str], limit: int = 6, *, count: bool = True) -> str:
    """Names for an error line: all of a few, or the first ones, the last and how many
    (``x0, x1, x2, x3, …, x999 (1000 in all)``): a function of 500 variables must not turn one
    error line into 500 names. ``count=False`` where the message says how many already."""
    if len(names) <= limit:
        return ", ".join(names)
    shown = f"{', '.join(names[: limit - 2])}, …, {names[-1]}"
    return f"{shown} ({len(names)} in all)" if count else shown
