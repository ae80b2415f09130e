"""The command line: typer and nothing else. ``main`` registers every command on the app and runs
it through the one error funnel in :mod:`gradcli.cli.app`."""

from __future__ import annotations

from gradcli.cli import critical, descend, functions, grad, level, partial, plot  # noqa: F401  (registers the commands)
from gradcli.cli.app import app


def main() -> None:
    """``gradcli`` / ``python -m gradcli``."""
    app()


__all__ = ["app", "main"]
