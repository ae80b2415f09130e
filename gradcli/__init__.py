"""gradcli — a command-line gradient explorer.

The package root imports nothing heavy, so ``gradcli --help`` stays fast: the public API is loaded on
first attribute access.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "parse": ("gradcli.expr", "parse"),
    "Function": ("gradcli.function", "Function"),
    "parse_point": ("gradcli.points", "parse_point"),
    "compile_function": ("gradcli.numeric", "compile_function"),
    "GradcliError": ("gradcli.errors", "GradcliError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
