"""A descent's runs, starts × settings, as arrays: the plan of 10,000 runs is the starts array and
the settings list, and a :class:`~.runs.RunPlan` is made only when someone asks for one run.

Building one object per run (a tuple and a row view of the starts each), grouping them one by one,
and turning them back into arrays for a lane took a third of a 10,000-start descent's own time
(about 7 of 21 ms on Himmelblau; see benchmarks/bench_kernel.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np

from gradcli.optimize.runs import RunPlan
from gradcli.optimize.settings import Settings

Array = np.ndarray[Any, Any]


class RunPlans(Sequence[RunPlan]):
    """The product starts × settings, start-major: run k starts at ``points[k // S]`` with
    ``settings[k % S]`` (S settings)."""

    def __init__(self, points: Array, settings: Sequence[Settings]) -> None:
        self.points = points
        self.settings = list(settings)
        self._listed: list[RunPlan] | None = None  # every RunPlan, once someone iterates

    def __len__(self) -> int:
        return len(self.points) * len(self.settings)

    @overload
    def __getitem__(self, k: int) -> RunPlan: ...

    @overload
    def __getitem__(self, k: slice) -> list[RunPlan]: ...

    def __getitem__(self, k: int | slice) -> RunPlan | list[RunPlan]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        size = len(self)
        if k < 0:
            k += size
        if not 0 <= k < size:
            raise IndexError(k)
        if self._listed is not None:
            return self._listed[k]
        s = len(self.settings)
        return tuple.__new__(RunPlan, (k, self.points[k // s], self.settings[k % s]))

    def __iter__(self) -> Iterator[RunPlan]:
        # made once: the views read every run's plan several times over (CSV prefixes, starts)
        if self._listed is None:
            new, settings = tuple.__new__, self.settings  # skip NamedTuple's Python __new__
            rows = list(self.points)  # the row views, made in C
            width = len(settings)
            self._listed = [
                new(RunPlan, (i * width + j, row, s))
                for i, row in enumerate(rows)
                for j, s in enumerate(settings)
            ]
        return iter(self._listed)


class LanePlans(Mapping[int, RunPlan]):
    """The runs of ``plans`` whose settings are ``columns`` (indices into ``plans.settings``),
    in run order — one lane's runs, as arrays: ``runs`` (their numbers), ``starts`` (R, n)."""

    def __init__(self, plans: RunPlans, columns: Sequence[int]) -> None:
        self.plans = plans
        self.columns = list(columns)
        self.width = len(plans.settings)  # S
        self.position = {j: p for p, j in enumerate(self.columns)}
        first = np.arange(len(plans.points)) * self.width
        self.runs: Array = (first[:, None] + np.array(self.columns)[None, :]).reshape(-1)
        self.starts: Array = (
            plans.points if len(self.columns) == 1 else np.repeat(plans.points, len(columns), 0)
        )
        self.settings = [plans.settings[j] for j in self.columns]  # one per column

    def __getitem__(self, run: int) -> RunPlan:
        if not (0 <= run < len(self.plans) and run % self.width in self.position):
            raise KeyError(run)
        return self.plans[run]

    def __iter__(self) -> Iterator[int]:
        return iter(self.runs.tolist())

    def __len__(self) -> int:
        return len(self.runs)

    def __contains__(self, run: object) -> bool:
        return (
            isinstance(run, int)
            and 0 <= run < len(self.plans)
            and run % self.width in self.position
        )

    def index(self, run: int) -> int:
        """Where ``run`` is in ``runs``."""
        return (run // self.width) * len(self.columns) + self.position[run % self.width]

    def settings_of(self, run: int) -> Settings:
        return self.plans.settings[run % self.width]

    def per_run(self) -> list[Settings]:
        """Each run's settings, in run order."""
        return self.settings * len(self.plans.points)
