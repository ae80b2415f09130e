"""gradcli — a command-line gradient explorer, and the library under it.

    >>> from gradcli import parse, parse_point, gradient
    >>> fn = parse("x^2 + y^2")
    >>> gradient(fn, [parse_point("3,1", fn)]).points[0].norm.exact
    2*sqrt(10)

The package root imports nothing heavy, so ``gradcli --help`` stays fast: each name below is loaded
from its module on first use. Type checkers see the real signatures (the package ships
``py.typed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what a type checker sees; at run time __getattr__ loads the same names lazily
    from gradcli.calculus.critical import critical_points as critical_points
    from gradcli.calculus.derivatives import gradient as gradient
    from gradcli.calculus.derivatives import partial as partial
    from gradcli.calculus.explain import explain_derivative as explain_derivative
    from gradcli.calculus.level import level_set as level_set
    from gradcli.errors import GradcliError as GradcliError
    from gradcli.errors import MathError as MathError
    from gradcli.errors import UsageError as UsageError
    from gradcli.expr import parse as parse
    from gradcli.function import Function as Function
    from gradcli.numeric import compile_function as compile_function
    from gradcli.optimize import Descent as Descent
    from gradcli.optimize import Settings as Settings
    from gradcli.optimize import descend as descend
    from gradcli.points import parse_point as parse_point

_LAZY = {
    "parse": "gradcli.expr",
    "Function": "gradcli.function",
    "parse_point": "gradcli.points",
    "partial": "gradcli.calculus.derivatives",
    "gradient": "gradcli.calculus.derivatives",
    "critical_points": "gradcli.calculus.critical",
    "level_set": "gradcli.calculus.level",
    "explain_derivative": "gradcli.calculus.explain",
    "compile_function": "gradcli.numeric",
    "descend": "gradcli.optimize",
    "Descent": "gradcli.optimize",
    "Settings": "gradcli.optimize",
    "GradcliError": "gradcli.errors",
    "UsageError": "gradcli.errors",
    "MathError": "gradcli.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
