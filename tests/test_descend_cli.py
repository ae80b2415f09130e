"""``gradcli descend`` through CliRunner (contracts, exit codes), plus real subprocess runs for
stdin, pipes, exit codes and Ctrl-C."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from ptyrun import interrupt_when_shown
from typer.testing import CliRunner

from gradcli.cli import app

runner = CliRunner()
BOWL = "x**2+y**2"
VALLEY = "x**2+10*y**2"
ROSENBROCK = "(1-x)**2+100*(y-x**2)**2"
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "PYTHONIOENCODING": "utf-8"}


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["descend", *args], input=input)


def strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def as_json(*args: str, input: str | None = None) -> Any:
    result = run(*args, "--format", "json", input=input)
    assert result.exit_code == 0, result.output
    return strict_json(result.stdout)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- "Done when", literally ----------------------------------------------------------------------
def test_bowl_converges_and_step_one_is_2_4_0_8() -> None:
    doc = as_json(BOWL, "--from", "3,1")
    (r,) = doc["runs"]
    assert r["status"] == "converged" and r["method"] == "gd" and r["lr"] == 0.1
    assert r["steps"][1]["point"] == pytest.approx({"x": 2.4, "y": 0.8})
    assert abs(r["final"]["point"]["x"]) < 1e-6 and abs(r["final"]["point"]["y"]) < 1e-6
    table = run(BOWL, "--from", "3,1")
    assert table.exit_code == 0
    assert "(2.4, 0.8)" in table.stdout and "converged" in table.stdout
    assert "x ← x − lr·∇f(x)" in table.stdout and "minimum" in table.stdout


def test_overshoot_diverges_exit_0_and_strict_exit_3() -> None:
    result = run("x**2", "--from", "1", "--lr", "1.5")
    assert result.exit_code == 0, result.output
    assert "diverged" in result.stdout and "overshooting" in result.stdout
    strict = run("x**2", "--from", "1", "--lr", "1.5", "--strict")
    assert strict.exit_code == 3
    assert strict.stderr.startswith("gradcli: error: 1 of 1 run did not converge (run 1: diverged")
    assert "diverged" in strict.stdout  # the result is still shown


def test_three_learning_rates_summarised() -> None:
    result = run(VALLEY, "--from", "1,1", "--lr", "0.01", "--lr", "0.05", "--lr", "0.11")
    assert result.exit_code == 0, result.output
    summary = result.stdout[result.stdout.index("summary") :]
    lines = [
        re.split(r"\s{2,}", line.strip()) for line in summary.splitlines() if line[:1].isdigit()
    ]
    assert [(row[0], row[2], row[4]) for row in lines[:3]] == [
        ("1", "0.01", "converged"),
        ("2", "0.05", "converged"),
        ("3", "0.11", "diverged"),
    ]
    steps = [int(row[5].replace(",", "")) for row in lines[:3]]
    assert steps[0] > 4 * steps[1]  # lr 0.01 crawls; 0.05 converges fast; 0.11 overshoots
    assert "2/λmax = 0.1" in result.stdout


def test_adam_reaches_rosenbrocks_minimum() -> None:
    doc = as_json(ROSENBROCK, "--from", "-1.2,1", "--method", "adam", "--lr", "0.02",
                  "--steps", "5000", "--every", "1000")  # fmt: skip
    (r,) = doc["runs"]
    assert r["status"] == "converged"
    assert r["final"]["point"] == pytest.approx({"x": 1.0, "y": 1.0}, abs=1e-5)
    assert r["hyperparameters"] == {"lr": 0.02, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert "m̂" in r["rule"] and r["classification"] == "minimum"


def test_himmelblau_from_stdin_lists_the_four_minima() -> None:
    result = run(HIMMELBLAU, "--from", "-", "--lr", "0.01", "--steps", "2000", "--summary",
                 "--format", "csv", input="0,0\n-1,1\n-1,-1\n1,-1\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.stdout)
    found = {(round(float(r["x"]), 3), round(float(r["y"]), 3)) for r in rows}
    assert found == {(3.0, 2.0), (-2.805, 3.131), (-3.779, -3.283), (3.584, -1.848)}
    assert [r["run"] for r in rows] == ["1", "2", "3", "4"]
    assert all(r["status"] == "converged" for r in rows)


# --- output contracts -----------------------------------------------------------------------------
def test_json_contract() -> None:
    doc = as_json(BOWL, "--from", "3,1", "--from", "x=1,y=2", "--lr", "0.1", "--lr", "0.2",
                  "--method", "gd", "--method", "momentum")  # fmt: skip
    assert doc["function"] == "x**2 + y**2" and doc["variables"] == ["x", "y"]
    assert len(doc["runs"]) == 8  # 2 starts × 2 methods × 2 rates
    first = doc["runs"][0]
    for key in ("method", "lr", "start", "status", "iterations", "final", "steps"):
        assert key in first
    assert first["start"] == {"x": 3.0, "y": 1.0}
    assert set(first["final"]) >= {"point", "value", "gradient", "norm"}
    assert set(first["steps"][0]) >= {"step", "point", "value", "gradient", "norm"}
    assert [(r["method"], r["lr"]) for r in doc["runs"][:4]] == [
        ("gd", 0.1), ("gd", 0.2), ("momentum", 0.1), ("momentum", 0.2)
    ]  # fmt: skip
    assert doc["runs"][4]["start"] == {"x": 1.0, "y": 2.0}
    assert len(first["steps"]) == first["iterations"] + 1


def test_json_is_strict_when_a_run_diverges() -> None:
    doc = as_json("x**4", "--from", "2", "--lr", "1")  # overflows to inf within a few steps
    (r,) = doc["runs"]
    assert r["status"] == "diverged" and "at step" in r["reason"]
    assert r["final"]["value"] is None or isinstance(r["final"]["value"], float)


def test_csv_contract_and_streaming_order() -> None:
    result = run(BOWL, "--from", "3,1", "--lr", "0.1", "--lr", "0.3", "--steps", "5",
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "run,method,lr,step,x,y,f,grad_x,grad_y,grad_norm,status"
    rows = csv_rows(result.stdout)
    assert [(r["step"], r["run"]) for r in rows[:4]] == [
        ("0", "1"),
        ("0", "2"),
        ("1", "1"),
        ("1", "2"),
    ]
    assert rows[2]["x"] == "2.4" and rows[2]["y"] == "0.8"
    assert [r["status"] for r in rows if r["status"]] == ["max_steps", "max_steps"]


def test_csv_with_line_search_and_every() -> None:
    result = run(VALLEY, "--from", "1,1", "--line-search", "--lr", "1", "--every", "2",
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0
    rows = csv_rows(result.stdout)
    assert "line_step" in rows[0] and rows[0]["line_step"] == ""
    assert float(rows[1]["line_step"]) in {1.0, 0.5, 0.25, 0.125, 0.0625}
    steps = [int(r["step"]) for r in rows]
    assert steps[:-1] == list(range(0, steps[-2] + 1, 2)) and rows[-1]["status"] == "converged"


def test_ndjson_streams_one_step_per_line() -> None:
    result = run(BOWL, "--from", "3,1", "--method", "adam", "--lr", "0.5", "--steps", "3",
                 "--format", "ndjson")  # fmt: skip
    assert result.exit_code == 0
    records = [strict_json(line) for line in result.stdout.splitlines()]
    assert [r["step"] for r in records] == [0, 1, 2, 3]
    assert all(r["run"] == 1 and r["method"] == "adam" and r["lr"] == 0.5 for r in records)
    assert records[0]["point"] == {"x": 3.0, "y": 1.0} and records[0]["gradient"] == [6.0, 2.0]
    assert "status" not in records[0]
    assert records[-1]["status"] == "max_steps" and records[-1]["iterations"] == 3


def test_summary_records_final_states_only() -> None:
    doc = as_json(BOWL, "--from", "3,1", "--from", "1,1", "--summary")
    assert [len(r["steps"]) for r in doc["runs"]] == [1, 1]
    assert doc["runs"][0]["steps"][0]["step"] == doc["runs"][0]["iterations"]


def test_table_shows_ends_with_a_gap_unless_all() -> None:
    short = run(BOWL, "--from", "3,1", "--lr", "0.3", "--steps", "6", "--tol", "0")
    assert "⋮" not in short.stdout
    long = run(BOWL, "--from", "3,1")
    body = long.stdout
    assert "⋮" in body and "\n0 " in body and "\n71 " in body and "\n30 " not in body
    everything = run(BOWL, "--from", "3,1", "--all")
    assert "⋮" not in everything.stdout and "\n30 " in everything.stdout
    every = run(BOWL, "--from", "3,1", "--every", "10")
    assert "\n30 " in every.stdout and "\n31 " not in every.stdout and "\n71 " in every.stdout


def test_every_run_states_method_hyperparameters_and_rule() -> None:
    result = run(BOWL, "--from", "3,1", "--method", "rmsprop", "--method", "nesterov",
                 "--ascent", "--steps", "3")  # fmt: skip
    out = " ".join(result.stdout.split())  # the table wraps long lines at 80 columns
    assert "rmsprop (ascent) lr=0.1 alpha=0.99 eps=1e-08" in out
    assert "nesterov (ascent) lr=0.1 momentum=0.9" in out
    assert "g = −∇f(x) (ascent)" in out and "x ← x − lr·(g + μ·b)" in out


# --- usage errors exit 2, one line ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "3,1", "--lr", "nan"], "--lr must be a finite number > 0"),
        (["--from", "3,1", "--lr", "-1"], "--lr must be a finite number > 0"),
        (["--from", "3,1", "--steps", "-5"], "--steps must be a whole number ≥ 0"),
        (["--from", "3,1", "--method", "sgd"], "unknown method 'sgd' (did you mean gd?)"),
        (["--from", "3,1,2"], "expected 2 coordinates"),
        (["--from", "3,1", "--every", "0"], "--every must be a whole number ≥ 1"),
        (["--from", "3,1", "--summary", "--all"], "--summary records final states only"),
        (["--from", "3,1", "--method", "adam", "--line-search"], "Armijo backtracking for gd"),
        (["--from", "3,1", "--format", "latex"], "--format latex is not available"),
        ([], "descend needs a start"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run(BOWL, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("gradcli: error: ") and message in result.stderr
    assert result.stdout == ""


def test_undefined_start_exits_1() -> None:
    result = run("log(x)+y", "--from", "-1,0")
    assert result.exit_code == 1 and "not a finite real number at the start" in result.stderr


@pytest.mark.slow
def test_plot_writes_a_figure(tmp_path: Any) -> None:
    target = tmp_path / "path.png"
    result = run(BOWL, "--from", "3,1", "--steps", "20", "--plot", str(target))
    assert result.exit_code == 0, result.output
    assert target.exists() and target.stat().st_size > 1000
    assert f"figure written to {target}" in result.stdout.replace("\n", "")


# --- real processes: stdin, pipes, exit codes, Ctrl-C -------------------------------------------------
def gradcli(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gradcli", "descend", *args], input=input,
                          capture_output=True, text=True, env=ENV, timeout=120)  # fmt: skip


@pytest.mark.slow
def test_process_exit_codes_and_stdin() -> None:
    ok = gradcli(HIMMELBLAU, "--from", "-", "--summary", "--lr", "0.01", "--format", "csv",
                 input="0,0\n# a comment\n\n-1,1\n")  # fmt: skip
    assert ok.returncode == 0 and ok.stderr == ""
    assert len(csv_rows(ok.stdout)) == 2
    assert gradcli(BOWL, "--from", "3,1", "--lr", "-1").returncode == 2
    assert gradcli("x**2", "--from", "1", "--lr", "1.5", "--strict").returncode == 3


@pytest.mark.slow
def test_head_closes_a_long_stream_quietly() -> None:
    # 10⁹ steps (hours of rows): the command returning at all says head's close stopped it early
    command = [sys.executable, "-m", "gradcli", "descend", BOWL, "--from", "3,1", "--steps",
               "1000000000", "--tol", "0", "--lr", "1e-7", "--format", "csv"]  # fmt: skip
    producer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    head = subprocess.run(["head", "-n", "2"], stdin=producer.stdout, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert producer.stdout is not None
    producer.stdout.close()
    _, err = producer.communicate(timeout=120)
    assert head.stdout.splitlines()[0].startswith("run,method,lr,step,x,y")
    assert len(head.stdout.splitlines()) == 2
    assert err == b""


@pytest.mark.slow
def test_ctrl_c_shows_what_ran_and_exits_130() -> None:
    command = [sys.executable, "-m", "gradcli", "descend", BOWL, "--from", "3,1", "--lr", "1e-9",
               "--steps", "100000000", "--tol", "0"]  # fmt: skip
    # stderr on a terminal: the progress bar that appears there says the descent is running
    proc = interrupt_when_shown(command, b"descending", ENV)
    text = proc.stdout.decode()
    terminal = proc.terminal[-1000:]
    assert proc.returncode == 130, (proc.returncode, text[-2000:], terminal)
    assert "interrupted at step" in text, (text[-2000:], terminal)  # what ran, up to where
    summary = text[text.index("summary") :]
    assert "interrupted" in summary and "100,000,000" not in summary, summary
