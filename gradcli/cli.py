"""The console entry point: registers every command on the app and runs it through the funnel."""

from __future__ import annotations

from gradcli.app import app
from gradcli.commands import critical, descend, functions, grad, level, partial, plot  # noqa: F401  (registers the commands)


def main() -> None:
    """``gradcli`` / ``python -m gradcli``."""
    app()


__all__ = ["app", "main"]
