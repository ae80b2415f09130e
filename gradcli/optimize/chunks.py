"""What a vector lane records: a :class:`Chunk` of rows per step (one per run still going), and
the columns of a :class:`~.runs.DescentRun` gathered back out of chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from gradcli.optimize.lane import State
from gradcli.optimize.runs import Final, StepRecord, norms_from

Array = np.ndarray[Any, Any]


class Chunk(NamedTuple):
    """The rows one vector lane recorded at one step (runs in increasing order)."""

    step: int
    runs: Array  # (k,) run indices
    x: Array  # (k, n)
    f: Array  # (k,)
    g: Array  # (k, n)
    norm: Array  # (k,)
    step_size: Array  # (k,)
    line_step: Array | None  # (k,), nan at step 0; None without line search
    final: Array  # (k,) bool: the run ended at this row

    def records(self, final_of: Callable[[int], Final]) -> Iterator[StepRecord]:
        count = len(self.runs)
        line: list[Any] = [None] * count
        if self.line_step is not None:
            line = [None if v != v else v for v in self.line_step.tolist()]
        step = self.step
        for run, x, f, g, norm, size, ls, end in zip(
            self.runs.tolist(),
            map(tuple, self.x.tolist()),
            self.f.tolist(),
            map(tuple, self.g.tolist()),
            self.norm.tolist(),
            self.step_size.tolist(),
            line,
            self.final.tolist(),
        ):
            yield final_of(run).record if end else StepRecord(run, step, x, f, g, norm, size, ls)

    def take(self, rows: Array) -> Chunk:
        return Chunk(
            self.step,
            self.runs[rows],
            self.x[rows],
            self.f[rows],
            self.g[rows],
            self.norm[rows],
            self.step_size[rows],
            None if self.line_step is None else self.line_step[rows],
            self.final[rows],
        )


def chunk_of(state: State, rows: Array | None) -> Chunk:
    """The rows (all when ``rows`` is None) of a lane's state as a recorded chunk."""
    t, runs, x, prev_x, f, g, sq, line_step = state[:8]
    if rows is not None:
        runs, f, sq = runs[rows], f[rows], sq[rows]
        x = [xi[rows] for xi in x]
        g = [gi[rows] for gi in g]
        prev_x = [pi[rows] for pi in prev_x]
        line_step = None if line_step is None else line_step[rows]
    if t:
        step_sq = np.zeros(len(runs))
        moves = [xi - pi for xi, pi in zip(x, prev_x)]
        for d in moves:
            step_sq += d * d
        size = norms_from(step_sq, moves)
    else:
        size = np.zeros(len(runs))
    return Chunk(
        t,
        runs,
        np.stack(x, axis=1),
        np.array(f, dtype=float),
        np.stack(g, axis=1),
        norms_from(sq, g),
        size,
        None if line_step is None else np.array(line_step, dtype=float),
        np.zeros(len(runs), dtype=bool),
    )


def concat(chunks: list[Chunk], n: int) -> dict[str, Any]:
    """Chunks stacked into DescentRun-named columns (plus ``runs``)."""
    line = [c.line_step for c in chunks]
    return {
        "runs": np.concatenate([c.runs for c in chunks]),
        "steps": np.concatenate([np.full(len(c.runs), c.step) for c in chunks]),
        "path": np.concatenate([c.x for c in chunks]).reshape(-1, n),
        "values": np.concatenate([c.f for c in chunks]),
        "gradients": np.concatenate([c.g for c in chunks]).reshape(-1, n),
        "norms": np.concatenate([c.norm for c in chunks]),
        "step_sizes": np.concatenate([c.step_size for c in chunks]),
        "line_steps": None
        if any(v is None for v in line)
        else np.concatenate([v for v in line if v is not None]),
    }


def gather(chunks: list[Chunk], n: int) -> dict[int, dict[str, Any]]:
    """Per-run columns from chunks: rows sorted by step, repeats (same run and step) dropped."""
    if not chunks:
        return {}
    table = concat(chunks, n)
    runs, steps = table.pop("runs"), table["steps"]
    order = np.lexsort((steps, runs))
    runs, steps = runs[order], steps[order]
    fresh = np.ones(len(runs), dtype=bool)
    fresh[1:] = (runs[1:] != runs[:-1]) | (steps[1:] != steps[:-1])
    order, runs = order[fresh], runs[fresh]
    table = {name: None if col is None else col[order] for name, col in table.items()}
    bounds = np.flatnonzero(runs[1:] != runs[:-1]) + 1
    first = [0, *bounds.tolist()]
    last = [*bounds.tolist(), len(runs)]
    return {
        int(runs[a]): {name: None if col is None else col[a:b] for name, col in table.items()}
        for a, b in zip(first, last)
    }
