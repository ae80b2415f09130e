"""Projected gradient descent onto a line or plane, a·x = c: the classic constrained problem (the
nearest point of a line) that `descend --subject-to "x+y=1"` used to refuse. P moves x back along
a by (a·x − c)/‖a‖²; a run converges when ∇f minus its part along a vanishes.

References: scipy 1.17's SLSQP (tol 1e-14), recorded here, and the closed forms.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.calculus.lagrange import parse_constraint
from gradcli.cli import app
from gradcli.expr import parse
from gradcli.numeric import compile_function
from gradcli.optimize import Settings, descend
from gradcli.optimize.projection import simple_set
from gradcli.plotting import feasible

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "100", "GRADCLI_NO_CACHE": "1"}
# scipy.optimize.minimize(method="SLSQP", tol=1e-14): the minimiser on the line / plane
SCIPY_LINE = (0.54545454, 0.09090908)  # x² + 2y² + xy − 3x on 2x − y = 1: (6/11, 1/11)
SCIPY_PLANE = (2.79982464e-09, 2.0, -0.999999999)  # on x + y + z = 1: (0, 2, −1)


def plane(text: str, f: str) -> tuple[object, object]:
    fn = parse(f)
    return fn, simple_set(parse_constraint(text).expr, fn.variables, text)


def test_a_linear_constraint_is_a_plane() -> None:
    _, p = plane("2x - y = 1", "x + y")
    assert (p.kind, p.indices, p.normal, p.offset) == ("plane", (0, 1), (2.0, -1.0), 1.0)
    _, q = plane("3 = y + 2z", "x + y + z")  # sides either way round, a variable left out
    assert (q.indices, q.normal, q.offset) == ((1, 2), (-1.0, -2.0), -3.0)


@pytest.mark.parametrize("seed", range(5))
def test_the_projection_lands_on_the_plane_and_is_nearest(seed: int) -> None:
    _, p = plane("x - 2y + 3z = 4", "x + y + z")
    rng = np.random.default_rng(seed)
    x = tuple(rng.normal(size=(3, 50)) * 10)
    on = np.array(p.project(x))
    a = np.array([1.0, -2.0, 3.0])
    assert np.allclose(a @ on, 4.0)
    assert np.allclose(np.cross(np.array(x).T - on.T, a), 0.0)  # x − P(x) is along a
    assert np.allclose(np.array(p.project(tuple(on))), on)  # P(P(x)) = P(x)
    g = tuple(rng.normal(size=(3, 50)))
    tangent = np.array(g) - (a @ np.array(g)) / 14.0 * a[:, None]
    assert np.allclose(p.tangent_sq(tuple(on), g), (tangent**2).sum(axis=0))


def test_descent_on_a_line_ends_at_scipys_minimiser() -> None:
    fn, p = plane("2x - y = 1", "x^2 + 2*y^2 + x*y - 3*x")
    compiled = compile_function(fn)
    (run,) = descend(compiled, [[3.0, 2.0]], [Settings(lr=0.05, steps=2000)], projection=p)
    assert run.status == "converged"
    assert np.allclose(run.path[-1], SCIPY_LINE, atol=1e-6)
    assert math.isclose(run.path[-1][0], 6 / 11, abs_tol=1e-6)
    assert abs(2 * run.path[-1][0] - run.path[-1][1] - 1) < 1e-12  # on the line all the way


def test_descend_on_a_plane_in_three_variables_cli() -> None:
    args = ["descend", "(x-1)^2+(y-2)^2+(z+1)^2+x*y", "--subject-to", "x+y+z=1", "--from", "0,0,0"]
    result = runner.invoke(app, [*args, "--steps", "3000", "-f", "json"], env=ENV)
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["constraint"] == {
        "kind": "plane",
        "text": "x+y+z=1",
        "variables": ["x", "y", "z"],
        "normal": [1.0, 1.0, 1.0],
        "offset": 1.0,
    }
    (run,) = record["runs"]
    assert run["status"] == "converged"
    end = [run["final"]["point"][n] for n in "xyz"]
    assert np.allclose(end, SCIPY_PLANE, atol=1e-6)
    table = runner.invoke(app, [*args, "--summary"], env=ENV).stdout
    assert "subject to  x+y+z=1 (plane: normal (1, 1, 1))" in table


def test_the_nearest_point_of_a_line_to_the_origin() -> None:
    result = runner.invoke(
        app, ["descend", "x^2+y^2", "--subject-to", "x+y=1", "--from", "2,0", "--summary"], env=ENV
    )
    assert result.exit_code == 0
    assert "subject to  x+y=1 (line: normal (1, 1))" in result.stdout
    assert "(0.5, 0.5)    0.5" in result.stdout


def test_one_variable_held_is_said_so() -> None:
    result = runner.invoke(
        app, ["descend", "(x-1)^2+y^2", "--subject-to", "2x=1", "--from", "3,3"], env=ENV
    )
    assert result.exit_code == 0
    assert "subject to  2x=1 (x = 0.5)" in result.stdout


def test_the_line_is_drawn_across_the_view() -> None:
    _, p = plane("x + 2y = 2", "x + y")
    ((xs, ys),) = feasible.outline(p, (-3.0, 3.0), (-3.0, 3.0))
    assert (xs, ys) == ([-3.0, 3.0], [2.5, -0.5])
    assert feasible.frame(p, 2) == [(0.4, 0.8)]  # the line's point nearest the origin
    _, wall = plane("2x = 1", "x + y")
    assert feasible.outline(wall, (-3.0, 3.0), (-3.0, 3.0)) == [([0.5, 0.5], [-3.0, 3.0])]
    _, away = plane("x + y = 100", "x + y")
    assert feasible.outline(away, (-3.0, 3.0), (-3.0, 3.0)) == []  # off the view: nothing drawn


def test_other_shapes_are_still_refused_in_one_line() -> None:
    result = runner.invoke(
        app, ["descend", "x+y", "--subject-to", "x*y=1", "--from", "1,1"], env=ENV
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "gradcli: error: descend projects onto a circle or sphere, (x−a)² + (y−b)² = r², a line "
        "or plane, a·x = c, or a box (--bounds); 'x*y=1' is none of these"
    )
    assert result.stderr.count("\n") == 1  # one line, the hint after a dash
