"""Issue 14, generated starts: ``descend --starts N|grid:K --seed S --range``, the --summary rows'
start and end-point columns, ``--method all`` and comma lists for --lr and --method, and
``plot --starts`` coloured by basin. In-process through the CLI, small step counts."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.optimize.settings import ALL_METHODS

runner = CliRunner()
BOWL = "x**2+y**2"


def descend(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["descend", *args], input=input)


def ok(*args: str, input: str | None = None) -> Any:
    result = descend(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def summary(*args: str) -> list[dict[str, str]]:
    return rows(ok(*args, "--summary", "--format", "csv").stdout)


# --- generated starts ----------------------------------------------------------------------------
def test_uniform_starts_repeat_with_their_seed_and_stay_in_the_window() -> None:
    args = ["@himmelblau", "--starts", "30", "--seed", "1", "--lr", "0.01", "--steps", "50"]
    first, again = summary(*args), summary(*args)
    assert first == again and len(first) == 30
    other = summary(*args[:-4], "--seed", "2", "--lr", "0.01", "--steps", "50")
    assert [r["start_x"] for r in other] != [r["start_x"] for r in first]
    starts = np.array([[float(r["start_x"]), float(r["start_y"])] for r in first])
    assert np.all((starts >= -5) & (starts <= 5))  # @himmelblau's window, as plot frames it
    # numpy's default_rng(1), scaled to [-5, 5]: the recorded first start (PCG64 is stable)
    expected = -5 + 10 * np.random.default_rng(1).random((30, 2))
    np.testing.assert_array_equal(starts, expected)
    assert starts[0].tolist() == pytest.approx([0.11821624700256717, 4.504636963259353], abs=0)


def test_the_default_window_is_plots_and_range_narrows_an_axis() -> None:
    starts = summary(BOWL, "--starts", "40", "--seed", "3", "--steps", "1")
    xs = [float(r["start_x"]) for r in starts]
    assert min(xs) >= -3 and max(xs) <= 3 and max(xs) - min(xs) > 3  # −3:3, like plot
    narrowed = summary(BOWL, "--starts", "40", "--seed", "3", "--steps", "1", "--range", "x=1:2")
    xs2, ys2 = ([float(r[k]) for r in narrowed] for k in ("start_x", "start_y"))
    assert min(xs2) >= 1 and max(xs2) <= 2
    assert min(ys2) >= -3 and max(ys2) <= 3 and max(ys2) - min(ys2) > 3


def test_a_grid_of_k_per_axis_first_variable_slowest() -> None:
    starts = summary(BOWL, "--starts", "grid:3", "--steps", "0")
    got = [(float(r["start_x"]), float(r["start_y"])) for r in starts]
    assert got == [(x, y) for x in (-3.0, 0.0, 3.0) for y in (-3.0, 0.0, 3.0)]


def test_from_and_starts_together_from_first() -> None:
    starts = summary(BOWL, "--from", "0.5,0.5", "--starts", "2", "--seed", "0", "--steps", "0")
    assert len(starts) == 3 and (starts[0]["start_x"], starts[0]["start_y"]) == ("0.5", "0.5")


def test_the_table_heading_says_how_the_starts_were_made() -> None:
    table = ok(BOWL, "--starts", "5", "--seed", "7", "--steps", "2", "--summary").stdout
    assert "5 drawn uniformly in x ∈ [-3, 3], y ∈ [-3, 3] (--seed 7)" in table
    grid = ok(BOWL, "--starts", "grid:2", "--steps", "2", "--summary").stdout
    assert "4 on a grid, 2 per axis, over x ∈ [-3, 3], y ∈ [-3, 3]" in grid


def test_a_chosen_seed_is_reported_and_repeats_the_run() -> None:
    first = ok(BOWL, "--starts", "3", "--steps", "1", "--summary", "--format", "csv")
    match = re.search(r"--starts drew with --seed (\d+) ", first.stderr)
    assert match, first.stderr
    again = ok(BOWL, "--starts", "3", "--seed", match[1], "--steps", "1", "--summary", "-f", "csv")
    assert again.stdout == first.stdout and "--seed" not in again.stderr  # given: nothing to say
    table = ok(BOWL, "--starts", "3", "--steps", "1", "--summary")
    assert re.search(r"\(--seed \d+\)", table.stdout) and "--seed" not in table.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--starts", "0"], "--starts 0: at least 1 start"),
        (["--starts", "grid:1"], "--starts grid:1: a grid needs at least 2 points per axis"),
        (["--starts", "ten"], "--starts expected N or grid:K, got 'ten'"),
        (["--starts", "1000001"], "--starts asks for 1,000,001 starts; at most 1,000,000"),
        (["--starts", "grid:1001"], "--starts asks for 1001^2 = 1,002,001 starts"),
        (["--starts", "grid:999999999999"], "more than 10^15 starts"),
        (["--starts", "3", "--seed", "-1"], "--seed must be a whole number from 0 to"),
        (["--from", "1,1", "--seed", "4"], "--seed draws the --starts"),
        (["--starts", "3", "--range", "2:1"], "--range '2:1': need finite LO < HI"),
        (["--starts", "3", "--range", "z=0:1"], "--range: 'z' is not a plotted variable"),
        (["--from", "1,1", "--range", "0:1"], "--range says where --starts draws"),
    ],
)
def test_bad_starts_are_one_line_usage_errors(args: list[str], message: str) -> None:
    result = descend(BOWL, *args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("gradcli: error: ") and message in line, line


# --- the summary's new columns -------------------------------------------------------------------
def test_summary_csv_appends_the_start_and_the_end_points_kind() -> None:
    result = ok("x**2 - y**2", "--from", "1,0", "--from", "1,1", "--steps", "200", "--summary",
                "--format", "csv")  # fmt: skip
    header = result.stdout.splitlines()[0]
    assert header == (
        "run,method,lr,step,x,y,f,grad_x,grad_y,grad_norm,status,start_x,start_y,classification"
    )
    saddle, away = rows(result.stdout)
    assert (saddle["status"], saddle["classification"]) == ("converged", "saddle")
    assert (saddle["start_x"], saddle["start_y"]) == ("1.0", "0.0")
    assert away["status"] != "converged" and away["classification"] == ""


def test_summary_ndjson_has_the_start_and_classification() -> None:
    result = ok("-x**2-y**2", "--ascent", "--from", "1,2", "--summary", "--format", "ndjson")
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["start"] == {"x": 1.0, "y": 2.0} and record["classification"] == "maximum"


def test_per_step_csv_keeps_its_columns() -> None:
    header = ok(BOWL, "--from", "1,1", "--steps", "2", "--format", "csv").stdout.splitlines()[0]
    assert header == "run,method,lr,step,x,y,f,grad_x,grad_y,grad_norm,status"


def test_summary_columns_stay_unique_whatever_the_variables_are_called() -> None:
    expr = "classification**2 + start_x**2 + x**2"
    header = ok(expr, "--from", "1,1,1", "--summary", "--steps", "1", "--format", "csv").stdout
    names = header.splitlines()[0].split(",")
    assert len(names) == len(set(names)) and names[-1] == "classification"
    # the variable start_x keeps its name; x's start column steps aside (CLI.md's rule)
    assert names[4:7] == ["var_classification", "start_x", "x"]
    assert names[-4:-1] == ["start_classification", "start_start_x", "start_var_x"]


def test_the_summary_classifies_like_the_table_and_json() -> None:
    """The same end points, classified a block at a time (CSV) and run by run (JSON)."""
    args = ["@himmelblau", "--starts", "grid:4", "--lr", "0.01", "--steps", "300", "--summary"]
    csv_kinds = [r["classification"] or None for r in summary(*args)]
    runs = json.loads(ok(*args, "--format", "json").stdout)["runs"]
    assert csv_kinds == [r["classification"] for r in runs]
    assert set(csv_kinds) <= {"minimum", "saddle", "maximum", None} and "minimum" in csv_kinds


def test_end_kinds_classify_each_block_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded for 10k runs: one vectorised Hessian per block of runs that ended together."""
    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import Descent, Settings

    compiled = compile_function(parse(BOWL))
    calls: list[int] = []
    real = compiled.hessian
    monkeypatch.setattr(compiled, "hessian", lambda x: calls.append(len(x)) or real(x))
    starts = np.random.default_rng(0).uniform(-3, 3, (2000, 2))
    descent = Descent(compiled, starts, [Settings(lr=0.1)], summary_only=True, keep="final")
    kinds = [k for block in descent.final_blocks() for k in descent.end_kinds(block)]
    assert kinds == ["minimum"] * 2000
    assert sum(calls) == 2000 and len(calls) < 100  # a few blocks, not a call per run


# --- methods and learning rates as lists ---------------------------------------------------------
def test_method_all_is_every_method_settings_accepts() -> None:
    got = [r["method"] for r in summary(BOWL, "--from", "1,1", "--method", "all", "--steps", "3")]
    assert got == list(ALL_METHODS)


def test_comma_lists_equal_repeated_flags_and_mix_with_them() -> None:
    listed = summary(BOWL, "--from", "1,1", "--lr", "0.01,0.05", "--lr", "0.11",
                     "--method", "gd,adam", "--steps", "5")  # fmt: skip
    repeated = summary(BOWL, "--from", "1,1", "--lr", "0.01", "--lr", "0.05", "--lr", "0.11",
                       "--method", "gd", "--method", "adam", "--steps", "5")  # fmt: skip
    assert listed == repeated
    assert [(r["method"], r["lr"]) for r in listed] == [
        (m, lr) for m in ("gd", "adam") for lr in ("0.01", "0.05", "0.11")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "0.1,abc"], "--lr: 'abc' is not a number"),
        (["--lr", "0.1,-2"], "--lr must be a finite number > 0, got -2.0"),
        (["--method", "gd,adamx"], "unknown method 'adamx' (did you mean adam?)"),
        (["--method", "gd,,adam"], "--method: an empty name in the list"),
    ],
)
def test_a_bad_list_element_is_named(args: list[str], message: str) -> None:
    result = descend(BOWL, "--from", "1,1", *args)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert message in line, line


# --- plot ----------------------------------------------------------------------------------------
@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_plot_draws_generated_starts_one_legend_entry_per_basin(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import gradcli.plotting as plotting

    built: list[Any] = []
    real = plotting.plot_function
    monkeypatch.setattr(
        plotting, "plot_function", lambda *a, **k: built.append(real(*a, **k)) or built[-1]
    )
    target = tmp_path / "basins.png"
    result = runner.invoke(app, ["plot", "@himmelblau", "--starts", "13", "--seed", "1",
                                 "--lr", "0.01", "--steps", "300", "--grid", "30", "--dpi", "30",
                                 "-o", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    (plot,) = built
    legend = plot.figure.legends[0] if plot.figure.legends else plot.figure.axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    groups = [t for t in texts if re.search(r": \d+ runs?$", t)]
    # 13 runs (past 12, one entry each would bury the figure): an entry per end point, the
    # counts adding up to all of them
    assert 2 <= len(groups) <= 4
    assert sum(int(t.rsplit(": ", 1)[1].split()[0]) for t in groups) == 13
    assert all(re.fullmatch(r"gd, lr = 0\.01 → \(.+\): \d+ runs?", t) for t in groups), texts
    assert not any(", from (" in t for t in texts)  # not one entry per run
