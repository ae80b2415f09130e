"""Bounded on every input, the third pass: level sets of many variables, error lines that list
variables, and the note on a descent that bounces at gd's stability limit.

1. ``level`` of a sum of 1,000 squares failed with "internal error: RecursionError": the tangent
   hyperplane was read back through a sympy ``Poly`` in n generators, which recurses n deep. It is
   now built from its coefficients. Solving f = c for one variable (sympy's solve: 9.5 s and
   430 MB at 500 variables) is done only up to ``BRANCH_VARIABLES``, with a note beyond.
   Measured (table, one process, busy 2-core machine): 100 variables 4.1 s → 0.6 s, 500: 9.5 s /
   430 MB → 1.8 s / 83 MB, 1,000: RecursionError → 3.1 s / 100 MB, 2,000: 5.7 s / 155 MB.
2. Error lines that listed every variable (``plot`` of a function of 500 variables, ``--at``,
   ``--wrt``, ``--vars``, ``--slice``, a CSV header) name a few and count the rest.
3. ``descend "x**2+10*y**2" --lr 0.1`` (lr = 2/λmax exactly) was told "slow … raise --steps or
   --lr"; it bounces forever along y, and a larger lr diverges.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from gradcli.calculus.level import BRANCH_VARIABLES
from gradcli.cli import app
from gradcli.errors import few_names

runner = CliRunner()
ENV = {"GRADCLI_NO_CACHE": "1", "NO_COLOR": "1"}


def squares(n: int) -> str:
    return "+".join(f"x{i}**2" for i in range(n))


def ones(n: int) -> str:
    return ",".join(["1"] * n)


def error_line(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=ENV)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gradcli: error: ") and "internal error" not in lines[0]
    return result.exit_code, lines[0]


# --- 1. level of many variables ----------------------------------------------------------------
@pytest.mark.slow  # ~1.7 s in-process: the thousand partial derivatives themselves
def test_level_of_a_thousand_squares_answers_with_the_tangent_hyperplane() -> None:
    result = runner.invoke(
        app, ["level", squares(1000), "--at", ones(1000), "--format", "json"], env=ENV
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["level"] == 1000 and record["gradient"] == [2] * 1000
    # ∇f·(X − P) = 0 with ∇f = (2, …, 2): the common factor divided out
    lhs, rhs = record["tangent_equation"].split(" = ")
    assert rhs == "1000" and lhs.startswith("x0 + x1 + ") and lhs.count("+") == 999
    assert record["branches"] == []
    assert "not solved for one variable beyond 10 variables" in result.stderr + result.stdout


def test_level_beyond_the_branch_limit_notes_it_and_keeps_the_tangent() -> None:
    n = BRANCH_VARIABLES + 1
    result = runner.invoke(app, ["level", squares(n), "--at", ones(n)], env=ENV)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert not any(line.startswith("solved") for line in result.stdout.splitlines())
    assert f"not solved for one variable beyond {BRANCH_VARIABLES} variables (f has {n})" in text
    assert "tangent hyperplane x0 + x1 + x10 + x2" in text and f"= {n}" in text


def test_level_within_the_branch_limit_still_solves() -> None:
    result = runner.invoke(app, ["level", "x**2+y**2+z**2", "--at", "1,2,2"], env=ENV)
    text = " ".join(result.stdout.split())
    assert "z = ±√(-x² - y² + 9)" in text and "not solved" not in text


@pytest.mark.fuzz
@pytest.mark.parametrize("n", [500, 1000, 2000])
@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "latex"])
def test_level_of_many_squares_answers_in_every_format(n: int, fmt: str) -> None:
    result = runner.invoke(app, ["level", squares(n), "--at", ones(n), "--format", fmt], env=ENV)
    assert result.exit_code == 0, result.output[-300:]
    assert "error" not in result.stderr


# --- 2. error lines name a few variables ---------------------------------------------------------
def test_few_names_shows_all_of_a_few_and_counts_many() -> None:
    assert few_names(["x", "y", "z"]) == "x, y, z"
    names = [f"x{i}" for i in range(500)]
    assert few_names(names) == "x0, x1, x2, x3, …, x499 (500 in all)"
    assert few_names(names, count=False) == "x0, x1, x2, x3, …, x499"


def test_plot_of_500_variables_names_a_few_and_counts_them() -> None:
    code, line = error_line("plot", squares(500), "-o", "never.png")
    assert code == 2
    assert line == (
        "gradcli: error: a figure shows 1 or 2 variables, and f has 500 free "
        "(x0, x1, x2, x3, …, x499) — fix the others with --slice, e.g. "
        "--slice x2=0,x3=0,x4=0,… (all but two of the 500)"
    )


def test_plot_of_four_variables_keeps_its_message() -> None:
    code, line = error_line("plot", "x*y*z*w", "-o", "never.png")
    assert code == 2
    assert line == (
        "gradcli: error: a figure shows 1 or 2 variables, and f has 4 free (w, x, y, z) "
        "— fix the others with --slice, e.g. --slice y=0,z=0"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["grad", squares(100), "--at", "1,2"],
            "got 2 coordinates, expected 100 coordinates (x0, x1, x2, x3, …, x99) — write 3,1,… "
            "or x0=…,x1=…,x2=…,x3=…,…",
        ),
        (
            ["grad", squares(100), "--at", "x1=2"],
            "missing x0, x2, x3, x4, …, x99 (99 in all)",
        ),
        (
            ["grad", squares(100), "--at", "q=2"],
            "'q' is not a variable of f — the variables are x0, x1, x2, x3, …, x99 (100 in all)",
        ),
        (
            ["partial", squares(100), "--at", "1"],
            "say which variable: --wrt x0 (f's are x0, x1, x2, x3, …, x99 (100 in all))",
        ),
        (
            ["grad", squares(100), "--vars", "x0,x1", "--at", "1,1"],
            "the expression uses x2, x3, x4, x5, …, x99 (98 in all), which --vars does not list",
        ),
    ],
)
def test_error_lines_about_many_variables_stay_short(args: list[str], expected: str) -> None:
    code, line = error_line(*args)
    assert code == 2
    assert expected in line and len(line) < 240, line


def test_error_lines_about_two_variables_keep_every_name() -> None:
    _, line = error_line("partial", "x*y", "--at", "1,1")
    assert line == "gradcli: error: say which variable: --wrt x or --wrt y"
    _, line = error_line("grad", "x*y", "--at", "1,2,3")
    assert line.endswith("expected 2 coordinates (x, y) — write 3,1 or x=…,y=…")


# --- 3. a descent at gd's stability limit --------------------------------------------------------
def notes(*args: str) -> list[str]:
    result = runner.invoke(
        app,
        ["descend", "x**2+10*y**2", "--from", "-2.5,1", "--steps", "40", *args, "--format", "json"],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    run: dict[str, Any] = json.loads(result.stdout)["runs"][0]
    return [str(n) for n in run["notes"]]


@pytest.mark.parametrize("lr", ["0.1", "0.0999"])
def test_a_run_at_the_stability_limit_is_told_to_lower_lr(lr: str) -> None:
    (text,) = notes("--lr", lr)  # no "slow" note beside it
    assert text.startswith("oscillation at the stability limit: ∇f reversed direction at 40 of 40")
    assert "f fell (from 16.25 to" in text and "along the gentler directions" in text
    assert "plain gd converges only for lr < 2/λmax = 0.1: try a smaller --lr" in text
    assert "a larger lr diverges" in text and "raise" not in text


def test_exactly_at_the_limit_more_steps_will_not_help() -> None:
    (text,) = notes("--lr", "0.1")
    assert "‖∇f‖ neither falls nor grows (×1 a step lately)" in text
    assert "lr·λmax = 2 " in text and "more steps will not help" in text


def test_below_the_limit_a_converging_zig_zag_stays_slow_but_not_raise_lr() -> None:
    zigzag, slow = notes("--lr", "0.099")
    assert zigzag.startswith("zig-zag:") and "though f still fell" in zigzag
    assert slow.startswith("slow:") and "reaches tol after about" in slow
    assert "raise --steps; not --lr" in slow and "2/λmax = 0.1)" in slow


def test_above_the_limit_the_overshoot_note_is_kept() -> None:
    (text,) = notes("--lr", "0.101")
    assert text.startswith("overshooting: f rose at 36 of 40 steps")
    assert "stable only for lr < 2/λmax = 0.1" in text
    assert "stability limit" not in text


def test_a_slow_run_that_does_not_zig_zag_may_still_raise_lr() -> None:
    (text,) = notes("--lr", "0.01")
    assert text.startswith("slow:") and text.endswith("(raise --steps or --lr)")


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["level", "x^2+y^2", "--at", "1,1", "--format", "csv"], "level"),
        (["plot", "x^2", "--format", "csv", "-o", "never.png"], "plot"),
        (["descend", "x^2", "--from", "1", "--format", "latex"], "descend"),
    ],
)
def test_a_format_the_command_cannot_write_is_refused_before_any_work(
    args: list[str], command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradcli.cli import inputs

    def no_work(*a: object, **k: object) -> None:
        raise AssertionError("the function was loaded before the format was checked")

    # every command reads its EXPR through function_text (load_function and the recalled path)
    monkeypatch.setattr(inputs, "function_text", no_work)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"gradcli: error: --format {args[-1] if command != 'plot' else 'csv'}"
    )
    assert result.stderr.count("\n") == 1
