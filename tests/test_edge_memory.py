"""Issue 10, bounded memory and the descend/plot edges: streamed JSON, batched runs, float starts,
refusals and caps for figures, scaled norms, unique CSV columns.

The memory itself is measured by benchmarks/memory.py; these tests check the shapes that keep it
flat (output appears before a long run ends, runs are numbered across batches) and the refusals.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.optimize import engine
from gradcli.optimize.runs import norm_from, norms_from

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "NO_COLOR": "1",
    "COLUMNS": "120",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONPATH": str(ROOT),
}


def descend(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["descend", *args], input=input)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- ‖∇f‖ when its square overflows or underflows ---------------------------------------------
def test_x4_from_10_reports_a_finite_norm_beside_a_finite_gradient() -> None:
    # before: the last row had gradient 9.09e194 and an empty norm (its square overflowed)
    result = descend("x^4", "--from", "10", "--lr", "0.1", "--format", "csv")
    assert result.exit_code == 0, result.output
    last = rows_of(result.output)[-1]
    assert last["status"] == "diverged"
    assert float(last["grad_norm"]) == pytest.approx(abs(float(last["grad_x"])), rel=1e-15)
    assert math.isfinite(float(last["grad_norm"])) and float(last["grad_norm"]) > 1e150


def test_scaled_norms_agree_between_lanes() -> None:
    # one run (scalar lane) and five (vector lane) give the same final row, norm included
    one = json.loads(descend("x^4", "--from", "10", "--lr", "0.1", "--format", "json").output)
    many = json.loads(
        descend("x^4", *["--from", "10"] * 5, "--lr", "0.1", "--summary", "--format", "json").output
    )
    assert [r["final"] for r in many["runs"]] == [one["runs"][0]["final"]] * 5
    assert one["runs"][0]["final"]["norm"] == pytest.approx(9.087409240981803e194, rel=1e-15)


@pytest.mark.parametrize(
    ("v", "expected"),
    [
        ([1e200, 1e200], math.sqrt(2) * 1e200),  # the square overflows
        ([3e-170, 4e-170], 5e-170),  # the square underflows
        ([3.0, 4.0], 5.0),  # the fast path
        ([0.0, 0.0], 0.0),
        ([math.inf, 1.0], math.inf),
    ],
)
def test_norm_from_is_scaled_only_where_the_square_fails(v: list[float], expected: float) -> None:
    sq = sum(x * x for x in v)
    assert norm_from(sq, v) == pytest.approx(expected, rel=1e-15)
    arrays = [np.array([x]) for x in v]
    assert norms_from(np.array([sq]), arrays)[0] == norm_from(sq, v)  # bit-identical


def test_norm_from_keeps_nan() -> None:
    v = [math.nan, 1.0]
    assert math.isnan(norm_from(math.nan, v))
    assert math.isnan(norms_from(np.array([math.nan]), [np.array([x]) for x in v])[0])


@pytest.mark.parametrize("starts", [1, 5])
def test_a_tolerance_below_1e_150_is_compared_unsquared(starts: int) -> None:
    # ‖∇f‖ = 2e-165 > tol = 1e-170, but both squares underflow to 0: not converged at the start
    args = ["x^2", *["--from", "1e-165"] * starts, "--tol", "1e-170", "--format", "json"]
    runs = json.loads(descend(*args, "--summary").output)["runs"]
    for run in runs:
        assert run["status"] == "converged"
        assert run["iterations"] > 50  # 2x shrinks by 0.8 a step down to 1e-170
        assert run["final"]["norm"] <= 1e-170


# --- CSV columns are unique ----------------------------------------------------------------------
def test_descend_csv_columns_are_unique_when_variables_are_called_f_and_lr() -> None:
    result = descend("f**2 + lr**2", "--from", "1,1", "--steps", "1", "--format", "csv")
    header = result.output.splitlines()[0].split(",")
    assert header == "run,method,lr,step,var_f,var_lr,f,grad_f,grad_lr,grad_norm,status".split(",")
    row = rows_of(result.output)[0]
    assert row["lr"] == "0.1" and row["var_lr"] == "1.0" and row["f"] == "2.0"


def test_descend_summary_csv_with_a_variable_called_norm() -> None:
    args = ["norm**2 + status", "--from", "1,1", "--summary", "--format", "csv", "--line-search"]
    header = descend(*args).output.splitlines()[0].split(",")
    assert len(header) == len(set(header))
    assert "grad_var_norm" in header and "var_status" in header and "grad_norm" in header


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "f**2 + grad_f", "--at", "1,1"],
        ["partial", "f**2 + derivative", "--wrt", "f", "--at", "1,1", "--check"],
        ["critical", "f**2 + classification**2"],
    ],
)
def test_every_csv_has_unique_columns(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split(",")
    assert len(header) == len(set(header)), header
    assert "var_f" in header


# --- JSON streams --------------------------------------------------------------------------------
@pytest.mark.slow
def test_json_of_a_long_run_appears_before_the_run_ends() -> None:
    # 100 million steps would take many minutes: the first steps must be on the pipe long before
    command = [sys.executable, "-m", "gradcli", "descend", "x**2+y**2", "--from", "3,1",
               "--steps", "100000000", "--tol", "0", "--lr", "1e-9", "--format", "json"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout is not None
    try:
        seen = []
        for line in proc.stdout:
            seen.append(line.decode())
            if line.lstrip().startswith(b'{"step": 1,'):
                break
        assert proc.poll() is None  # still computing
        assert any('"steps": [' in s for s in seen)
        step = json.loads(seen[-1].strip().rstrip(","))
        assert step["point"] == {"x": 3 - 1e-9 * 6.0, "y": 1 - 1e-9 * 2.0}
    finally:
        proc.kill()
        proc.communicate()


@pytest.mark.slow
def test_ctrl_c_during_a_streamed_json_run_closes_the_document() -> None:
    command = [sys.executable, "-m", "gradcli", "descend", "x**2+y**2", "--from", "3,1",
               "--steps", "100000000", "--tol", "0", "--lr", "1e-9", "--format", "json"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout is not None
    head = b""
    for line in proc.stdout:  # wait for the first steps: the run is underway
        head += line
        if line.lstrip().startswith(b'{"step": 1,'):
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()  # the same buffered reader: what it read ahead is not lost
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    document = json.loads(head + rest)
    (run,) = document["runs"]
    assert run["status"] == "interrupted"
    assert run["steps"][-1]["step"] == run["iterations"] >= 1


def test_streamed_json_matches_ndjson_step_for_step() -> None:
    args = ["(1-x)**2+100*(y-x**2)**2", "--from", "-1.2,1", "--from", "0,0", "--lr", "0.001"]
    args += ["--method", "gd", "--method", "adam", "--steps", "300"]
    document = json.loads(descend(*args, "--format", "json").output)
    lines = [json.loads(x) for x in descend(*args, "--format", "ndjson").output.splitlines()]
    assert [r["run"] for r in document["runs"]] == [1, 2, 3, 4]
    for run in document["runs"]:
        mine = [x for x in lines if x["run"] == run["run"]]
        assert [s["point"] for s in run["steps"]] == [x["point"] for x in mine]
        assert [s["norm"] for s in run["steps"]] == [x["norm"] for x in mine]
        assert run["status"] == mine[-1]["status"]


def test_json_runs_too_long_to_hold_are_streamed_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["x**2+3*y**2", "--from", "3,1", "--from", "-1,2", "--lr", "0.1", "--lr", "0.01"]
    args += ["--steps", "200", "--format", "json"]
    held = json.loads(descend(*args).output)
    monkeypatch.setattr(engine, "ROW_BUDGET", 50)  # 200 steps no longer fit: each run streams
    streamed = json.loads(descend(*args).output)
    assert streamed == held
    assert [r["run"] for r in streamed["runs"]] == [1, 2, 3, 4]


# --- batches -------------------------------------------------------------------------------------
def test_batches_cover_every_start_in_order() -> None:
    assert list(engine.batches(10, 1, 1, budget=4)) == [(0, 4), (4, 8), (8, 10)]
    assert list(engine.batches(3, 2, 1000, budget=10)) == [(0, 1), (1, 2), (2, 3)]  # ≥ 1 start
    assert list(engine.batches(25_000, 1, 1)) == [(0, 10_000), (10_000, 20_000), (20_000, 25_000)]


def test_summary_in_batches_numbers_runs_across_them(monkeypatch: pytest.MonkeyPatch) -> None:
    starts = "".join(f"{x / 4},{-x / 8}\n" for x in range(10))
    args = ["x**2+3*y**2", "--from", "-", "--lr", "0.1", "--lr", "0.05", "--summary"]
    whole = descend(*args, "--format", "csv", input=starts).output
    monkeypatch.setattr(engine, "RUNS_PER_BATCH", 4)  # 2 starts × 2 rates a batch
    batched = descend(*args, "--format", "csv", input=starts).output
    assert batched == whole
    assert [int(r["run"]) for r in rows_of(batched)] == list(range(1, 21))
    ndjson = descend(*args, "--format", "ndjson", input=starts).output.splitlines()
    assert [json.loads(x)["run"] for x in ndjson] == list(range(1, 21))


def test_strict_counts_failures_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "RUNS_PER_BATCH", 2)
    starts = "1\n2\n3\n100\n"
    args = ["x**2", "--from", "-", "--steps", "20", "--summary", "--strict"]
    result = descend(*args, "--format", "csv", input=starts)
    assert result.exit_code == 3
    assert "4 of 4 runs did not converge (run 1: max_steps" in result.output


def test_a_table_of_many_runs_shows_its_ends_and_counts_statuses() -> None:
    starts = "".join(f"{x / 100}\n" for x in range(1, 151))
    result = descend("x**2", "--from", "-", "--summary", input=starts)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "150 runs (150 converged): the summary shows the first and last 10" in out
    assert "⋮" in out
    numbers = {line.split()[0] for line in out.splitlines() if line[:1].isdigit()}
    assert {"1", "10", "141", "150"} <= numbers and "75" not in numbers


# --- starts from stdin ---------------------------------------------------------------------------
def test_stdin_starts_mix_plain_decimals_and_exact_constants() -> None:
    starts = "0.5,1\n# a comment\n\npi/4, -1e-3\ny=2,x=1\n"
    result = descend("x**2+y**2", "--from", "-", "--summary", "--format", "json", input=starts)
    runs = json.loads(result.output)["runs"]
    assert [r["start"] for r in runs] == [
        {"x": 0.5, "y": 1.0},
        {"x": math.pi / 4, "y": -1e-3},
        {"x": 1.0, "y": 2.0},
    ]


def test_a_bad_stdin_start_names_its_line_before_any_output() -> None:
    result = descend("x**2+y**2", "--from", "-", "--format", "json", input="1,2\n3,4\n5\n")
    assert result.exit_code == 2
    assert result.output.startswith("gradcli: error: stdin line 3:")
    assert "{" not in result.output


def test_a_start_outside_the_domain_is_refused_before_any_output() -> None:
    result = descend("log(x)", "--from", "-", "--summary", "--format", "csv", input="1\n2\n-1\n")
    assert result.exit_code == 1
    assert "not a finite real number at the start (-1)" in result.output
    assert "run," not in result.output


# --- plot: refuse or cap -------------------------------------------------------------------------
def plot(tmp_path: Path, *args: str, name: str = "f.png") -> Any:
    return runner.invoke(app, ["plot", "x**2+3*y**2", "-o", str(tmp_path / name), *args])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--dpi", "1200"], "megapixels — keep it under 40"),  # the default size at 1200 dpi
        (["--size", "100000x100000"], "each side must be 1 to 60 inches"),
        # typer words a range differently across versions ("less than or equal to 1200",
        # "not in the range 20<=x<=1200"): the limit itself is what must be said
        (["--dpi", "100000"], "1200"),
        (["--grid", "1000000"], "1500"),
        (["--levels", "1000000"], "choose 2 to 100 levels"),
        (["--levels", ",".join(str(k) for k in range(1000))], "at most 100 levels"),
        (["--range", "-1e308:1e308"], "too wide to sample — keep both ends within ±1e+300"),
        (["--range", "x=1:1.000000000000001"], "too narrow"),
    ],
)
def test_plot_refuses_what_would_cost_gigabytes(tmp_path: Path, args: list[str], says: str) -> None:
    result = plot(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "env var" not in result.output  # click 8.2 wrote "(env var: 'None')"
    assert len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["--dpi", "400"], ["--size", "60x60"]])
def test_an_animation_refuses_frames_over_6_megapixels(tmp_path: Path, args: list[str]) -> None:
    result = plot(tmp_path, "--from", "3,1", "--animate", *args, name="a.gif")
    assert result.exit_code == 2, result.output
    assert "keep it under 6 (lower --dpi or --size)" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_animation_of_big_frames_has_fewer_of_them_and_says_so() -> None:
    from gradcli.expr import parse
    from gradcli.plotting import PlotOptions, plot_function
    from gradcli.plotting.animate import FRAMES_PIXELS, MAX_FRAMES, frame_budget

    built = plot_function(parse("x**2+y**2"), options=PlotOptions(dpi=200, grid=20, arrows=0))
    frames = frame_budget(built, MAX_FRAMES)
    width, height = built.figure.canvas.get_width_height()
    assert frames == FRAMES_PIXELS // (width * height) < MAX_FRAMES
    assert any(f"the animation has {frames} frames, not 60" in note for note in built.notes)
    small = plot_function(parse("x**2+y**2"), options=PlotOptions(dpi=100, grid=20, arrows=0))
    assert frame_budget(small, MAX_FRAMES) == MAX_FRAMES and small.notes == []


@pytest.mark.slow
def test_a_surface_grid_is_capped_and_the_figure_says_so(tmp_path: Path) -> None:
    result = plot(tmp_path, "--surface", "--grid", "1500", "--dpi", "30", "--format", "json")
    assert result.exit_code == 0, result.output
    notes = json.loads(result.output)["notes"]
    assert any("300-point grid, not 1500" in note for note in notes)
