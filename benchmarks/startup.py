"""Start-up cost: gradcli's --help and a small command against ``python -c "import typer"``.

    python benchmarks/startup.py [--repeats 21]

Each case and the baseline run as whole processes (what a user waits for), in pairs whose order
alternates; the table shows the median wall time of each and the median of the per-pair ratios
(a pair shares the machine's load of the moment, so its ratio is steadier than a ratio of
medians). Nothing here is a test: CI never times anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# The checkout being measured comes first, whatever is installed.
ENV = {
    **os.environ,
    "NO_COLOR": "1",
    "COLUMNS": "100",
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}
BASELINE = [PY, "-c", "import typer"]


@dataclass
class Case:
    name: str
    command: list[str]
    target: float | None


def cases() -> list[Case]:
    module = [PY, "-m", "gradcli"]
    found = [
        Case("gradcli --help", [*module, "--help"], 1.1),
        Case("gradcli grad --help", [*module, "grad", "--help"], 1.2),
        Case(
            'gradcli grad "x**2+y**2" --at 3,1', [*module, "grad", "x**2+y**2", "--at", "3,1"], None
        ),
    ]
    # The console script beside this interpreter, if there is one (an editable install runs the
    # checkout on PYTHONPATH first).
    script = Path(PY).parent / "gradcli"
    if script.exists() or shutil.which("gradcli"):
        entry = str(script) if script.exists() else str(shutil.which("gradcli"))
        found += [
            Case("entry point: gradcli --help", [entry, "--help"], 1.1),
            Case("entry point: gradcli grad --help", [entry, "grad", "--help"], 1.2),
        ]
    return found


def run_once(command: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}: {proc.stderr.decode()}")
    return elapsed


def measure(case: Case, repeats: int) -> tuple[float, float, float]:
    """Median seconds of the case, of the baseline, and median per-pair ratio."""
    ours: list[float] = []
    theirs: list[float] = []
    for k in range(repeats):
        if k % 2:  # alternate which goes first, so neither always runs on a warmer cache
            theirs.append(run_once(BASELINE))
            ours.append(run_once(case.command))
        else:
            ours.append(run_once(case.command))
            theirs.append(run_once(BASELINE))
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    return statistics.median(ours), statistics.median(theirs), ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="pairs per case (at least 15)")
    args = parser.parse_args()
    repeats = max(15, args.repeats)
    for warm in (BASELINE, cases()[0].command):  # fill the OS file cache and .pyc files first
        run_once(warm)
    print(f"paired, alternating, medians of {repeats} runs; baseline: python -c 'import typer'\n")
    print("| case | gradcli ms | import typer ms | ratio | target |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for case in cases():
        ours, theirs, ratio = measure(case, repeats)
        target = f"≤ {case.target}" if case.target is not None else "—"
        print(
            f"| `{case.name}` | {ours * 1e3:.0f} | {theirs * 1e3:.0f} | {ratio:.2f}× | {target} |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
