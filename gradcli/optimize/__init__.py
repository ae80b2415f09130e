"""Gradient descent and its relatives: optimizers as pure (init, update) pairs, and the engine.

Pure core: numpy only (no typer, rich or matplotlib). Typical use::

    from gradcli.optimize import Settings, descend
    runs = descend(compile_function(fn), [[3.0, 1.0]], [Settings(lr=0.1)])

:func:`iter_descent` streams the same computation step by step (for ndjson/csv output and pipes).
"""

from gradcli.numeric import classify
from gradcli.optimize.engine import Descent, descend, iter_descent, plan_runs
from gradcli.optimize.notes import annotate
from gradcli.optimize.optimizers import METHODS, OPTIMIZERS, Hyper, Optimizer
from gradcli.optimize.runs import BOUND, DescentRun, RunPlan, StepRecord
from gradcli.optimize.settings import Settings

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
