"""Generated starts: ``--starts N`` drawn uniformly in a box, or ``--starts grid:K``, K per axis.

Pure numpy, reproducible: the same spec, box and seed give the same starts, bit for bit, on every
machine (numpy's ``default_rng`` is PCG64, whose stream numpy keeps stable across versions). A run
without a seed gets one chosen here and reported back (:attr:`Generated.seed`), so any run can be
repeated. The count is bounded before anything is allocated.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from gradcli.errors import UsageError

__all__ = ["DEFAULT_RANGE", "MAX_STARTS", "Generated", "StartSpec", "generate", "parse_spec"]

Array = np.ndarray[Any, Any]

#: The most starts one command generates: as many as ``--from -`` is tested with (a million starts
#: are 8 MB a coordinate; the engine computes them in bounded batches).
MAX_STARTS = 1_000_000
#: Each variable's range when none is given: plot's lesson window (plotting.grid.DEFAULT_WINDOW).
DEFAULT_RANGE = (-3.0, 3.0)
SEED_MAX = 2**63 - 1  # numpy seeds any non-negative int; a chosen seed stays a JSON-safe int64
_PARAM = ("start_spec",)  # DescentArgs.start_spec: --starts


class StartSpec(NamedTuple):
    """What ``--starts`` asked for: ``number`` uniform starts, or a grid of ``number`` per axis."""

    kind: str  # "uniform" | "grid"
    number: int


class Generated(NamedTuple):
    """The starts made, and everything needed to make them again."""

    points: Array  # (S, n) floats
    spec: StartSpec
    ranges: tuple[tuple[float, float], ...]  # one (lo, hi) per variable
    seed: int | None  # None for a grid (it draws nothing)


def parse_spec(text: str) -> StartSpec:
    """``'200'`` (uniform) or ``'grid:10'`` (10 per axis, ends included). A UsageError naming
    {start_spec} for anything else."""
    raw = text.strip().lower()
    match = re.fullmatch(r"(?:(grid)\s*:\s*)?(\d{1,12})", raw)
    if match is None:
        raise UsageError(
            f"{{start_spec}} expected N or grid:K, got {text!r}",
            hint="e.g. {start_spec} 200 (uniform in the range) or {start_spec} grid:10 (10 per axis)",
            parameters=_PARAM,
        )
    kind, count = ("grid" if match[1] else "uniform"), int(match[2])
    least = 2 if kind == "grid" else 1
    if count < least:
        what = "a grid needs at least 2 points per axis" if kind == "grid" else "at least 1 start"
        raise UsageError(f"{{start_spec}} {text.strip()}: {what}", parameters=_PARAM)
    return StartSpec(kind, count)


def generate(
    spec: StartSpec, ranges: Sequence[tuple[float, float]], seed: int | None = None
) -> Generated:
    """The starts ``spec`` asks for inside ``ranges`` (one (lo, hi) per variable).

    Uniform starts come from ``numpy.random.default_rng(seed)`` (a fresh seed is chosen when none
    is given); a grid is ``linspace(lo, hi, K)`` on every axis, the first axis varying slowest.
    More than :data:`MAX_STARTS` is refused before any array is made."""
    if seed is not None and not 0 <= seed <= SEED_MAX:
        raise UsageError(
            f"{{seed}} must be a whole number from 0 to {SEED_MAX}, got {seed}",
            parameters=("seed",),
        )
    n = len(ranges)
    if n == 0:
        raise UsageError(
            "{start_spec} needs a function of at least one variable", parameters=_PARAM
        )
    total = spec.number if spec.kind == "uniform" else spec.number**n  # n is small: an exact int
    if total > MAX_STARTS:
        shape = f"{total:,}" if total < 10**15 else "more than 10^15"  # no 4,300-digit text
        if spec.kind == "grid":
            shape = f"{spec.number}^{n} = {shape}"
        raise UsageError(
            f"{{start_spec}} asks for {shape} starts; at most {MAX_STARTS:,}",
            hint="for more, pipe them in: {starts} -",
            parameters=(*_PARAM, "starts"),
        )
    lo = np.array([r[0] for r in ranges], dtype=float)
    hi = np.array([r[1] for r in ranges], dtype=float)
    if spec.kind == "grid":
        axes = [np.linspace(a, b, spec.number) for a, b in zip(lo, hi)]
        mesh = np.meshgrid(*axes, indexing="ij")
        points = np.stack([m.ravel() for m in mesh], axis=1)
        return Generated(points, spec, tuple(zip(lo.tolist(), hi.tolist())), None)
    if seed is None:
        seed = secrets.randbelow(2**31)  # short enough to type back
    rng = np.random.default_rng(seed)
    points = lo + (hi - lo) * rng.random((total, n))
    return Generated(points, spec, tuple(zip(lo.tolist(), hi.tolist())), seed)
