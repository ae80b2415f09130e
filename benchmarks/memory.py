"""Peak memory of gradcli's big requests, before and after: each request as a whole process.

    python benchmarks/memory.py [--before /work/wt/base] [--after .] [--only NAME] [--limit-gb 4]

Each request runs as a subprocess with ``PYTHONPATH`` pointing at one tree (``--before``: an
untouched checkout; ``--after``: this one) and its peak resident memory is read from
``resource.getrusage(RUSAGE_CHILDREN)`` in a fresh helper process per request (so one request's
peak never hides another's). A request that passes ``--limit-gb`` of address space or a minute is
stopped and reported as such. Nothing here is a test: the suite checks refusals and streaming
shapes, this measures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
BOWL = "x**2+y**2"
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"


@dataclass
class Request:
    name: str
    args: list[str]
    stdin: str | None = None  # a file name under the scratch folder


def requests(scratch: Path) -> list[Request]:
    out = str(scratch / "figure")
    return [
        Request(
            "descend, 300,000 steps, --format json",
            [
                "descend",
                BOWL,
                "--from",
                "3,1",
                "--steps",
                "300000",
                "--tol",
                "0",
                "--lr",
                "1e-7",
                "--format",
                "json",
            ],
        ),
        Request(
            "descend, 100,000 stdin starts, --summary --format csv",
            ["descend", HIMMELBLAU, "--from", "-", "--summary", "--format", "csv"],
            "starts_100k.txt",
        ),
        Request(
            "descend, 1,000,000 stdin starts, --summary --format csv",
            ["descend", HIMMELBLAU, "--from", "-", "--summary", "--format", "csv"],
            "starts_1m.txt",
        ),
        Request(
            "descend, 100,000 stdin starts, --summary (table)",
            ["descend", HIMMELBLAU, "--from", "-", "--summary"],
            "starts_100k.txt",
        ),
        Request(
            "descend, 100,000 stdin starts, --summary --format json",
            ["descend", HIMMELBLAU, "--from", "-", "--summary", "--format", "json"],
            "starts_100k.txt",
        ),
        Request(
            "plot --grid 1500 --surface",
            ["plot", BOWL, "--grid", "1500", "--surface", "-o", out + ".png"],
        ),
        Request("plot --dpi 1200", ["plot", BOWL, "--dpi", "1200", "-o", out + ".png"]),
        Request(
            "plot --animate --dpi 1200",
            ["plot", BOWL, "--from", "3,1", "--animate", "--dpi", "1200", "-o", out + ".gif"],
        ),
        Request(
            "plot --animate --size 60x60",
            ["plot", BOWL, "--from", "3,1", "--animate", "--size", "60x60", "-o", out + ".gif"],
        ),
        Request(
            "plot --animate, 1,000,000 steps",
            [
                "plot",
                BOWL,
                "--from",
                "3,1",
                "--animate",
                "--steps",
                "1000000",
                "--tol",
                "0",
                "--lr",
                "1e-7",
                "-o",
                out + ".gif",
            ],
        ),
        Request(
            "plot --range -1e308:1e308",
            ["plot", BOWL, "--range", "-1e308:1e308", "-o", out + ".png"],
        ),
    ]


# Runs one request and prints {"rss_mb", "seconds", "code"}: a helper process of its own, so that
# RUSAGE_CHILDREN holds this request's peak only.
_MEASURE = r"""
import json, resource, subprocess, sys, time
args, stdin, limit, timeout = json.loads(sys.argv[1])
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
began = time.monotonic()
try:
    with open(stdin, "rb") if stdin else open("/dev/null", "rb") as source:
        done = subprocess.run(args, stdin=source, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, preexec_fn=cap, timeout=timeout)
    code, err = done.returncode, done.stderr.decode(errors="replace").strip().splitlines()
except subprocess.TimeoutExpired:
    code, err = "timeout", []
seconds = time.monotonic() - began
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"rss_mb": peak, "seconds": seconds, "code": code,
                  "last": err[-1][:90] if err else ""}))
"""


def measure(tree: Path, request: Request, scratch: Path, limit: int, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "NO_COLOR": "1", "COLUMNS": "100"}
    stdin = str(scratch / request.stdin) if request.stdin else None
    payload = json.dumps([[PY, "-m", "gradcli", *request.args], stdin, limit, timeout])
    done = subprocess.run(
        [PY, "-c", _MEASURE, payload], env=env, capture_output=True, text=True, cwd=scratch
    )
    return json.loads(done.stdout)


def write_starts(scratch: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    points = rng.uniform(-5, 5, (1_000_000, 2))
    np.savetxt(scratch / "starts_1m.txt", points, delimiter=",", fmt="%.6f")
    np.savetxt(scratch / "starts_100k.txt", points[:100_000], delimiter=",", fmt="%.6f")


def cell(result: dict | None) -> str:
    if result is None:
        return "—"
    code = result["code"]
    if code == "timeout":
        return f"{result['rss_mb']:,.0f} MB when stopped at {result['seconds']:.0f} s"
    text = f"{result['rss_mb']:,.0f} MB, {result['seconds']:.1f} s"
    if code == 2:
        return text + ", refused"
    if code not in (0,):
        return text + (" (out of memory)" if "Memory" in result["last"] else f", exit {code}")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=None, help="an untouched checkout")
    parser.add_argument("--after", type=Path, default=HERE.parent, help="this checkout")
    parser.add_argument("--only", default=None, help="requests whose name contains this")
    parser.add_argument("--limit-gb", type=float, default=4.0, help="address-space cap per run")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    opts = parser.parse_args()
    limit = int(opts.limit_gb * 2**30)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        write_starts(scratch)
        rows = []
        for request in requests(scratch):
            if opts.only and opts.only not in request.name:
                continue
            before = None
            if opts.before is not None:
                before = measure(opts.before.resolve(), request, scratch, limit, opts.timeout)
            after = measure(opts.after.resolve(), request, scratch, limit, opts.timeout)
            rows.append((request.name, before, after))
            print(f"{request.name}: before {cell(before)}; after {cell(after)}", file=sys.stderr)
    print("| request | before | after |")
    print("| --- | --- | --- |")
    for name, before, after in rows:
        print(f"| `{name}` | {cell(before)} | {cell(after)} |")


if __name__ == "__main__":
    main()
