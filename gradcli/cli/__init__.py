"""The command line: typer and nothing else. ``main`` runs the app through the one error funnel
in :mod:`gradcli.cli.app`, in a process prepared for it: standard descriptors occupied and the
signals that end it (INT, TERM, HUP) turned into exceptions, so every exit removes its temp files
and returns the conventional code. The commands are not imported here: the root group imports a
command's module when the command is looked up (:mod:`gradcli.cli.commands`)."""

from __future__ import annotations

from gradcli.cli import process
from gradcli.cli.app import app


def main() -> None:
    """``gradcli`` / ``python -m gradcli``."""
    process.occupy_standard_descriptors()
    process.install_signal_handlers()
    app()


__all__ = ["app", "main"]
