"""Issue 14, constraints: `critical --subject-to` solves ∇f = λ∇g and classifies each point with the
bordered Hessian; the verdicts are checked here by brute force (f sampled along the constraint
around the point), and the textbook answers by their known closed forms.

The numeric-fallback case (exp(x) + y on the unit circle: no exact method applies) is checked
against scipy.optimize.minimize (SLSQP, tol 1e-14), run once outside the suite; its numbers are
recorded below so the test runs without scipy.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.calculus import lagrange
from gradcli.calculus.critical_exact import ExactOutcome
from gradcli.calculus.lagrange import constrained, lagrange_points, parse_constraint
from gradcli.cli import app
from gradcli.errors import MathError, ParseError, UsageError
from gradcli.expr import parse
from gradcli.numeric import compile_function

runner = CliRunner()
R = 1 / math.sqrt(2)

# scipy.optimize.minimize(SLSQP) on exp(x) + y with x² + y² = 1 (min, and max of −f)
SCIPY_EXP_MIN = (-0.5134886143254239, -0.858096406564062, -0.2596920753313142)
SCIPY_EXP_MAX = (0.9302439526564051, 0.36694166913316756, 2.9020692224217126)


def solve(f: str, *constraints: str, **kw: Any) -> Any:
    fn, cs = constrained(parse(f), list(constraints))
    return lagrange_points(fn, cs, **kw)


def cli_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["critical", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


# --- textbook answers --------------------------------------------------------------------------------
def test_x_plus_y_on_the_unit_circle() -> None:
    doc = cli_json("x + y", "--subject-to", "x^2 + y^2 = 1")
    assert doc["constraints"] == ["x**2 + y**2 - 1 = 0"]
    assert doc["complete"] is True
    low, high = doc["points"]
    assert low["classification"] == "minimum" and high["classification"] == "maximum"
    assert low["at"] == pytest.approx({"x": -R, "y": -R})
    assert high["at"] == pytest.approx({"x": R, "y": R})
    assert low["lambda"]["lambda"] == pytest.approx(-R)
    assert high["lambda"]["lambda"] == pytest.approx(R)
    assert high["exact"] == {
        "at": ["sqrt(2)/2", "sqrt(2)/2"],
        "value": "sqrt(2)",
        "lambda": ["sqrt(2)/2"],
    }
    # one constraint in two variables: one minor, negative at the minimum, positive at the maximum
    assert low["minors"][0] < 0 < high["minors"][0]


def test_xy_on_a_line_has_its_maximum_at_5_5() -> None:
    (p,) = solve("x*y", "x + y = 10").points
    assert p.values == (5.0, 5.0) and p.classification == "maximum"
    assert p.value.exact == 25 and p.multipliers[0].exact == 5


def test_distance_to_two_planes() -> None:
    result = solve("x^2 + y^2 + z^2", "x + y + z = 1", "x - y = 0")
    (p,) = result.points
    assert p.values == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert p.classification == "minimum"
    assert [str(v.exact) for v in p.multipliers] == ["2/3", "0"]
    assert result.multipliers == ("λ1", "λ2")


def test_saddle_on_the_circle_becomes_two_minima_and_two_maxima() -> None:
    result = solve("x^2 - y^2", "x^2 + y^2 = 1")
    kinds = {p.values: p.classification for p in result.points}
    assert kinds == {
        (-1.0, 0.0): "maximum",
        (1.0, 0.0): "maximum",
        (0.0, -1.0): "minimum",
        (0.0, 1.0): "minimum",
    }
    assert {p.multipliers[0].exact for p in result.points} == {1, -1}


def test_a_constraint_with_no_real_points_is_exit_1_in_one_line() -> None:
    result = runner.invoke(app, ["critical", "x + y", "--subject-to", "x^2 + y^2 = -1"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "has no real solutions" in result.stderr and "never zero" in result.stderr
    # a definite quadratic whose smallest value is positive: (x − 1)² + y² + 4 = 0
    with pytest.raises(MathError, match="smallest value"):
        solve("x", "x^2 + y^2 - 2*x = -5")


def test_no_constrained_extremum_is_said_not_failed() -> None:
    result = runner.invoke(app, ["critical", "x", "--subject-to", "x + y = 1"])
    assert result.exit_code == 0
    assert "no constrained stationary points" in result.stdout
    assert "variables   x, y" in result.stdout  # y came from the constraint


# --- bordered Hessian against brute force ------------------------------------------------------
def _along_circle(f: Any, p: np.ndarray[Any, Any], centre: Any, r: float) -> np.ndarray[Any, Any]:
    """f at points of the circle a little either side of p (angles ± 0.01 … 0.05)."""
    theta = math.atan2(p[1] - centre[1], p[0] - centre[0])
    angles = theta + np.concatenate([np.linspace(-0.05, -0.01, 5), np.linspace(0.01, 0.05, 5)])
    pts = np.stack([centre[0] + r * np.cos(angles), centre[1] + r * np.sin(angles)], axis=1)
    return np.asarray(f(pts))


def _brute(values: np.ndarray[Any, Any], f0: float) -> str:
    tol = 1e-12 * max(1.0, abs(f0))
    if np.all(values > f0 - tol):
        return "minimum"
    if np.all(values < f0 + tol):
        return "maximum"
    return "saddle"


@pytest.mark.parametrize(
    ("f", "constraint", "centre", "r"),
    [
        ("x + y", "x^2 + y^2 = 1", (0, 0), 1.0),
        ("x^2 - y^2", "x^2 + y^2 = 1", (0, 0), 1.0),
        ("x^2 + 2*y^2 + x*y - 3*x", "(x-1)^2 + (y+0.5)^2 = 4", (1, -0.5), 2.0),
        ("x^3 - y", "x^2 + y^2 = 2", (0, 0), math.sqrt(2)),
    ],
)
def test_bordered_hessian_agrees_with_f_along_the_curve(
    f: str, constraint: str, centre: Any, r: float
) -> None:
    result = solve(f, constraint)
    compiled = compile_function(result.fn)
    assert result.points
    for p in result.points:
        x = np.array(p.values)
        around = _along_circle(compiled.value, x, centre, r)
        assert p.classification == _brute(around, float(compiled.value(x[None])[0])), p


def test_three_variables_on_a_plane_against_brute_force() -> None:
    result = solve("x*y*z", "x + y + z = 3")
    compiled = compile_function(result.fn)
    t1 = np.array([1.0, -1.0, 0.0]) / math.sqrt(2)  # the plane's directions
    t2 = np.array([1.0, 1.0, -2.0]) / math.sqrt(6)
    angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
    kinds = {}
    for p in result.points:
        x = np.array(p.values)
        ring = [x + 1e-3 * (math.cos(a) * t1 + math.sin(a) * t2) for a in angles]
        kinds[p.values] = p.classification
        assert p.classification == _brute(compiled.value(np.array(ring)), p.value.value)
    assert kinds[(1.0, 1.0, 1.0)] == "maximum"
    assert sorted(kinds.values()).count("saddle") == 3


def test_numeric_fallback_matches_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the exact solve had run out of time (it gives up on this system anyway, after
    # sympy.solve has spent a second or two): the Newton search on the Lagrange system answers.
    monkeypatch.setattr(lagrange, "_exact", lambda *a: ExactOutcome(gave_up="time"))
    result = solve("exp(x) + y", "x^2 + y^2 = 1")
    assert result.gave_up == "time"
    assert not result.complete and result.search is not None
    kinds = {p.classification: p for p in result.points}
    for kind, (x, y, f) in (("minimum", SCIPY_EXP_MIN), ("maximum", SCIPY_EXP_MAX)):
        p = kinds[kind]
        assert p.found_by == "numeric"
        assert p.values == pytest.approx((x, y), abs=1e-7)
        assert p.value.value == pytest.approx(f, abs=1e-12)
        # ∇f = λ∇g at the point: (eˣ, 1) = λ(2x, 2y)
        lam = p.multipliers[0].value
        assert math.exp(p.values[0]) == pytest.approx(2 * lam * p.values[0])


def test_the_recorded_scipy_numbers_are_scipys() -> None:
    scipy = pytest.importorskip("scipy.optimize")
    live = scipy.minimize(
        lambda v: math.exp(v[0]) + v[1],
        (-0.5, -0.8),
        constraints=[{"type": "eq", "fun": lambda v: v[0] ** 2 + v[1] ** 2 - 1}],
        method="SLSQP",
        tol=1e-14,
    )
    assert tuple(live.x) == pytest.approx(SCIPY_EXP_MIN[:2], abs=1e-6)


# --- where the multiplier rule cannot see ---------------------------------------------------------
def test_licq_failure_at_a_cusp_is_listed() -> None:
    result = runner.invoke(app, ["critical", "x", "--subject-to", "y^2 = x^3"])
    assert result.exit_code == 0
    assert "LICQ fails" in result.stdout and "∇g = 0 at (0, 0)" in result.stdout
    doc = cli_json("x", "--subject-to", "y^2 = x^3")
    assert [(p["at"], p["classification"], p["lambda"]) for p in doc["points"]] == [
        ({"x": 0.0, "y": 0.0}, "singular", None)
    ]


def test_a_squared_constraint_is_called_out() -> None:
    result = runner.invoke(app, ["critical", "x", "--subject-to", "(x^2+y^2-1)^2 = 0"])
    assert result.exit_code == 0
    words = " ".join(result.stdout.split())  # the table view wraps at the console's width
    assert "written squared, so LICQ fails on all of it" in words
    assert "no local extremum" not in words  # the rule is blind, not f unbounded


def test_a_curve_of_solutions_is_said_once() -> None:
    result = solve("x^2 + y^2", "x^2 + y^2 = 1")
    assert not result.points and result.families


# --- the command line ---------------------------------------------------------------------------------
def test_formats() -> None:
    args = ["critical", "x*y", "--subject-to", "x + y = 10"]
    csv = runner.invoke(app, [*args, "--format", "csv"]).stdout.splitlines()
    assert csv == [
        "x,y,f,lambda,classification,minor_1,found_by",
        "5.0,5.0,25.0,5.0,maximum,2.0,symbolic",
    ]
    ndjson = runner.invoke(app, [*args, "--format", "ndjson"]).stdout.splitlines()
    assert json.loads(ndjson[0])["lambda"] == {"lambda": 5.0}
    latex = runner.invoke(app, [*args, "--format", "latex"]).stdout
    assert r"\nabla f = \lambda \nabla g" in latex and r"\lambda = 5" in latex
    table = runner.invoke(app, args).stdout
    assert "subject to  x + y = 10" in table and "constrained maximum" in table


def test_variables_list_and_refusals() -> None:
    ordered = cli_json("x", "--subject-to", "x + y = 1", "--vars", "y,x")
    assert ordered["variables"] == ["y", "x"]
    missing = runner.invoke(app, ["critical", "x", "--subject-to", "x + y = 1", "--vars", "x"])
    assert missing.exit_code == 2
    assert "--subject-to: the expression uses y, which --vars does not list" in missing.stderr
    for constraint, words in (
        ("x = y = 1", "one '=' sign"),
        ("= 1", "an expression is needed on each side"),
        ("3 = 1", "involves no variable"),
        ("x +* y = 1", "--subject-to: "),
    ):
        result = runner.invoke(app, ["critical", "x + y", "--subject-to", constraint])
        assert result.exit_code == 2, constraint
        assert words in result.stderr and "Traceback" not in result.stderr
    too_many = runner.invoke(app, ["critical", "x^2", "--subject-to", "x=1", "--subject-to", "x=2"])
    assert too_many.exit_code == 2 and "2 constraints on 1 variable" in too_many.stderr


def test_parse_constraint_reads_sides_with_the_safe_parser() -> None:
    c = parse_constraint("2x^2 = y + 1")
    assert str(c.expr) == "2*x**2 - y - 1"
    assert str(parse_constraint("x - y").expr) == "x - y"  # alone: = 0
    with pytest.raises(ParseError):
        parse_constraint("__import__('os') = 1")
    with pytest.raises(UsageError):
        parse_constraint("x == 1")


def test_range_limits_the_listed_points() -> None:
    doc = cli_json("x + y", "--subject-to", "x^2 + y^2 = 1", "--range", "0:2")
    assert [p["classification"] for p in doc["points"]] == ["maximum"]
    assert doc["scope"] == "range"
