"""gradcli against what a user would otherwise run, side by side, as whole processes: issue 13's table.

    python benchmarks/run.py [--repeats 9] [--quick] [--only KEY,...] [--json] [--list] [--tree DIR]

Every case runs gradcli and its baseline (a file in ``benchmarks/baselines/``, ``python -c "import
…"``, ``qalc`` or ``maxima``) as whole processes, back to back, alternating which goes first, after
one untimed warm-up each. The table shows each side's median wall time and the median of the
per-pair ratios gradcli ÷ baseline (pairs run seconds apart, so load from other work on the machine
mostly cancels), against issue 13's target.

Before anything is timed, each case checks that both sides computed the same thing (the gradient, the
derivative's value, the final descent points, the stationary points): a benchmark that compares
different work would be worthless. A case whose tool is not installed is skipped with a note.

Cache rows: the result cache of issue 13 is found through ``GRADCLI_CACHE_DIR``. Cold rows give every
gradcli call its own empty cache folder (what a first call pays); warm rows fill one folder with an
untimed call first; the bypass rows run with ``GRADCLI_NO_CACHE=1`` against that warm folder. Before the
cache exists, the warm rows simply equal the cold ones (the notes say so).

``--tree DIR`` times the gradcli of another checkout (``PYTHONPATH=DIR``); the default is the checkout
holding this file. ``--scaling`` adds the cost-against-n table (n-dimensional Rosenbrock). Nothing here
is a test: CI never times anything (tests/test_benchmarks.py only builds the cases).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import functools
import io
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BASE = HERE / "baselines"
PY = sys.executable
ROSENBROCK = "(1-x)**2+100*(y-x**2)**2"
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"
# d/dx at 1.3 of the function of issue 13's qalc/maxima comparison; the same text is in
# baselines/partial_sympy.py, derivative.qalc and derivative.mac.
TRANSCENDENTAL = "x**3*sin(x) + exp(2*x)/(1+x**2)"
TRANSCENDENTAL_SLOPE = 10.645499116836094  # sympy, 20 digits: 10.645499116836094304
TIMEOUT = 600.0  # seconds for one process: generous, so a slow "before" still gets a number
FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


# --- what is timed ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """At most ``limit`` × the baseline, or (``seconds``) gradcli under ``limit`` seconds."""

    limit: float
    seconds: bool = False

    def text(self) -> str:
        return f"< {self.limit:g} s" if self.seconds else f"≤ {self.limit:.1f}×"

    def met(self, ours: float, ratio: float) -> bool:
        return ours < self.limit if self.seconds else ratio <= self.limit


Check = Callable[
    [str, str], "str | None"
]  # (gradcli's stdout, baseline's stdout) -> problem or None


@dataclass
class Case:
    key: str
    label: str  # Markdown, for the table
    ours: Callable[[int], list[str]] | None  # the i-th timed gradcli call; None: a reference row
    theirs: list[str]
    target: Target | None = None
    stdin: bytes | None = None
    cache: str = (
        "cold"  # cold: an empty cache folder per call; warm: one filled folder; off: bypass
    )
    check: Check | None = None
    check_ours: list[str] | None = (
        None  # the gradcli call whose output the check reads (default: ours(0))
    )
    needs: str | None = None  # an external program; the row is skipped without it
    max_repeats: int | None = None  # rows of many seconds
    may_refuse: bool = False  # a refusal (exit 2) is today's answer, shown as "refused"
    note: str = ""
    describe: Callable[[], str] | None = None  # a note read from the warm-up's results


@dataclass
class Row:
    key: str
    label: str
    target: str
    ours: float | None = None
    theirs: float | None = None
    ratio: float | None = None
    ok: bool | None = None
    status: str = "measured"  # measured, reference, refused, skipped, failed
    notes: list[str] = field(default_factory=list)
    repeats: int = 0
    ours_times: list[float] = field(default_factory=list)
    theirs_times: list[float] = field(default_factory=list)
    ours_cpu: float | None = None  # medians of user + system seconds: less sensitive to load
    theirs_cpu: float | None = None
    cpu_ratio: float | None = None


def gradcli(*args: str) -> Callable[[int], list[str]]:
    return lambda _i: [PY, "-m", "gradcli", *args]


@functools.cache
def starts(count: int) -> bytes:
    import random

    rng = random.Random(0)
    return "".join(
        f"{rng.uniform(-5, 5)!r},{rng.uniform(-5, 5)!r}\n" for _ in range(count)
    ).encode()


def squares(n: int) -> tuple[str, str]:
    return "+".join(f"x{i}**2" for i in range(1, n + 1)), ",".join("1" for _ in range(n))


# --- the checks: both sides computed the same numbers ---------------------------------------------
def close(
    a: Sequence[float], b: Sequence[float], rel: float = 1e-7, absolute: float = 1e-9
) -> bool:
    return len(a) == len(b) and all(
        abs(x - y) <= absolute + rel * max(abs(x), abs(y)) for x, y in zip(a, b)
    )


def compare(what: str, ours: Sequence[float], theirs: Sequence[float], **tol: float) -> str | None:
    if close(ours, theirs, **tol):
        return None
    return f"{what} differ: gradcli {list(ours)[:4]}, baseline {list(theirs)[:4]}"


def json_path(text: str, *path: str | int) -> Any:
    node: Any = json.loads(text)
    for step in path:
        node = node[step]
    return node


def last_float(text: str) -> float:
    return float(FLOAT.findall(text)[-1])


def usage_check(ours: str, _theirs: str) -> str | None:
    return None if ours.startswith("Usage:") else "gradcli printed no usage text"


def gradient_check(expected: Sequence[float]) -> Check:
    """gradcli's JSON gradient at the point against known values (the baseline prints nothing)."""
    return lambda ours, _t: compare(
        "gradients", json_path(ours, "points", 0, "gradient"), list(expected)
    )


def grad_sympy_check(ours: str, theirs: str) -> str | None:
    # baselines/grad_sympy.py prints "at (3, 1): [6, 2] norm 2*sqrt(10) 6.32…"
    at_line = next(line for line in theirs.splitlines() if line.startswith("at "))
    listed = at_line.split("[", 1)[1].split("]", 1)[0]
    return compare(
        "gradients",
        json_path(ours, "points", 0, "gradient"),
        [float(v) for v in listed.split(",")],
    )


def slope_check(ours: str, theirs: str) -> str | None:
    """The derivative at the point: gradcli's JSON (partial or grad) against the baseline's last
    number (qalc prints 10 significant digits, hence the tolerance)."""
    point = json_path(ours, "points", 0)
    value = point["derivative"] if "derivative" in point else point["gradient"][0]
    return compare("derivatives", [value], [last_float(theirs)], rel=1e-8)


def constant_slope_check(ours: str, _theirs: str) -> str | None:
    return slope_check(ours, repr(TRANSCENDENTAL_SLOPE))


def last_csv_rows(text: str, count: int) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return rows[-count:]


def descent_csv_check(ours: str, theirs: str) -> str | None:
    mine, base = last_csv_rows(ours, 1)[0], last_csv_rows(theirs, 1)[0]
    fields = ("step", "x", "y", "f")
    return compare(
        "final steps", [float(mine[k]) for k in fields], [float(base[k]) for k in fields]
    )


def many_check(ours: str, theirs: str) -> str | None:
    # baselines/descend_numpy_many.py prints run,x,y,f,grad_norm (numpy 2 wraps each number in
    # np.float64(…), so numbers are read by pattern, not by csv)
    mine = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(io.StringIO(ours))]
    base = [
        (nums[1], nums[2])
        for nums in (
            [float(v) for v in FLOAT.findall(line.replace("np.float64", ""))]
            for line in theirs.splitlines()[1:]
        )
    ]
    if len(mine) != len(base):
        return f"gradcli summarised {len(mine)} runs, the baseline {len(base)}"
    return compare(
        "final points", [c for p in mine for c in p], [c for p in base for c in p], rel=1e-6
    )


def critical_check(ours: str, theirs: str) -> str | None:
    mine = sorted(
        (round(p["at"]["x"], 5), round(p["at"]["y"], 5), p["classification"])
        for p in json_path(ours, "points")
    )
    base = sorted(
        (round(float(r["x"]), 5), round(float(r["y"]), 5), r["classification"])
        for r in csv.DictReader(io.StringIO(theirs))
    )
    return None if mine == base else f"stationary points differ: {mine} vs {base}"


def squares_check(ours: str, theirs: str) -> str | None:
    return compare(
        "gradients",
        [*json_path(ours, "points", 0, "gradient"), json_path(ours, "points", 0, "norm")],
        [*json_path(theirs, "at_gradient"), json_path(theirs, "norm")],
    )


def png_size(path: Path) -> str:
    header = path.read_bytes()[:24]  # the signature, then IHDR: width and height, big-endian
    return f"{int.from_bytes(header[16:20], 'big')}×{int.from_bytes(header[20:24], 'big')} px"


def png_check(ours_file: Path, theirs_file: Path) -> Check:
    def check(_ours: str, _theirs: str) -> str | None:
        for path in (ours_file, theirs_file):
            if not path.is_file() or path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
                return f"{path.name} is not a PNG"
        return None

    return check


# --- the cases --------------------------------------------------------------------------------------
def cases(quick: bool, tmp: Path) -> list[Case]:
    steps = 10_000 if quick else 100_000
    many = 1_000 if quick else 10_000
    small, large = (50, 100) if quick else (500, 1000)
    typer = [PY, "-c", "import typer"]
    sympy = [PY, "-c", "import sympy"]
    qalc = ["qalc", "-defaults", "-t", "-f", str(BASE / "derivative.qalc")]
    maxima = ["maxima", "--very-quiet", "-b", str(BASE / "derivative.mac")]
    grad_json = [PY, "-m", "gradcli", "grad", "x**2+y**2", "--at", "3,1", "--format", "json"]
    slope_json = [PY, "-m", "gradcli", "grad", TRANSCENDENTAL, "--at", "1.3", "--format", "json"]
    partial_args = ("partial", TRANSCENDENTAL, "--wrt", "x", "--at", "1.3")
    partial_json = [PY, "-m", "gradcli", *partial_args, "--format", "json"]

    def new_point(i: int) -> list[str]:  # a point no earlier call has seen
        return [PY, "-m", "gradcli", "grad", "x**2+y**2", "--at", f"{3 + (i + 1) / 8:g},1"]

    def new_slope_point(i: int) -> list[str]:
        return [PY, "-m", "gradcli", "grad", TRANSCENDENTAL, "--at", f"{1.3 + (i + 1) / 100:.2f}"]

    def new_slope_point_3(i: int) -> list[str]:  # as `seq 1.301 0.001 …` gives them
        return [PY, "-m", "gradcli", "grad", TRANSCENDENTAL, "--at", f"{1.3 + (i + 1) / 1000:.3f}"]

    rows = [
        Case(
            "import-sympy",
            '`python -c "import sympy"` (reference)',
            None,
            sympy,
        ),
        Case(
            "help",
            '`gradcli --help` vs `python -c "import typer"`',
            gradcli("--help"),
            typer,
            Target(1.1),
            check=usage_check,
        ),
        Case(
            "grad-help",
            '`gradcli grad --help` vs `python -c "import typer"`',
            gradcli("grad", "--help"),
            typer,
            Target(1.2),
            check=usage_check,
        ),
        Case(
            "grad",
            '`grad "x**2+y**2" --at 3,1` vs a sympy script',
            gradcli("grad", "x**2+y**2", "--at", "3,1"),
            [PY, str(BASE / "grad_sympy.py")],
            Target(1.2),
            check=grad_sympy_check,
            check_ours=grad_json,
        ),
        Case(
            "partial",
            f'`partial "{TRANSCENDENTAL}" --wrt x --at 1.3` vs a sympy script',
            gradcli(*partial_args),
            [PY, str(BASE / "partial_sympy.py")],
            Target(1.2),
            check=slope_check,
            check_ours=partial_json,
            note="partial's target is assumed: issue 13 sets 1.2× for a cold derivative at a point",
        ),
        Case(
            "partial-qalc",
            "the same `partial` vs `qalc`",
            gradcli(*partial_args),
            qalc,
            check=slope_check,
            check_ours=partial_json,
            needs="qalc",
        ),
        Case(
            "partial-maxima",
            "the same `partial` vs `maxima`",
            gradcli(*partial_args),
            maxima,
            check=slope_check,
            check_ours=partial_json,
            needs="maxima",
        ),
        Case(
            "descend-csv",
            f"`descend` Rosenbrock, {steps:,} steps to CSV vs a lambdify loop",
            gradcli(
                *("descend", ROSENBROCK, "--from", "-1.2,1", "--lr", "0.0001"),
                *("--steps", str(steps), "--tol", "0", "--format", "csv"),
            ),
            [PY, str(BASE / "descend_lambdify_csv.py"), str(steps)],
            Target(1.2),
            check=descent_csv_check,
        ),
        Case(
            "descend-many",
            f"`descend` Himmelblau, {many:,} starts × 500 steps `--summary` vs hand-vectorised numpy",
            gradcli(
                *("descend", HIMMELBLAU, "--from", "-", "--lr", "0.01", "--steps", "500"),
                *("--tol", "0", "--summary", "--format", "csv"),
            ),
            [PY, str(BASE / "descend_numpy_many.py"), "500"],
            Target(1.5),
            stdin=starts(many),
            check=many_check,
        ),
        Case(
            "plot",
            '`plot "x**2+y**2" -o bowl.png` (default) vs a matplotlib script',
            gradcli("plot", "x**2+y**2", "-o", str(tmp / "ours.png")),
            [PY, str(BASE / "plot_matplotlib.py"), str(tmp / "theirs.png")],
            Target(1.3),
            check=png_check(tmp / "ours.png", tmp / "theirs.png"),
            describe=lambda: (
                f"figure sizes: gradcli's default {png_size(tmp / 'ours.png')}, "
                f"the script's {png_size(tmp / 'theirs.png')}"
            ),
        ),
        Case(
            "descend-many-warm",
            f"the same `descend` {many:,} × 500, warm cache (f's numeric code recalled), vs "
            "hand-vectorised numpy",
            gradcli(
                *("descend", HIMMELBLAU, "--from", "-", "--lr", "0.01", "--steps", "500"),
                *("--tol", "0", "--summary", "--format", "csv"),
            ),
            [PY, str(BASE / "descend_numpy_many.py"), "500"],
            Target(1.5),
            stdin=starts(many),
            check=many_check,
            cache="warm",
        ),
        Case(
            "plot-warm",
            "the same default `plot`, warm cache (f's numeric code and title recalled), vs a "
            "matplotlib script",
            gradcli("plot", "x**2+y**2", "-o", str(tmp / "ours-warm.png")),
            [PY, str(BASE / "plot_matplotlib.py"), str(tmp / "theirs-warm.png")],
            Target(1.3),
            check=png_check(tmp / "ours-warm.png", tmp / "theirs-warm.png"),
            cache="warm",
        ),
        Case(
            "critical",
            "`critical` Himmelblau vs a sympy + numpy Newton script",
            gradcli("critical", HIMMELBLAU),
            [PY, str(BASE / "critical_newton.py")],
            Target(1.0),
            check=critical_check,
            check_ours=[PY, "-m", "gradcli", "critical", HIMMELBLAU, "--format", "json"],
        ),
    ]
    for n in (small, large):
        expr, point = squares(n)
        rows.append(
            Case(
                f"squares-{n}",
                f"`grad` of a sum of {n:,} squares at (1, …, 1), JSON, vs a sympy script",
                gradcli("grad", expr, "--at", point, "--format", "json"),
                [PY, str(BASE / "grad_squares_sympy.py"), str(n)],
                Target(3.0, seconds=True),
                check=squares_check,
                max_repeats=3,
                may_refuse=True,
            )
        )
    rows += [
        Case(
            "warm-new-point",
            '`grad "x**2+y**2"` at a new point, warm cache, vs `python -c "import sympy"`',
            new_point,
            sympy,
            Target(1.0),
            cache="warm",
            check=gradient_check([6, 2]),
            check_ours=grad_json,
        ),
        Case(
            "warm-same",
            'the identical `grad "x**2+y**2" --at 3,1` again, warm cache, vs `import sympy`',
            gradcli("grad", "x**2+y**2", "--at", "3,1"),
            sympy,
            Target(1.0),
            cache="warm",
            check=gradient_check([6, 2]),
            check_ours=grad_json,
        ),
        Case(
            "warm-new-point-qalc",
            "`grad` of the transcendental f at a new point, warm cache, vs `qalc`",
            new_slope_point,
            qalc,
            Target(1.5),
            cache="warm",
            check=slope_check,
            check_ours=slope_json,
            needs="qalc",
        ),
        Case(
            "warm-new-point-3dp-qalc",
            "`grad` of the transcendental f at new points 1.301, 1.302, …, warm cache, vs `qalc`",
            new_slope_point_3,
            qalc,
            Target(1.5),
            cache="warm",
            check=slope_check,
            check_ours=slope_json,
            needs="qalc",
            note="three decimals: the exact forms are too long for the table (see README)",
        ),
        Case(
            "warm-same-qalc",
            "the identical `grad` of it at 1.3 again, warm cache, vs `qalc`",
            gradcli("grad", TRANSCENDENTAL, "--at", "1.3"),
            qalc,
            Target(1.5),
            cache="warm",
            check=slope_check,
            check_ours=slope_json,
            needs="qalc",
        ),
        Case(
            "no-cache",
            'the identical `grad "x**2+y**2" --at 3,1`, `GRADCLI_NO_CACHE=1`, vs `import sympy`',
            gradcli("grad", "x**2+y**2", "--at", "3,1"),
            sympy,
            cache="off",
            check=gradient_check([6, 2]),
            check_ours=grad_json,
        ),
        Case(
            "no-cache-qalc",
            "the identical `grad` of the transcendental f, `GRADCLI_NO_CACHE=1`, vs `qalc`",
            gradcli("grad", TRANSCENDENTAL, "--at", "1.3"),
            qalc,
            cache="off",
            check=constant_slope_check,
            check_ours=slope_json,
        ),
    ]
    return rows


# --- running ----------------------------------------------------------------------------------------
@dataclass
class Runner:
    tree: Path
    tmp: Path

    def env(self, cache_dir: Path | None, bypass: bool) -> dict[str, str]:
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "PYTHONPATH": str(self.tree)}
        env.pop("GRADCLI_NO_CACHE", None)
        if cache_dir is not None:
            # XDG_CACHE_HOME too, so no call ever reads or fills the user's own cache
            env["GRADCLI_CACHE_DIR"] = env["XDG_CACHE_HOME"] = str(cache_dir)
        if bypass:
            env["GRADCLI_NO_CACHE"] = "1"
        return env

    def run(
        self, cmd: list[str], stdin: bytes | None, env: dict[str, str], capture: bool = False
    ) -> tuple[float, float, int, str, str]:
        """Wall seconds, CPU seconds (user + system), exit code, stdout (if captured), stderr."""
        before = os.times()
        start = time.perf_counter()
        proc = subprocess.run(
            cmd,
            # In the timed tree: `python -m gradcli` puts the working directory first on sys.path,
            # ahead of PYTHONPATH, so run from another checkout it would time that one's gradcli.
            cwd=self.tree,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            timeout=TIMEOUT,
            check=False,
        )
        wall = time.perf_counter() - start
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        out = proc.stdout.decode(errors="replace") if capture else ""
        return wall, cpu, proc.returncode, out, proc.stderr.decode(errors="replace")


class Failed(Exception):
    pass


def first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[-1][:200]


def measure(case: Case, runner: Runner, repeats: int) -> Row:
    row = Row(case.key, case.label, case.target.text() if case.target else "—")
    if case.note:
        row.notes.append(case.note)
    for program in [case.needs] if case.needs else []:
        if shutil.which(program) is None:
            row.status = "skipped"
            row.notes.append(f"{program} is not installed (apt-get install {program})")
            return row
    if case.max_repeats is not None and case.max_repeats < repeats:
        repeats = case.max_repeats
        row.notes.append(f"{repeats} pairs: each call takes seconds")
    theirs_env = runner.env(None, False)
    try:
        if case.ours is None:
            walls = [runner.run(case.theirs, case.stdin, theirs_env)[0] for _ in range(repeats + 1)]
            row.theirs_times = walls[1:]  # the first only fills the file cache
            row.status, row.theirs, row.repeats = "reference", statistics.median(walls[1:]), repeats
            return row
        warm = Path(tempfile.mkdtemp(dir=runner.tmp)) if case.cache != "cold" else None

        def ours(
            cmd: list[str], capture: bool = False, bypass: bool = case.cache == "off"
        ) -> tuple[float, float, int, str, str]:
            if warm is not None:
                return runner.run(cmd, case.stdin, runner.env(warm, bypass), capture)
            fresh = Path(tempfile.mkdtemp(dir=runner.tmp))  # an empty cache: a first call
            try:
                return runner.run(cmd, case.stdin, runner.env(fresh, False), capture)
            finally:
                shutil.rmtree(fresh, ignore_errors=True)

        # untimed: fill the file cache (and gradcli's, also before a bypass row, so that the
        # bypass has something to ignore), then check that both sides did the same work
        _, _, code, out, err = ours(case.ours(0), capture=True, bypass=False)
        if code == 2 and case.may_refuse:
            row.status = "refused"
            row.notes.append(f"refused: {first_line(err)}")
        elif code != 0:
            raise Failed(f"gradcli exited {code}: {first_line(err)}")
        _, _, code, base_out, err = runner.run(case.theirs, case.stdin, theirs_env, capture=True)
        if code != 0:
            raise Failed(f"the baseline exited {code}: {first_line(err)}")
        if case.check is not None and row.status != "refused":
            if case.check_ours is not None:
                _, _, code, out, err = ours(case.check_ours, capture=True)
                if code != 0:
                    raise Failed(f"gradcli's check call exited {code}: {first_line(err)}")
            try:
                problem = case.check(out, base_out)
            except (ValueError, KeyError, IndexError, StopIteration, TypeError) as exc:
                problem = f"could not read the outputs ({type(exc).__name__}: {exc})"
            if problem:
                raise Failed(f"check failed, not timed: {problem}")
        if case.describe is not None and row.status != "refused":
            row.notes.append(case.describe())
        if warm is not None and case.cache == "warm" and not any(warm.iterdir()):
            row.notes.append("nothing was cached (no result cache yet): these are cold numbers")
        ratios: list[float] = []
        ours_cpu: list[float] = []
        theirs_cpu: list[float] = []
        for i in range(repeats):
            pair: dict[str, tuple[float, float]] = {}
            for side in ("ours", "theirs") if i % 2 == 0 else ("theirs", "ours"):
                if side == "ours":
                    wall, cpu, code, _, err = ours(case.ours(i + 1))
                    if code != 0 and not (code == 2 and row.status == "refused"):
                        raise Failed(f"gradcli exited {code}: {first_line(err)}")
                else:
                    wall, cpu, code, _, err = runner.run(case.theirs, case.stdin, theirs_env)
                    if code != 0:
                        raise Failed(f"the baseline exited {code}: {first_line(err)}")
                pair[side] = (wall, cpu)
            row.ours_times.append(pair["ours"][0])
            row.theirs_times.append(pair["theirs"][0])
            ours_cpu.append(pair["ours"][1])
            theirs_cpu.append(pair["theirs"][1])
            ratios.append(pair["ours"][0] / pair["theirs"][0])
    except (Failed, subprocess.TimeoutExpired, OSError) as exc:
        row.status = "failed"
        row.notes.append(str(exc))
        return row
    row.repeats = repeats
    row.ours, row.theirs = statistics.median(row.ours_times), statistics.median(row.theirs_times)
    row.ours_cpu, row.theirs_cpu = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    if row.theirs_cpu > 0 and row.status != "refused":
        row.cpu_ratio = row.ours_cpu / row.theirs_cpu
    if row.status == "refused":
        row.ok = False
        return row
    row.ratio = statistics.median(ratios)
    row.ok = case.target.met(row.ours, row.ratio) if case.target else None
    return row


# --- reporting --------------------------------------------------------------------------------------
def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f} s"


def markdown(rows: list[Row], header: str) -> str:
    lines = [
        header,
        "",
        "| case | gradcli | baseline | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    notes: list[str] = []  # numbered once each; rows refer to them as [n]
    for row in rows:
        refs = []
        for note in row.notes:
            if note not in notes:
                notes.append(note)
            refs.append(f"[{notes.index(note) + 1}]")
        mark = {True: "✓", False: "✗", None: ""}[row.ok]
        ours = {"refused": "refused", "skipped": "skipped", "failed": "failed"}.get(
            row.status, seconds(row.ours)
        )
        theirs = "—" if row.status in ("skipped", "failed") else seconds(row.theirs)
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        label = " ".join([row.label, *refs])
        lines.append(f"| {label} | {ours} | {theirs} | {ratio} | {row.target} | {mark} |")
    return "\n".join([*lines, "", *(f"{i}. {note}" for i, note in enumerate(notes, 1))])


def describe_tree(tree: Path) -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(tree), "log", "-1", "--format=%h %cs"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return f"{tree}" + (f" at {commit}" if commit else "")


def run_all(args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="gradcli-bench-") as name:
        tmp = Path(name)
        os.chmod(tmp, 0o700)
        runner = Runner(args.tree, tmp)
        chosen = select(cases(args.quick, tmp), args.only)
        load_before = os.getloadavg()
        started = datetime.datetime.now().astimezone()
        rows = []
        for number, case in enumerate(chosen, 1):
            row = measure(case, runner, args.repeats)
            rows.append(row)
            print(
                f"[{number}/{len(chosen)}] {row.key}: {row.status} {seconds(row.ours)} vs "
                f"{seconds(row.theirs)}" + (f" ({'; '.join(row.notes)})" if row.notes else ""),
                file=sys.stderr,
                flush=True,
            )
        load_after = os.getloadavg()
    meta = {
        "date": started.isoformat(timespec="minutes"),
        "minutes": round((datetime.datetime.now().astimezone() - started).total_seconds() / 60, 1),
        "tree": describe_tree(args.tree),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after],
        "repeats": args.repeats,
        "quick": args.quick,
    }
    return rows, meta


def header(meta: dict[str, Any]) -> str:
    return (
        f"Measured {meta['date']} on {meta['cores']} cores (Python {meta['python']}), gradcli from "
        f"{meta['tree']}; load average {meta['load_before'][0]:.2f} at the start and "
        f"{meta['load_after'][0]:.2f} at the end (1-minute); each row: medians of "
        f"{meta['repeats']} alternating pairs of whole processes (fewer where marked), ratio = "
        f"median of the per-pair ratios{', --quick workloads' if meta['quick'] else ''} "
        "(CPU-time medians and ratios, less sensitive to load, are in --json)."
    )


def select(all_cases: list[Case], only: str | None) -> list[Case]:
    if not only:
        return all_cases
    keys = {c.key for c in all_cases}
    wanted = [w.strip() for w in only.split(",") if w.strip()]

    def chosen(key: str) -> bool:  # a whole key picks itself only; a part of one, every match
        return any(w == key if w in keys else w in key for w in wanted)

    return [c for c in all_cases if chosen(c.key)]


# --- cost against the number of variables (optional) -----------------------------------------------
def rosenbrock(n: int) -> str:
    names = [f"x{i}" for i in range(1, n + 1)]
    return "+".join(f"100*({b}-{a}**2)**2+(1-{a})**2" for a, b in itertools.pairwise(names))


def scaling(runner: Runner, repeats: int) -> str:
    lines = [
        "| n | `grad --at` | `descend`, 1,000 steps |",
        "| --- | --- | --- |",
    ]
    env = runner.env(None, True)
    for n in (2, 10, 100):
        expr, point = rosenbrock(n), ",".join("0.5" for _ in range(n))
        grad = [PY, "-m", "gradcli", "grad", expr, "--at", point, "--format", "json"]
        desc = [PY, "-m", "gradcli", "descend", expr, "--from", point, "--lr", "0.0005"]
        desc += ["--steps", "1000", "--tol", "0", "--summary", "--format", "json"]
        times = [
            statistics.median(runner.run(cmd, None, env)[0] for _ in range(repeats))
            for cmd in (grad, desc)
        ]
        lines.append(f"| {n} | {times[0]:.2f} s | {times[1]:.2f} s |")
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------------
def listing(all_cases: list[Case]) -> str:
    out = []
    for case in all_cases:
        ours = "(reference)" if case.ours is None else " ".join(case.ours(0)[2:])
        out.append(f"{case.key}\t{case.label}\n    gradcli:  {ours[:160]}")
        out.append(f"    baseline: {' '.join(case.theirs)[:160]}")
        target = case.target.text() if case.target else "—"
        extra = f", needs {case.needs}" if case.needs else ""
        out.append(f"    target {target}, cache {case.cache}{extra}")
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeats", type=int, help="timed pairs per case (default 9; 3 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller workloads and 3 repeats")
    parser.add_argument("--only", help="comma-separated case keys (or parts of them) to run")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="JSON too: alone, JSON instead of Markdown on stdout; with FILE, written there",
    )
    parser.add_argument("--list", action="store_true", help="list the cases; run nothing")
    parser.add_argument(
        "--render", metavar="FILE", help="print the Markdown of a run saved with --json FILE"
    )
    parser.add_argument("--scaling", action="store_true", help="add the cost-against-n table")
    parser.add_argument(
        "--tree", type=Path, default=HERE.parent, help="the checkout whose gradcli is timed"
    )
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 9
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    args.tree = args.tree.resolve()
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        saved = json.loads(Path(args.render).read_text(encoding="utf-8"))
        fields = set(Row.__dataclass_fields__)
        rows = [Row(**{k: v for k, v in row.items() if k in fields}) for row in saved["rows"]]
        print(markdown(rows, header(saved)))
        return 0
    if args.list:
        with tempfile.TemporaryDirectory() as tmp:
            print(listing(select(cases(args.quick, Path(tmp)), args.only)))
        return 0
    rows, meta = run_all(args)
    extra = ""
    if args.scaling:
        with tempfile.TemporaryDirectory() as tmp:
            extra = scaling(Runner(args.tree, Path(tmp)), max(1, args.repeats // 2))
    if args.json:
        payload = {**meta, "rows": [vars(row) for row in rows]}
        if extra:
            payload["scaling"] = extra
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        if args.json == "-":
            print(text)
            return 0
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print(markdown(rows, header(meta)))
    if extra:
        print("\nCost against the number of variables (n-dimensional Rosenbrock, median):\n")
        print(extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
