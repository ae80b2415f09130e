"""Gradient descent and its relatives: optimizers as pure (init, update) pairs, and the engine.

Pure core: numpy only (no typer, rich or matplotlib). Typical use::

    from gradcli.optimize import Settings, descend
    runs = descend(compile_function(fn), [[3.0, 1.0]], [Settings(lr=0.1)])

:func:`iter_descent` streams the same computation step by step (for ndjson/csv output and pipes).

The names load on first use: :mod:`.settings` (the defaults, which ``gradcli --help`` shows) must
import without numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gradcli.numeric import classify
    from gradcli.optimize.engine import Descent, descend, iter_descent, plan_runs
    from gradcli.optimize.notes import annotate
    from gradcli.optimize.optimizers import OPTIMIZERS, Hyper, Optimizer
    from gradcli.optimize.runs import BOUND, DescentRun, RunPlan, StepRecord
    from gradcli.optimize.settings import METHODS, Settings

_LAZY = {
    "BOUND": "gradcli.optimize.runs",
    "METHODS": "gradcli.optimize.settings",
    "OPTIMIZERS": "gradcli.optimize.optimizers",
    "Descent": "gradcli.optimize.engine",
    "DescentRun": "gradcli.optimize.runs",
    "Hyper": "gradcli.optimize.optimizers",
    "Optimizer": "gradcli.optimize.optimizers",
    "RunPlan": "gradcli.optimize.runs",
    "Settings": "gradcli.optimize.settings",
    "StepRecord": "gradcli.optimize.runs",
    "annotate": "gradcli.optimize.notes",
    "classify": "gradcli.numeric",
    "descend": "gradcli.optimize.engine",
    "iter_descent": "gradcli.optimize.engine",
    "plan_runs": "gradcli.optimize.engine",
}

__all__ = [
    "BOUND",
    "METHODS",
    "OPTIMIZERS",
    "Descent",
    "DescentRun",
    "Hyper",
    "Optimizer",
    "RunPlan",
    "Settings",
    "StepRecord",
    "annotate",
    "classify",
    "descend",
    "iter_descent",
    "plan_runs",
]
assert sorted(__all__) == sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gradcli.optimize' has no attribute {name!r}")
