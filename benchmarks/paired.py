"""The paired timing loop shared by bench_kernel.py and bench_descend.py, and what both do with the
hand-vectorised baseline (``baselines/descend_numpy_many.py``): load it, write its result as
gradcli's ``--summary`` CSV.

Two callables run back to back, alternating which goes first, ``repeats`` times after one untimed
warm-up each. Both wall time and CPU time are taken: on a machine other people are using, the
ratio of CPU times (this process's, plus its finished children's for whole-process cases) moves
much less than the wall-time ratio, because time spent waiting for a core is not counted.
"""

from __future__ import annotations

import csv
import importlib.util
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANY_BASELINE = Path(__file__).resolve().parent / "baselines" / "descend_numpy_many.py"
SUMMARY_COLUMNS = ["run", "method", "lr", "step", "x", "y", "f", "grad_x", "grad_y", "grad_norm",
                   "status"]  # fmt: skip


def load_many_baseline() -> Any:
    """``baselines/descend_numpy_many.py`` as a module (f, grad, descend, write)."""
    spec = importlib.util.spec_from_file_location("descend_numpy_many", MANY_BASELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_summary_csv(out: Any, baseline: Any, p: Any, g: Any, lr: float, steps: int) -> None:
    """The script's final points (p) and gradients (g) as gradcli's ``--summary`` CSV writes
    them (its eleven columns, through csv), so the two sides do the same output work."""
    import numpy as np

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    values = baseline.f(p[:, 0], p[:, 1]).tolist()
    norms = np.hypot(g[:, 0], g[:, 1]).tolist()
    for i, (row, gi, fv, nv) in enumerate(zip(p.tolist(), g.tolist(), values, norms)):
        writer.writerow([i + 1, "gd", lr, steps, *row, fv, *gi, nv, "max_steps"])


@dataclass(frozen=True)
class Pair:
    ours: float  # median wall seconds
    theirs: float
    ratio: float  # median of the per-repeat wall ratios ours / theirs
    ours_cpu: float  # median CPU seconds (user + system)
    theirs_cpu: float
    cpu_ratio: float  # median of the per-repeat CPU ratios


def cpu_seconds() -> float:
    """User + system time of this process and of its children that have finished."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    fn()
    return time.perf_counter() - wall, cpu_seconds() - cpu


def paired(ours: Callable[[], Any], theirs: Callable[[], Any], repeats: int) -> Pair:
    """Both, alternating which runs first, after one warm-up each; medians and median ratios."""
    ours()
    theirs()
    mine: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    for i in range(repeats):
        order = [(ours, mine), (theirs, base)]
        for fn, sink in order if i % 2 == 0 else order[::-1]:
            sink.append(measure(fn))

    def median(values: list[float]) -> float:
        return statistics.median(values)

    return Pair(
        median([w for w, _ in mine]),
        median([w for w, _ in base]),
        median([a[0] / b[0] for a, b in zip(mine, base)]),
        median([c for _, c in mine]),
        median([c for _, c in base]),
        median([a[1] / b[1] if b[1] > 0 else float("nan") for a, b in zip(mine, base)]),
    )


HEADER = f"{'gradcli':>8} {'baseline':>9} {'ratio':>6} {'cpu ratio':>9} {'target':>7}"


def table_row(name: str, width: int, pair: Pair, target: float | None) -> str:
    """One line of a table: medians, the wall and CPU ratios, and the verdict on the CPU ratio
    (the one load on the machine disturbs least)."""
    verdict = ""
    if target is not None:
        verdict = f"{target:>5.2f} {'ok' if pair.cpu_ratio <= target else 'OVER'}"
    return (
        f"{name:<{width}} {pair.ours:>7.3f}s {pair.theirs:>8.3f}s {pair.ratio:>6.2f} "
        f"{pair.cpu_ratio:>9.2f} {verdict}"
    )
