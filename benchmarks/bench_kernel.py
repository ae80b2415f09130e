"""gradcli's many-start descent against the hand-vectorised numpy a user would write, in-process
and as whole processes, paired.

    python benchmarks/bench_kernel.py [--repeats 7] [--starts 10000] [--steps 500]
                                      [--gradcli PATH] [--skip-process]

The workload is issue 13's: Himmelblau from 10,000 starts, 500 gd steps at lr 0.01 (tol 0, so
every run takes every step), only each run's final state wanted. The baseline is
``baselines/descend_numpy_many.py``.

1. The descent kernel, in-process (target ≤ 1.0): ``Descent(...).drain()`` plus every run's
   status — evaluation, divergence and convergence checks, the optimizer, the bookkeeping of
   10,000 runs — against the script's ``descend`` loop (the final points and gradients).
2. The command's streaming path in-process, for information: the same descent rendered as the
   ``--summary --format csv`` rows, against the script's loop writing the same CSV.
3. Whole processes (target ≤ 1.5): ``gradcli descend ... --from - --summary --format csv`` with
   the starts on stdin, against ``python baselines/descend_numpy_many.py`` with the same stdin.

Each pair runs alternately (which goes first swaps every repeat) after a warm-up
(``benchmarks/paired.py``); the table shows the median wall times, the median of the per-repeat
wall ratios and of the CPU-time ratios (the verdict reads the CPU ratio: load from others' work
on the machine disturbs it least). ``--gradcli PATH`` times another
checkout of gradcli (e.g. the tree before a change) with this same script. Nothing here is a test:
CI never times anything.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# benchmarks/ is sys.path[0] when this file runs as a script
from paired import (
    HEADER,
    MANY_BASELINE,
    Pair,
    load_many_baseline,
    paired,
    table_row,
    write_summary_csv,
)

HERE = Path(__file__).resolve().parent
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"
LR = 0.01


def starts_text(count: int) -> str:
    rng = random.Random(0)
    return "".join(f"{rng.uniform(-5, 5)!r},{rng.uniform(-5, 5)!r}\n" for _ in range(count))


def in_process(starts: Any, steps: int, repeats: int) -> list[tuple[str, Pair, float | None]]:

    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import Descent, Settings
    from gradcli.views.descent_stream import stream_document
    from gradcli.views.render import render

    baseline = load_many_baseline()
    fn = parse(HIMMELBLAU)
    compiled = compile_function(fn)
    settings = [Settings(lr=LR, steps=steps, tol=0)]

    def descent() -> Any:
        return Descent(
            compiled, starts, settings, summary_only=True, keep="final", notes=False,
            step_sizes=False,
        )  # fmt: skip

    def kernel() -> None:
        running = descent()
        running.drain()
        running.statuses()

    def script_loop() -> None:
        baseline.descend(starts, steps, LR)

    def command_csv() -> None:
        render(stream_document(fn, descent(), "csv"), "csv", io.StringIO())

    def script_csv() -> None:
        p, g = baseline.descend(starts, steps, LR)
        write_summary_csv(io.StringIO(), baseline, p, g, LR, steps)

    return [
        ("descent kernel in-process  vs  the script's loop", paired(kernel, script_loop, repeats), 1.0),
        ("--summary CSV in-process  vs  the script's loop + csv", paired(command_csv, script_csv, repeats), None),
    ]  # fmt: skip


def whole_process(
    text: str, steps: int, repeats: int, tree: Path
) -> list[tuple[str, Pair, float | None]]:
    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1"}
    data = text.encode()
    ours = [
        py, "-m", "gradcli", "descend", HIMMELBLAU, "--from", "-", "--lr", str(LR),
        "--steps", str(steps), "--tol", "0", "--summary", "--format", "csv",
    ]  # fmt: skip
    theirs = [py, str(MANY_BASELINE), str(steps)]

    def run(cmd: list[str]) -> Callable[[], None]:
        def go() -> None:
            subprocess.run(cmd, input=data, stdout=subprocess.DEVNULL, env=env, check=True)

        return go

    return [
        (
            "whole process  vs  python descend_numpy_many.py",
            paired(run(ours), run(theirs), repeats),
            1.5,
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--starts", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument(
        "--gradcli", type=Path, default=HERE.parent, help="the gradcli tree to time"
    )
    parser.add_argument("--skip-process", action="store_true", help="in-process cases only")
    args = parser.parse_args()
    sys.path.insert(0, str(args.gradcli.resolve()))
    import numpy as np

    text = starts_text(args.starts)
    starts = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
    rows = in_process(starts, args.steps, args.repeats)
    if not args.skip_process:
        rows += whole_process(text, args.steps, args.repeats, args.gradcli.resolve())
    print(f"{args.starts:,} starts × {args.steps} steps of Himmelblau, gradcli from {args.gradcli}")
    print(f"{'case':<56} {HEADER}")
    for name, pair, target in rows:
        print(table_row(name, 56, pair, target))


if __name__ == "__main__":
    main()
