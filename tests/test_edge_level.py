"""Issue 10, level at the edges: at a kink the output says f is not differentiable and that the
tangent is a convention; huge and tiny gradients keep their direction (scaled norms)."""

from __future__ import annotations

import json
import math
from typing import Any

from typer.testing import CliRunner

from gradcli.cli import app

runner = CliRunner()


def level_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["level", *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    record: dict[str, Any] = json.loads(result.stdout)
    return record


NOTE = (
    "f is not differentiable at (1, 0): a kink of |y|; the ∇f and tangent shown follow the "
    "convention |u|′ = 0 at u = 0, as PyTorch autograd computes it. The level set may turn a corner "
    "here, where it has no tangent and ∇f need not be perpendicular to it"
)


def test_level_at_a_kink_says_so() -> None:
    record = level_json("abs(x)+abs(y)", "--at", "1,0")
    assert record["differentiable"] is False
    assert record["nonsmooth"] == {
        "order": 1,
        "kinks": [{"kind": "abs", "at": "Abs(y)"}],
        "note": NOTE,
    }
    assert math.isclose(record["branch_angle"], 45.0)  # the diamond's corner: no claim of 90°


def test_level_table_at_a_kink_claims_no_perpendicularity() -> None:
    result = runner.invoke(app, ["level", "abs(x)+abs(y)", "--at", "1,0"])
    assert result.exit_code == 0, result.stderr
    assert "0  (at a kink: see the note)" in result.stdout
    assert "∇f ⟂ the level curve" not in result.stdout
    assert " ".join(result.stdout.split()).endswith(NOTE)


def test_level_away_from_kinks_is_unchanged() -> None:
    record = level_json("abs(x)+abs(y)", "--at", "0.5,0.5")
    assert record["differentiable"] is True and "nonsmooth" not in record
    result = runner.invoke(app, ["level", "x^2+y^2", "--at", "1,1"])
    assert "0  → ∇f ⟂ the level curve" in result.stdout
    assert "not differentiable" not in result.stdout


def test_level_with_max_tie_and_relu() -> None:
    record = level_json("max(x, y) + relu(x)", "--at", "1,1")
    assert [k["kind"] for k in record["nonsmooth"]["kinks"]] == ["max"]
    assert (
        "a tie in max gives each tied argument half the derivative" in record["nonsmooth"]["note"]
    )


def test_huge_gradient_keeps_its_tangent() -> None:
    # ∇f = (1e160, 1): np.linalg.norm overflowed to inf and the tangent came out (0, 0).
    record = level_json("x*y", "--at", "1,1e160")
    assert record["tangent"] == [-1e-160, 1.0]
    assert record["dot"] == 0.0 and record["perpendicular"] is True


def test_tiny_gradient_keeps_its_tangent_and_the_right_branch() -> None:
    # ∇f = (2e-160, 2e-160): the solved branch y = −√(…) passes within 2e-160 of P and was taken
    # for the one through P, giving an angle of 0° instead of 90°.
    record = level_json("x^2+y^2", "--at", "1e-160,1e-160")
    assert record["tangent"] == [-math.sqrt(0.5), math.sqrt(0.5)]
    assert math.isclose(record["branch_angle"], 90.0)


def test_samples_near_huge_coordinates_are_finite_json() -> None:
    record = level_json("x+y", "--at", "1e308,-1e308", "--samples", "3")
    for sample in record.get("samples", []):
        assert all(math.isfinite(v) for v in sample["tangent"])
