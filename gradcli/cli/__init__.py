"""The command line: typer and nothing else. ``main`` registers every command on the app and runs
it through the one error funnel in :mod:`gradcli.cli.app`, in a process prepared for it: standard
descriptors occupied and the signals that end it (INT, TERM, HUP) turned into exceptions, so every
exit removes its temp files and returns the conventional code."""

from __future__ import annotations

from gradcli.cli import critical, descend, functions, grad, level, partial, plot, process  # noqa: F401  (registers the commands)
from gradcli.cli.app import app


def main() -> None:
    """``gradcli`` / ``python -m gradcli``."""
    process.occupy_standard_descriptors()
    process.install_signal_handlers()
    app()


__all__ = ["app", "main"]
