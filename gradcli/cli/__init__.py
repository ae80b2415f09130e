"""The command line: typer and nothing else. ``main`` runs the app through the one error funnel
in :mod:`gradcli.cli.app`, in a process prepared for it: standard descriptors occupied and the
signals that end it (INT, TERM, HUP) turned into exceptions, so every exit removes its temp files
and returns the conventional code. The commands are not imported here: the root group imports a
command's module when the command is looked up (:mod:`gradcli.cli.commands`).

Before the app is even imported, the result cache (:mod:`gradcli.cli.fast`) may answer: a repeated
command, or the same function at new points, costs no typer, sympy or numpy. So ``app`` is loaded
on first use too (``from gradcli.cli import app`` works as ever).
"""

from __future__ import annotations

import gc
import sys
import types
from typing import TYPE_CHECKING, Any

from gradcli.cli import process

if TYPE_CHECKING:
    from gradcli.cli.app import app as app


def main() -> None:
    """``gradcli`` / ``python -m gradcli``."""
    process.occupy_standard_descriptors()
    process.install_signal_handlers()
    from gradcli.cli import fast

    sys.argv[1:], no_cache = fast.strip_no_cache(sys.argv[1:])
    code = fast.answer(sys.argv[1:], no_cache)
    if code is not None:
        sys.exit(code)
    from gradcli.cli.app import app

    try:
        app()
    except SystemExit as exc:
        fast.finish(exc.code)
        raise
    finally:
        # The process ends here. Its last garbage collections would walk every object still alive
        # (all of typer's, and sympy's caches: 30 % of a small `grad`) only to free memory the
        # operating system takes back anyway; frozen objects are left out of them. Streams are
        # flushed and atexit handlers run as usual.
        gc.freeze()


class _Package(types.ModuleType):
    """This package, whose ``app`` is the Typer app, not the submodule of the same name.

    Importing ``gradcli.cli.app`` sets the package's ``app`` to that module; the app object is
    what ``from gradcli.cli import app`` has always given, so that is what is set instead."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "app" and isinstance(value, types.ModuleType):
            value = value.app
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:
        if name == "app":
            import gradcli.cli.app  # noqa: F401  (sets the package's `app`, see __setattr__)

            return self.__dict__["app"]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package

__all__ = ["app", "main"]
