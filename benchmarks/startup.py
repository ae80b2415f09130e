"""Start-up cost: gradcli's --help and a small command against ``python -c "import typer"``.

    python benchmarks/startup.py [--repeats 21]

Each case and the baseline run as whole processes (what a user waits for), in pairs whose order
alternates; the table shows the median wall time of each and the median of the per-pair ratios
(a pair shares the machine's load of the moment, so its ratio is steadier than a ratio of
medians). On a busy machine wall time is mostly waiting for a core, so the CPU time each process
used (user + system, from the kernel) is shown beside it, as the same paired median ratio.
Nothing here is a test: CI never times anything.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# The checkout being measured comes first, whatever is installed; and its modules load from .pyc
# files as in any installed copy (with PYTHONDONTWRITEBYTECODE set, gradcli's own modules would be
# compiled from source on every run while typer's, compiled at install, would not).
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
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


@dataclass
class Run:
    wall: float  # seconds from start to exit
    cpu: float  # seconds on a core (user + system), as the kernel accounted them


def run_once(command: list[str]) -> Run:
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        # cwd: 'python -m' puts the working directory first on sys.path
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, env=ENV, cwd=ROOT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}: {message}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime)


@dataclass
class Result:
    wall: float  # median wall seconds of the case
    base_wall: float  # ... of the baseline
    wall_ratio: float  # median of the per-pair ratios
    cpu: float
    base_cpu: float
    cpu_ratio: float


def measure(case: Case, repeats: int) -> Result:
    """Medians of the case and the baseline, and the median per-pair ratios."""
    ours: list[Run] = []
    theirs: list[Run] = []
    for k in range(repeats):
        if k % 2:  # alternate which goes first, so neither always runs on a warmer cache
            theirs.append(run_once(BASELINE))
            ours.append(run_once(case.command))
        else:
            ours.append(run_once(case.command))
            theirs.append(run_once(BASELINE))
    pairs = list(zip(ours, theirs, strict=True))
    return Result(
        statistics.median(r.wall for r in ours),
        statistics.median(r.wall for r in theirs),
        statistics.median(a.wall / b.wall for a, b in pairs),
        statistics.median(r.cpu for r in ours),
        statistics.median(r.cpu for r in theirs),
        statistics.median(a.cpu / max(b.cpu, 1e-6) for a, b in pairs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="pairs per case (at least 15)")
    args = parser.parse_args()
    repeats = max(15, args.repeats)
    for warm in [BASELINE, *(case.command for case in cases())]:  # OS file cache, .pyc files
        run_once(warm)
    print(f"paired, alternating, medians of {repeats} runs; baseline: python -c 'import typer'\n")
    print(
        "| case | wall ms | `import typer` ms | wall ratio | CPU ms | `import typer` CPU ms "
        "| CPU ratio | target |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case in cases():
        r = measure(case, repeats)
        target = f"≤ {case.target}" if case.target is not None else "—"
        print(
            f"| `{case.name}` | {r.wall * 1e3:.0f} | {r.base_wall * 1e3:.0f} | {r.wall_ratio:.2f}× "
            f"| {r.cpu * 1e3:.0f} | {r.base_cpu * 1e3:.0f} | {r.cpu_ratio:.2f}× | {target} |"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
