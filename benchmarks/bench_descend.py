"""``gradcli descend`` against the loops a user would write instead, side by side in one process.

    python benchmarks/bench_descend.py [--repeats 5] [--quick]

Both sides of each case run in this process, alternating which goes first, ``--repeats`` times
after one warm-up each (``benchmarks/paired.py``); the table shows the medians, the median wall and
CPU-time ratios, and the CPU ratio against the target of issue 3.
Interpreter start-up and imports are the same for both and left out (``benchmarks/run.py`` times
whole processes).

1. One run, 100,000 gd steps on Rosenbrock written as CSV (target 1.2): the real command,
   ``descend ... --tol 0 --format csv``, invoked in-process (parse, compile, stream, render),
   against the sympy-lambdify loop of ``baselines/descend_lambdify_csv.py``.
2. 10,000 starts × 500 steps on Himmelblau, ``--summary`` (target 1.5): the command's streaming
   path from an array of starts (engine → CSV through render), against the hand-vectorised numpy
   of ``baselines/descend_numpy_many.py`` writing the same CSV (gradcli's eleven columns through
   ``csv``); and, for information, against that script as it is (five columns by f-string).
3. Case 2's descent through :func:`gradcli.optimize.descend` (DescentRun objects with notes and
   the Hessian classification, what tables and JSON use), for information.
4. Case 2 through the whole command reading the starts from stdin, for information: it adds the
   safe parsing of every start line (``gradcli.points``).

Nothing here is a test: CI never times anything.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import math
import os
import random
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from paired import (  # benchmarks/ is sys.path[0] when run as a script
    HEADER,
    load_many_baseline,
    paired,
    table_row,
    write_summary_csv,
)

MANY = load_many_baseline()  # the hand-vectorised script, as a module

ROSENBROCK = "(1-x)**2+100*(y-x**2)**2"
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"


# --- what a user writes instead (the loops of benchmarks/baselines/) ------------------------------
def lambdify_loop(steps: int, out: Any) -> None:
    lr = 1e-4
    x, y = sp.symbols("x y")
    f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    value = sp.lambdify((x, y), f)
    grad = sp.lambdify((x, y), [sp.diff(f, x), sp.diff(f, y)])
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "method", "lr", "step", "x", "y", "f", "grad_x", "grad_y", "grad_norm"])
    px, py = -1.2, 1.0
    for step in range(steps + 1):
        gx, gy = grad(px, py)
        writer.writerow([0, "gd", lr, step, px, py, value(px, py), gx, gy, math.hypot(gx, gy)])
        px, py = px - lr * gx, py - lr * gy


def numpy_many(starts: np.ndarray[Any, Any], steps: int, out: Any, same: bool = False) -> None:
    """``same``: write the CSV gradcli writes (its columns, via csv), not the baseline's five."""
    lr = 0.01
    p, g = MANY.descend(starts, steps, lr)
    if same:
        write_summary_csv(out, MANY, p, g, lr, steps)
    else:
        MANY.write(p, g, out)


# --- gradcli --------------------------------------------------------------------------------------
def command(args: list[str], out: Any, stdin: str | None = None) -> None:
    """The real command, in-process: argv parsing, the error funnel, parse, compile, render."""
    from gradcli.cli import app

    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            code = app(args, standalone_mode=False)
    finally:
        sys.stdin = old_stdin
    if code:
        raise RuntimeError(f"gradcli {' '.join(args[:4])} … exited {code}")


def engine_many(starts: np.ndarray[Any, Any], steps: int, out: Any) -> None:
    """The command's streaming path (--summary --format csv) from an array of starts."""
    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import Descent, Settings
    from gradcli.views.descent_stream import stream_document
    from gradcli.views.render import render

    fn = parse(HIMMELBLAU)
    settings = [Settings(lr=0.01, steps=steps, tol=0)]
    descent = Descent(
        compile_function(fn), starts, settings, summary_only=True, keep="final", notes=False
    )
    render(stream_document(fn, descent, "csv"), "csv", out)


def descend_many(starts: np.ndarray[Any, Any], steps: int, out: Any) -> None:
    """The Python API: DescentRun objects, notes and classification (tables and JSON use these)."""
    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import Settings, descend

    runs = descend(
        compile_function(parse(HIMMELBLAU)),
        starts,
        [Settings(lr=0.01, steps=steps, tol=0)],
        summary_only=True,
    )
    out.write(f"{len(runs)}\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    args = parser.parse_args()
    steps = 10_000 if args.quick else 100_000
    many = 1_000 if args.quick else 10_000
    rng = random.Random(0)
    starts = np.array([[rng.uniform(-5, 5), rng.uniform(-5, 5)] for _ in range(many)])
    lines = "".join(f"{a!r},{b!r}\n" for a, b in starts.tolist())
    sink = open(os.devnull, "w")  # noqa: SIM115 - one sink for every run
    rosenbrock_csv = [
        "descend", ROSENBROCK, "--from", "-1.2,1", "--lr", "0.0001",
        "--steps", str(steps), "--tol", "0", "--format", "csv",
    ]  # fmt: skip
    himmelblau_cli = [
        "descend", HIMMELBLAU, "--from", "-", "--lr", "0.01",
        "--steps", "500", "--tol", "0", "--summary", "--format", "csv",
    ]  # fmt: skip
    cases: list[tuple[str, Callable[[], None], Callable[[], None], float | None]] = [
        (
            f"1 run × {steps:,} steps, Rosenbrock → CSV  vs  lambdify loop",
            lambda: command(rosenbrock_csv, sink),
            lambda: lambdify_loop(steps, sink),
            1.2,
        ),
        (
            f"{many:,} starts × 500 steps, Himmelblau --summary → CSV  vs  numpy, same CSV",
            lambda: engine_many(starts, 500, sink),
            lambda: numpy_many(starts, 500, sink, same=True),
            1.5,
        ),
        (
            "  the same  vs  baselines/descend_numpy_many.py (5 CSV columns, not 11)",
            lambda: engine_many(starts, 500, sink),
            lambda: numpy_many(starts, 500, sink),
            None,
        ),
        (
            "  the same through optimize.descend() (DescentRuns, notes)  vs  numpy",
            lambda: descend_many(starts, 500, sink),
            lambda: numpy_many(starts, 500, sink),
            None,
        ),
        (
            f"  the same as a command reading {many:,} starts from stdin  vs  numpy",
            lambda: command(himmelblau_cli, sink, stdin=lines),
            lambda: numpy_many(starts, 500, sink),
            None,
        ),
    ]
    print(f"{'case':<72} {HEADER}")
    for name, ours, theirs, target in cases:
        print(table_row(name, 72, paired(ours, theirs, args.repeats), target))


if __name__ == "__main__":
    main()
