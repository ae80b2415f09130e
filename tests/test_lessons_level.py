"""Issue 12, level sets as a teacher writes them: the tangent line tidied, the branch through P named."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gradcli.cli import app

RUNNER = CliRunner()


def level(*args: str) -> str:
    result = RUNNER.invoke(app, ["level", *args], env={"NO_COLOR": "1", "COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_tangent_line_has_its_common_factor_divided_out() -> None:
    out = level("x**2+y**2", "--at", "1,1")
    assert "x + y = 2" in out and "2x + 2y - 4" not in out


def test_a_one_variable_tangent_is_the_line_x_equals() -> None:
    assert "x = 2  (∇f·(X − P) = 0)" in level("x**2", "--at", "2")


def test_a_negative_leading_coefficient_is_turned_positive() -> None:
    # ∇f = (−2, −2) at (1, 1) for 4 − x² − y²: −2x − 2y + 4 = 0 is x + y = 2
    assert "x + y = 2" in level("4 - x**2 - y**2", "--at", "1,1")


def test_decimal_points_stay_exact_so_the_line_is_tidied_too() -> None:
    out = json.loads(level("x**2+y**2", "--at", "0.5,1.5", "--format", "json"))
    assert out["tangent_equation"] == "x + 3*y = 5"


def test_the_branch_through_the_point_is_named() -> None:
    assert "(P is on the + branch)" in level("x**2+y**2", "--at", "1,1")
    assert "(P is on the − branch)" in level("x**2+y**2", "--at", "1,-1")
    record = json.loads(level("x**2+y**2", "--at", "1,-1", "--format", "json"))
    assert [b["through_point"] for b in record["branches"]] == [True, False] or [
        b["through_point"] for b in record["branches"]
    ] == [False, True]


def test_a_solved_branch_that_misses_the_point_is_said_to() -> None:
    out = level("x**3 - 3*x*y + y**3", "--at", "2,0.5")
    assert "none of these passes through P" in out


def test_without_a_point_the_branches_are_plain() -> None:
    out = level("x**2+y**2", "--value", "4")
    assert "y = ±√(4 - x²)" in out and "branch)" not in out
