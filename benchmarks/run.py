"""gradcli against the hand-written equivalent a user would otherwise run, side by side.

    python benchmarks/run.py [--repeats 5] [--quick]

Each case runs both commands as whole processes (what a user waits for), alternating which goes
first, ``--repeats`` times; the table shows median wall times and the ratio gradcli ÷ baseline
against its target. A scaling table shows how gradient and descent cost grow with the number of
variables (n-dimensional Rosenbrock). Nothing here is a test: CI never times anything.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE / "baselines"
PY = sys.executable
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
ROSENBROCK = "(1-x)**2+100*(y-x**2)**2"
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"


@dataclass
class Case:
    name: str
    ours: list[str]
    theirs: list[str]
    target: float
    stdin: bytes | None = None


def gradcli(*args: str) -> list[str]:
    return [PY, "-m", "gradcli", *args]


def run_once(cmd: list[str], stdin: bytes | None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:6])} … exited {proc.returncode}: {proc.stderr.decode()[:300]}"
        )
    return elapsed


def starts(count: int) -> bytes:
    import random

    rng = random.Random(0)
    return "".join(
        f"{rng.uniform(-5, 5)!r},{rng.uniform(-5, 5)!r}\n" for _ in range(count)
    ).encode()


def cases(quick: bool, tmp: Path) -> list[Case]:
    steps = 10_000 if quick else 100_000
    many = 1_000 if quick else 10_000
    return [
        Case(
            "gradcli --help  vs  python -c 'import typer'",
            gradcli("--help"),
            [PY, "-c", "import typer"],
            1.3,
        ),
        Case(
            'grad "x**2+y**2" --at 3,1  vs  minimal sympy script',
            gradcli("grad", "x**2+y**2", "--at", "3,1"),
            [PY, str(BASE / "grad_sympy.py")],
            1.25,
        ),
        Case(
            f"descend Rosenbrock, {steps:,} steps to CSV  vs  lambdify loop",
            gradcli(
                "descend",
                ROSENBROCK,
                "--from",
                "-1.2,1",
                "--lr",
                "0.0001",
                "--steps",
                str(steps),
                "--tol",
                "0",
                "--format",
                "csv",
            ),
            [PY, str(BASE / "descend_lambdify_csv.py"), str(steps)],
            1.2,
        ),
        Case(
            f"descend Himmelblau, {many:,} starts × 500 steps --summary  vs  numpy",
            gradcli(
                "descend",
                HIMMELBLAU,
                "--from",
                "-",
                "--lr",
                "0.01",
                "--steps",
                "500",
                "--tol",
                "0",
                "--summary",
                "--format",
                "csv",
            ),
            [PY, str(BASE / "descend_numpy_many.py"), "500"],
            1.5,
            stdin=starts(many),
        ),
        Case(
            'plot "x**2+y**2" -o bowl.png  vs  matplotlib script',
            gradcli("plot", "x**2+y**2", "-o", str(tmp / "ours.png")),
            [PY, str(BASE / "plot_matplotlib.py"), str(tmp / "theirs.png")],
            1.2,
        ),
    ]


def measure(case: Case, repeats: int) -> tuple[float, float]:
    ours: list[float] = []
    theirs: list[float] = []
    run_once(case.ours, case.stdin)  # warm the file cache for both before timing
    run_once(case.theirs, case.stdin)
    for i in range(repeats):
        order = [(case.ours, ours), (case.theirs, theirs)]
        for cmd, sink in order if i % 2 == 0 else reversed(order):
            sink.append(run_once(cmd, case.stdin))
    return statistics.median(ours), statistics.median(theirs)


def rosenbrock(n: int) -> str:
    names = [f"x{i}" for i in range(1, n + 1)]
    return "+".join(f"100*({b}-{a}**2)**2+(1-{a})**2" for a, b in itertools.pairwise(names))


def scaling(repeats: int) -> list[tuple[int, float, float]]:
    rows = []
    for n in (2, 10, 100):
        expr = rosenbrock(n)
        point = ",".join("0.5" for _ in range(n))
        grad = [
            run_once(gradcli("grad", expr, "--at", point, "--format", "json"), None)
            for _ in range(repeats)
        ]
        desc = [
            run_once(
                gradcli(
                    "descend",
                    expr,
                    "--from",
                    point,
                    "--lr",
                    "0.0005",
                    "--steps",
                    "1000",
                    "--tol",
                    "0",
                    "--summary",
                    "--format",
                    "json",
                ),
                None,
            )
            for _ in range(repeats)
        ]
        rows.append((n, statistics.median(grad), statistics.median(desc)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'case':<68} {'gradcli':>9} {'baseline':>9} {'ratio':>6} {'target':>7}")
        for case in cases(args.quick, Path(tmp)):
            try:
                ours, theirs = measure(case, args.repeats)
            except RuntimeError as exc:
                print(f"{case.name:<68} failed: {exc}")
                continue
            ratio = ours / theirs
            mark = "ok" if ratio <= case.target else "OVER"
            print(
                f"{case.name:<68} {ours:>8.3f}s {theirs:>8.3f}s {ratio:>6.2f} {'≤ ' + str(case.target):>7} {mark}"
            )
        print()
        print("cost against the number of variables (n-dimensional Rosenbrock, median wall time)")
        print(f"{'n':>5} {'grad --at':>12} {'descend 1000 steps':>20}")
        try:
            for n, grad, desc in scaling(max(1, args.repeats // 2)):
                print(f"{n:>5} {grad:>11.3f}s {desc:>19.3f}s")
        except RuntimeError as exc:
            print(f"failed: {exc}")


if __name__ == "__main__":
    main()
