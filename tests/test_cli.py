"""The symbolic commands through CliRunner, plus real subprocess runs for stdin and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gradcli.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input)


def strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_grad_table_shows_the_lesson() -> None:
    result = run("grad", "x**2+y**2", "--at", "3,1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "f(x, y) = x**2 + y**2" in out
    assert "(2x, 2y)" in out
    assert "(6, 2)" in out
    assert "2√10 ≈ 6.32456" in out
    assert "steepest descent" in out


def test_grad_exact_fraction_and_negative_point() -> None:
    result = run("grad", "x^2 + y^2", "--at", "1/3,1", "--at", "-2,-2")
    assert result.exit_code == 0, result.output
    assert "2/3 ≈ 0.666667" in result.stdout
    assert "(-4, -4)" in result.stdout


def test_grad_json_shape() -> None:
    result = run("grad", "x**2+y**2", "--at", "3,1", "--format", "json")
    assert result.exit_code == 0
    doc = strict_json(result.stdout)
    assert isinstance(doc, dict)
    assert doc["function"] == "x**2 + y**2"
    assert doc["variables"] == ["x", "y"]
    assert doc["gradient"] == ["2*x", "2*y"]
    point = doc["points"][0]
    assert point["at"] == {"x": 3.0, "y": 1.0}
    assert point["value"] == 10.0
    assert point["gradient"] == [6.0, 2.0]
    assert point["norm"] == pytest.approx(40**0.5)
    assert point["stationary"] is False
    assert point["exact"]["norm"] == "2*sqrt(10)"


def test_grad_ndjson_is_one_object_per_point() -> None:
    result = run("grad", "x**2", "--at", "3", "--at", "4", "--format", "ndjson")
    lines = result.stdout.splitlines()
    assert [strict_json(line)["gradient"] for line in lines] == [[6.0], [8.0]]  # type: ignore[index]


def test_grad_csv_round_trips() -> None:
    result = run("grad", "x*y", "--at", "1,2", "--at", "3,-1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(float(r["grad_x"]), float(r["grad_y"])) for r in rows] == [(2.0, 1.0), (-1.0, 3.0)]


def test_grad_latex() -> None:
    result = run("grad", "x**2*y + sin(x)", "--format", "latex")
    assert result.exit_code == 0
    assert r"\nabla f" in result.stdout and r"\cos{\left(x \right)}" in result.stdout


def test_partial_check_with_step() -> None:
    result = run("partial", "5*x", "--wrt", "x", "--at", "2", "--check", "--h", "0.001")
    assert result.exit_code == 0, result.output
    assert "forward" in result.stdout and "central" in result.stdout
    assert "h = 0.001" in result.stdout


def test_partial_json_and_order() -> None:
    result = run("partial", "sin(x)", "--order", "4", "--at", "0", "--format", "json")
    doc = strict_json(result.stdout)
    assert doc["derivative"] == "sin(x)"  # type: ignore[index]
    assert doc["wrt"] == ["x", "x", "x", "x"]  # type: ignore[index]


def test_critical_lists_both_points() -> None:
    result = run("critical", "x**3 - 3*x + y**2", "--format", "json")
    doc = strict_json(result.stdout)
    kinds = {tuple(p["at"].values()): p["classification"] for p in doc["points"]}  # type: ignore[index]
    assert kinds == {(-1.0, 0.0): "saddle", (1.0, 0.0): "minimum"}


def test_level_reports_the_level_and_perpendicularity() -> None:
    result = run("level", "x**2+y**2", "--at", "1,1")
    assert result.exit_code == 0, result.output
    assert "c = 2" in result.stdout
    assert "±√(2 - x²)" in result.stdout
    assert "∇f ⟂" in result.stdout
    doc = strict_json(run("level", "x**2+y**2", "--at", "1,1", "--format", "json").stdout)
    assert doc["level"] == 2.0 and doc["perpendicular"] is True  # type: ignore[index]
    assert doc["equation"] == "x**2 + y**2 = 2"  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["grad", "__import__('os').system('id')", "--at", "1"], 2, "names starting with '_'"),
        (["grad", "9**9**9**9", "--at", "1"], 2, "constant power too large"),
        (["grad", "x**2+y**2", "--at", "1"], 2, "expected 2 coordinates (x, y)"),
        (["grad", "1/x", "--at", "0"], 1, "undefined"),
        (["grad", "sqrt(x)", "--at", "-1"], 1, "not real"),
        (["grad", "log(x)", "--at", "0"], 1, "undefined"),
        (["grad", "x", "--format", "xml"], 2, "--format"),
        (["partial", "x*y", "--wrt", "z"], 2, "not a variable"),
        (["level", "x**2+y**2"], 2, "exactly one of --at"),
        (["grad", "x", "--bogus"], 2, "No such option"),
        (["nope"], 2, "No such command"),
    ],
)
def test_errors_are_one_line_with_the_documented_exit_code(
    args: list[str], code: int, message: str
) -> None:
    result = run(*args)
    assert result.exit_code == code
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("gradcli: error: ")
    assert message in first
    assert "Traceback" not in result.stderr


def test_parse_errors_draw_a_caret_under_the_column() -> None:
    result = run("grad", "x + f(y)")
    lines = result.stderr.splitlines()
    assert lines[1].strip() == "x + f(y)"
    assert lines[2].index("^") - lines[1].index("x") == 4


def test_expression_from_stdin() -> None:
    result = run("grad", "-", "--at", "3,1", "--format", "json", input="x^2 + y^2\n")
    assert strict_json(result.stdout)["points"][0]["gradient"] == [6.0, 2.0]  # type: ignore[index]


def test_stdin_cannot_be_read_twice() -> None:
    result = run("grad", "-", "--at", "-", input="x\n")
    assert result.exit_code == 2


# --- real processes -----------------------------------------------------------------------------
def gradcli(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "gradcli", *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.slow
def test_subprocess_points_from_stdin_give_one_record_each() -> None:
    proc = gradcli(
        "grad", "x**2+y**2", "--at", "-", "--format", "ndjson", input="3,1\n-2,-2\n0,0\n"
    )
    assert proc.returncode == 0, proc.stderr
    records = [strict_json(line) for line in proc.stdout.splitlines()]
    assert [r["gradient"] for r in records] == [[6.0, 2.0], [-4.0, -4.0], [0.0, 0.0]]  # type: ignore[index]
    assert records[2]["classification"] == "minimum"  # type: ignore[index]
    assert proc.stderr == ""


@pytest.mark.slow
def test_subprocess_exit_codes_and_clean_stdout() -> None:
    bad = gradcli("grad", "x[0]", "--at", "1")
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr
    undefined = gradcli("grad", "1/x", "--at", "0")
    assert undefined.returncode == 1 and undefined.stdout == ""


@pytest.mark.slow
def test_subprocess_version_and_help() -> None:
    assert gradcli("--version").stdout.startswith("gradcli ")
    help_text = gradcli("grad", "--help").stdout
    assert "Examples" in help_text and "--at" in help_text
