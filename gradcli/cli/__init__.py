"""The command line: typer and nothing else. ``main`` runs the app through the one error funnel
in :mod:`gradcli.cli.app`, in a process prepared for it: standard descriptors occupied and the
signals that end it (INT, TERM, HUP) turned into exceptions, so every exit removes its temp files
and returns the conventional code. The commands are not imported here: the root group imports a
command's module when the command is looked up (:mod:`gradcli.cli.commands`)."""

from __future__ import annotations

import gc

from gradcli.cli import process
from gradcli.cli.app import app


def main() -> None:
    """``gradcli`` / ``python -m gradcli``."""
    process.occupy_standard_descriptors()
    process.install_signal_handlers()
    try:
        app()
    finally:
        # The process ends here. Its last garbage collections would walk every object still alive
        # (all of typer's, and sympy's caches: 30 % of a small `grad`) only to free memory the
        # operating system takes back anyway; frozen objects are left out of them. Streams are
        # flushed and atexit handlers run as usual.
        gc.freeze()


__all__ = ["app", "main"]
