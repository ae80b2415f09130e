"""The set a projected descent stays in, drawn with its runs (plotting/feasible.py): `descend
--subject-to/--bounds --plot` and `plot --bounds --from`. Before, the figure showed a path bending
along an invisible circle or stopping at an invisible wall.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.optimize.projection import Projection, parse_bounds
from gradcli.plotting import feasible

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "100", "GRADCLI_NO_CACHE": "1"}
VIEW = (-3.0, 3.0)


def circle(cx: float = 0.0, cy: float = 0.0, r: float = 1.0) -> Projection:
    return Projection("sphere", "circle", indices=(0, 1), centre=(cx, cy), radius=r)


def test_a_circle_is_its_outline_and_frames_its_box() -> None:
    ((xs, ys),) = feasible.outline(circle(1.0, -0.5, 2.0), VIEW, VIEW)
    radii = np.hypot(np.array(xs) - 1.0, np.array(ys) + 0.5)
    assert np.allclose(radii, 2.0) and len(xs) > 300
    assert feasible.frame(circle(1.0, -0.5, 2.0), 2) == [(-1.0, -2.5), (3.0, 1.5)]


def test_a_box_is_its_finite_sides_clipped_to_the_view() -> None:
    box = parse_bounds("x=-1:1,y=0:", ("x", "y"))
    sides = sorted(feasible.outline(box, VIEW, VIEW))
    # x = ±1 from y = 0 up to the top of the view; y = 0 between x = −1 and 1; no top side
    assert sides == sorted(
        [([-1.0, -1.0], [0.0, 3.0]), ([1.0, 1.0], [0.0, 3.0]), ([-1.0, 1.0], [0.0, 0.0])]
    )
    assert feasible.frame(box, 2) == [(-1.0, 0.0), (1.0, 0.0)]
    assert feasible.frame(parse_bounds("x=-1:1", ("x", "y")), 2) == []  # y open on both sides


def test_a_side_outside_the_view_is_not_drawn() -> None:
    box = parse_bounds("-5:1", ("x", "y"))
    sides = feasible.outline(box, VIEW, VIEW)
    assert ([1.0, 1.0], [-3.0, 1.0]) in sides and ([-3.0, 1.0], [1.0, 1.0]) in sides
    assert not any(-5.0 in xs or -5.0 in ys for xs, ys in sides)


def test_one_variable_has_walls() -> None:
    assert feasible.outline(parse_bounds("-1:1", ("x",)), VIEW, None) == [
        ([-1.0, -1.0], [0.0, 1.0]),
        ([1.0, 1.0], [0.0, 1.0]),
    ]
    two_points = Projection("sphere", "(x-1)^2=4", indices=(0,), centre=(1.0,), radius=2.0)
    assert [xs[0] for xs, _ in feasible.outline(two_points, VIEW, None)] == [-1.0, 3.0]


def figure_lines(args: list[str], tmp_path: Path) -> tuple[str, list[str]]:
    """Run a command that writes a figure, in-process; its report and the legend's texts of the
    figure it built (read through plotting.write_plot, which every still goes through)."""
    import gradcli.plotting as plotting

    seen: list[list[str]] = []
    write = plotting.write_plot

    def spy(plot: plotting.Plot, path: str, **kwargs: object) -> str:
        legends = [*plot.figure.legends, *(a.get_legend() for a in plot.figure.axes)]
        seen.append([t.get_text() for leg in legends if leg is not None for t in leg.get_texts()])
        return write(plot, path, **kwargs)  # type: ignore[arg-type]

    mp = pytest.MonkeyPatch()
    mp.setattr(plotting, "write_plot", spy)
    try:
        result = runner.invoke(app, args, env=ENV)
    finally:
        mp.undo()
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    (legend,) = seen
    return result.stdout, legend


def test_descend_plot_names_the_box_and_plot_draws_the_same(tmp_path: Path) -> None:
    out = str(tmp_path / "f.png")
    descend = ["descend", "(x-2)**2+(y-2)**2", "--bounds", "-1:1", "--from", "0,0"]
    _, legend = figure_lines([*descend, "--plot", out], tmp_path)
    assert legend[0] == "subject to x ∈ [-1, 1], y ∈ [-1, 1] (box)"
    report, again = figure_lines(
        ["plot", "(x-2)**2+(y-2)**2", "--bounds", "-1:1", "--from", "0,0", "-o", out], tmp_path
    )
    assert again == legend
    assert report.splitlines()[1] == "subject to  x ∈ [-1, 1], y ∈ [-1, 1] (box)"
    assert "converged   4       (1, 1)" in report  # stopped at the corner, as descend's run


def test_descend_plot_draws_the_circle(tmp_path: Path) -> None:
    out = str(tmp_path / "f.png")
    _, legend = figure_lines(
        ["descend", "x+y", "--subject-to", "x^2+y^2=1", "--from", "1,0", "--plot", out], tmp_path
    )
    assert legend[0] == "subject to x^2+y^2=1 (circle: centre (0, 0), radius 1)"


def test_plot_bounds_in_json(tmp_path: Path) -> None:
    out = str(tmp_path / "f.png")
    args = ["plot", "(x-2)**2", "--bounds", "x=-1:1", "--from", "0", "-o", out, "-f", "json"]
    result = runner.invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["constraint"]["bounds"] == {"x": [-1.0, 1.0]}
    assert math.isclose(record["runs"][0]["final"]["point"]["x"], 1.0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--bounds is the box a descent stays in: give its start with --from"),
        (
            ["--from", "0,0", "--subject-to", "x^2+y^2=1"],
            "--subject-to and --bounds together: the nearest point of their intersection",
        ),
        (["--from", "0,0", "--slice", "y=1"], "--bounds keeps a descent in a box of f's"),
    ],
    ids=["no-start", "with-subject-to", "with-slice"],
)
def test_plot_bounds_refusals(extra: list[str], message: str, tmp_path: Path) -> None:
    args = ["plot", "x**2+y**2", "--bounds", "-1:1", *extra, "-o", str(tmp_path / "f.png")]
    result = runner.invoke(app, args, env=ENV)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"gradcli: error: {message}")
    assert not (tmp_path / "f.png").exists()


def test_summary_plot_draws_the_paths_and_prints_the_summary(tmp_path: Path) -> None:
    """--summary records final states only; --plot beside it still draws each run's path (the
    runs stepped again for the figure), and the printed summary is the one without --plot."""
    import gradcli.plotting as plotting

    drawn: list[list[int]] = []
    figure = plotting.descent_figure

    def spy(fn: object, runs: list, path: str, **kwargs: object) -> object:  # type: ignore[type-arg]
        drawn.append([len(r.path) for r in runs])
        return figure(fn, runs, path, **kwargs)  # type: ignore[arg-type]

    args = ["descend", "x**2+3*y**2", "--from", "3,1", "--lr", "0.05", "--lr", "0.3", "--summary"]
    alone = runner.invoke(app, args, env=ENV)
    mp = pytest.MonkeyPatch()
    mp.setattr(plotting, "descent_figure", spy)
    try:
        plotted = runner.invoke(app, [*args, "--plot", str(tmp_path / "f.png")], env=ENV)
    finally:
        mp.undo()
    assert plotted.exit_code == alone.exit_code == 0
    assert plotted.stdout == alone.stdout + f"figure written to {tmp_path / 'f.png'}\n"
    ((slow, bouncing),) = drawn
    assert slow > 100 and bouncing > 10  # lr 0.05 crawls, lr 0.3 zig-zags: whole paths
