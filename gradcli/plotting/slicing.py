"""``--slice z=1``: fix some variables so a function of 3+ variables can be drawn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gradcli.errors import UsageError, few_names
from gradcli.function import Function


def slice_function(fn: Function, fixed: Mapping[str, Any]) -> Function:
    """``fn`` with the variables in ``fixed`` replaced by their (exact sympy or float) values.

    The remaining variables keep their order. Naming a variable ``fn`` does not have, or fixing every
    variable, is a usage error (exit 2).
    """
    unknown = [name for name in fixed if name not in fn.names]
    if unknown:
        raise UsageError(
            f"{{slice}} names {few_names(unknown)}, which f does not have",
            hint=f"f's variables are {few_names(fn.names)}",
            parameters=("slice",),
        )
    keep = tuple(v for v in fn.variables if v.name not in fixed)
    if not keep:
        raise UsageError(
            "{slice} fixes every variable: nothing is left to draw", parameters=("slice",)
        )
    subs = {v: fixed[v.name] for v in fn.variables if v.name in fixed}
    return Function(fn.expr.subs(subs), keep, fn.source)
