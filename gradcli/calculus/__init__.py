"""Symbolic calculus on a parsed :class:`~gradcli.function.Function`.

Every sympy step that can run away (simplify, solve, exact evaluation) is time-bounded
(:mod:`gradcli.limits`) and falls back to a plainer form or to numerics instead of hanging.
Submodules load on first use, so ``partial`` and ``grad`` never import what ``critical`` needs.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "evaluate": "evaluate",
    "finite_difference": "evaluate",
    "partial": "derivatives",
    "gradient": "derivatives",
    "gradient_exprs": "derivatives",
    "hessian_exprs": "derivatives",
    "critical_points": "critical",
    "level_set": "level",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"gradcli.calculus.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'gradcli.calculus' has no attribute {name!r}")
