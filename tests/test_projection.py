"""Issue 14, constraints: projected gradient descent (`descend --subject-to` on a circle or sphere,
`--bounds` for a box) and the Lagrange picture of `plot --subject-to`.

The descent's end is checked against the Lagrange answer of the same problem (critical
--subject-to), and both lanes (one run on floats, many on numpy rows) must give the same numbers.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.calculus.lagrange import constrained, lagrange_points, parse_constraint
from gradcli.cli import app
from gradcli.errors import MathError, UsageError
from gradcli.expr import parse
from gradcli.numeric import compile_function
from gradcli.optimize import Settings, descend
from gradcli.optimize.projection import parse_bounds
from gradcli.optimize.projection import simple_set as sphere

runner = CliRunner()


def circle(text: str, f: str = "x + y") -> Any:
    fn = parse(f)
    return sphere(parse_constraint(text).expr, fn.variables, text)


# --- recognising the set -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "centre", "radius"),
    [
        ("x^2 + y^2 = 1", (0.0, 0.0), 1.0),
        ("(x-1)^2 + (y+2)^2 = 4", (1.0, -2.0), 2.0),
        ("2x^2 + 2y^2 - 4x = 6", (1.0, 0.0), 2.0),  # (x − 1)² + y² = 4, written expanded
    ],
)
def test_circles_are_recognised(text: str, centre: Any, radius: float) -> None:
    p = circle(text)
    assert p.kind == "sphere" and p.indices == (0, 1)
    assert p.centre == pytest.approx(centre) and p.radius == pytest.approx(radius)


def test_a_sphere_over_some_of_the_variables() -> None:
    fn = parse("x + y + z")
    p = sphere(parse_constraint("x^2 + z^2 = 9").expr, fn.variables, "x^2 + z^2 = 9")
    assert p.indices == (0, 2) and p.radius == 3.0
    out = p.points(np.array([[6.0, 5.0, 8.0]]))
    assert out[0] == pytest.approx([3 * 0.6, 5.0, 3 * 0.8])  # y is free


@pytest.mark.parametrize("text", ["x^2 + 2y^2 = 1", "x*y = 1", "x^2 + y = 1", "x^4 + y^4 = 1"])
def test_other_sets_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="is none of these"):
        circle(text)


def test_an_empty_or_point_circle_is_a_math_error() -> None:
    with pytest.raises(MathError, match="no real points"):
        circle("x^2 + y^2 = -1")
    with pytest.raises(MathError, match="single point"):
        circle("x^2 + y^2 = 0")


def test_bounds_grammar() -> None:
    every = parse_bounds("-1:1", ("x", "y"))
    assert every.lower == (-1.0, -1.0) and every.upper == (1.0, 1.0)
    some = parse_bounds("x=-pi:pi, y=0:", ("x", "y", "z"))
    assert some.lower == (-math.pi, 0.0, -math.inf) and some.upper == (math.pi, math.inf, math.inf)
    for bad, words in (
        ("x=1:0", "LO ≤ HI"),
        ("w=0:1", "not a variable"),
        ("0", "LO:HI"),
        (":", "bounds nothing"),
    ):
        with pytest.raises(UsageError, match=words):
            parse_bounds(bad, ("x", "y"))


# --- the descent -------------------------------------------------------------------------------
F = "x^2 + 2*y^2 + x*y - 3*x"
G = "(x-1)^2 + (y+0.5)^2 = 4"


def test_projected_descent_ends_at_the_lagrange_minimum() -> None:
    fn, constraints = constrained(parse(F), [G])
    nearest = min(
        (p for p in lagrange_points(fn, constraints).points if p.classification == "minimum"),
        key=lambda p: math.dist(p.values, (2.97, -0.83)),
    )
    (run,) = descend(
        compile_function(fn), [[3.0, 2.0]], [Settings(lr=0.05)], projection=circle(G, F)
    )
    assert run.status == "converged"
    assert run.path[-1] == pytest.approx(nearest.values, abs=1e-5)
    # every point of the path is on the circle, the start included
    assert np.hypot(run.path[:, 0] - 1, run.path[:, 1] + 0.5) == pytest.approx(2.0, abs=1e-12)
    assert (
        run.classification is None
    )  # the unconstrained Hessian test would judge the wrong problem


@pytest.mark.parametrize(
    ("projection", "method"),
    [
        ("circle", "gd"),
        ("circle", "adam"),
        ("box", "momentum"),
        ("line", "gd"),
        ("line", "rmsprop"),
    ],
)
def test_both_lanes_give_the_same_numbers(projection: str, method: str) -> None:
    fn = parse(F)
    p = (
        circle(G, F)
        if projection == "circle"
        else circle("2x - y = 1", F)
        if projection == "line"
        else parse_bounds("x=-1:0.5,y=0:", fn.names)
    )
    compiled = compile_function(fn)
    settings = [Settings(method=method, lr=0.05, steps=300)]
    (one,) = descend(compiled, [[3.0, 2.0]], settings, projection=p)  # the scalar lane
    many = descend(compiled, [[3.0, 2.0]] * 6, settings, projection=p)  # the vector lane
    assert np.array_equal(one.path, many[4].path)
    assert np.array_equal(one.norms, many[4].norms)
    assert one.status == many[4].status


def test_box_descent_and_ascent_stop_at_the_corner() -> None:
    box = parse_bounds("-1:1", ("x", "y"))
    (down,) = descend(
        compile_function(parse("(x-2)^2 + (y-2)^2")), [[0.0, 0.0]], [Settings()], projection=box
    )
    assert down.status == "converged" and down.path[-1].tolist() == [1.0, 1.0]
    assert down.norms[-1] == 0.0 and "‖∇f‖ = 0" in down.reason
    (up,) = descend(
        compile_function(parse("-(x-2)^2 - (y+2)^2")),
        [[0.0, 0.0]],
        [Settings(ascent=True)],
        projection=box,
    )
    assert up.status == "converged" and up.path[-1].tolist() == [1.0, -1.0]


def test_the_engine_refuses_curvature_methods_with_a_projection() -> None:
    compiled = compile_function(parse("x + y"))
    with pytest.raises(UsageError, match="lbfgs has no projected form"):
        descend(compiled, [(1.0, 0.0)], [Settings(method="lbfgs")], projection=circle("x^2+y^2=1"))


def test_a_diverging_run_is_not_rescued_by_the_projection() -> None:
    (run,) = descend(
        compile_function(parse("x^2 + y^2")),
        [[3.0, 0.0]],
        [Settings(lr=1e200)],
        projection=circle("x^2+y^2=1"),
    )
    assert run.status in ("diverged", "converged", "max_steps")
    assert np.all(np.isfinite(run.path[:-1]))


# --- the command line ---------------------------------------------------------------------------
def test_descend_subject_to_cli() -> None:
    args = ["descend", "x + y", "--subject-to", "x^2 + y^2 = 1", "--from", "1,0"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "subject to  x^2 + y^2 = 1 (circle: centre (0, 0), radius 1)" in table.stdout
    doc = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert doc["constraint"] == {
        "kind": "sphere",
        "text": "x^2 + y^2 = 1",
        "variables": ["x", "y"],
        "centre": [0.0, 0.0],
        "radius": 1.0,
    }
    (run,) = doc["runs"]
    assert run["status"] == "converged"
    end = run["final"]["point"]
    assert (end["x"], end["y"]) == pytest.approx((-1 / math.sqrt(2), -1 / math.sqrt(2)), abs=1e-6)
    summary = json.loads(runner.invoke(app, [*args, "--summary", "--format", "json"]).stdout)
    assert summary["constraint"]["kind"] == "sphere"
    csv = runner.invoke(app, [*args, "--format", "csv", "--steps", "1"]).stdout.splitlines()
    assert csv[0] == "run,method,lr,step,x,y,f,grad_x,grad_y,grad_norm,status"
    boxed = runner.invoke(app, ["descend", "x + y", "--bounds", "x=-1:0.5,y=0:", "--from", "0,0"])
    assert "x ∈ [-1, 0.5], y ≥ 0 (box)" in boxed.stdout


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--subject-to", "x*y = 1"], "descend projects onto a circle or sphere"),
        (["--subject-to", "x^2+y^2=1", "--bounds", "-1:1"], "--subject-to and --bounds together"),
        (["--subject-to", "x^2+y^2=1", "--subject-to", "x=y"], "not several"),
        (["--bounds", "x=2:1"], "--bounds x"),
        # the curvature methods' line searches know nothing of the set: they would walk off it
        (["--bounds", "-1:1", "--method", "gd,bfgs"], "bfgs has no projected form"),
        (["--subject-to", "x^2+y^2=1", "--method", "newton"], "newton has no projected form"),
    ],
)
def test_descend_refusals_are_one_line_exit_2(extra: list[str], words: str) -> None:
    result = runner.invoke(app, ["descend", "x + y", "--from", "0,0", *extra])
    assert result.exit_code == 2
    assert words in result.stderr and result.stderr.count("\n") == 1


def test_plot_subject_to_draws_the_lesson(tmp_path: Any) -> None:
    from gradcli import plotting

    fn, constraints = constrained(parse("x + y"), ["x^2 + y^2 = 1"])
    options = plotting.PlotOptions(
        lagrange=lagrange_points(fn, constraints), grid=40, dpi=30, arrows=0
    )
    plot = plotting.plot_function(fn, options=options)
    labels = plot.figure.axes[0].get_legend_handles_labels()[1]
    assert "constraint x² + y² = 1" in labels
    assert any(label.startswith("constrained max: f = 1.414 at (√2/2, √2/2)") for label in labels)
    assert any(label.startswith("∇g, normal to the constraint") for label in labels)
    out = str(tmp_path / "l.png")
    refused = runner.invoke(app, ["plot", "x", "--subject-to", "x*y=1", "--from", "1,1", "-o", out])
    assert refused.exit_code == 2 and "is none of these" in refused.stderr
    three = runner.invoke(app, ["plot", "x", "--subject-to", "x+y+z=1", "-o", out])
    assert three.exit_code == 2 and "two variables" in three.stderr
