"""The plotting library: the numbers behind a figure, the artists on it, and how it is written."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.contour import ContourSet
from matplotlib.lines import Line2D
from matplotlib.quiver import Quiver
from matplotlib.text import Annotation

from gradcli.cli import figure_options as spec
from gradcli.errors import MathError, OutputError, UsageError
from gradcli.expr import parse
from gradcli.numeric import compile_function
from gradcli.plotting import (
    PlotOptions,
    descent_figure,
    figure_format,
    grid,
    plot_function,
    slice_function,
    write_animation,
    write_figure,
)
from gradcli.plotting.animate import MAX_FRAMES, frame_steps

FAST = PlotOptions(grid=41, dpi=40)  # small figures: the artists are the same, the test is fast

MAGIC = {
    "png": b"\x89PNG\r\n\x1a\n",
    "pdf": b"%PDF-",
    "gif": b"GIF89a",
}


def fake_run(fn: Any, start: tuple[float, ...], lr: float, steps: int, method: str = "gd") -> Any:
    """A DescentRun-like object from plain gradient descent (the figure only reads these fields)."""
    compiled = compile_function(fn)
    x = np.array(start, dtype=float)
    path = [x.copy()]
    for _ in range(steps):
        x = x - lr * compiled.gradient(x)
        path.append(x.copy())
    points = np.array(path)
    return SimpleNamespace(
        path=points,
        start=np.array(start, dtype=float),
        status="max_steps",
        method=method,
        lr=lr,
        values=compiled.value(points),
        iterations=steps,
    )


def artists(fig: Any, kind: type) -> list[Any]:
    ax = fig.axes[0]
    return [a for a in ax.get_children() if isinstance(a, kind)]


# --- framing, levels, masking (numbers only) -----------------------------------------------------


def test_frame_defaults_to_the_lesson_window() -> None:
    assert grid.frame(["x", "y"], []) == {"x": (-3.0, 3.0), "y": (-3.0, 3.0)}


def test_frame_grows_to_cover_points_and_keeps_explicit_ranges() -> None:
    ranges = grid.frame(["x", "y"], [(5.0, 0.0)], {"y": (-1.0, 1.0)})
    assert ranges["y"] == (-1.0, 1.0)
    assert ranges["x"][0] == -3.0 and ranges["x"][1] > 5.0


def test_frame_moves_to_a_far_stationary_point() -> None:
    ranges = grid.frame(["x", "y"], [], None, [(10.0, 10.0)])
    for lo, hi in ranges.values():
        assert lo < 10 < hi and hi - lo >= 6


def test_stationary_points_are_found_and_flat_tails_are_not() -> None:
    def found(text: str) -> Any:
        fn = parse(text)
        return grid.stationary_points(compile_function(fn).gradient, len(fn.variables))

    assert np.allclose(found("(1-x)**2+100*(y-x**2)**2"), [[1.0, 1.0]])
    assert np.allclose(found("(x-10)**2+(y+2)**2"), [[10.0, -2.0]])
    assert len(found("exp(x)+y**2")) == 0  # ∇f → 0 only as x → −∞
    assert len(found("1/x+y")) == 0


def test_log_levels_are_chosen_for_rosenbrock_and_not_for_a_bowl() -> None:
    rosen = compile_function(parse("(1-x)**2+100*(y-x**2)**2"))
    bowl = compile_function(parse("x**2+y**2"))
    ros_levels = grid.choose_levels(grid.sample_2d(rosen, (-2, 2), (-1, 3), 81).Z)
    bowl_levels = grid.choose_levels(grid.sample_2d(bowl, (-3, 3), (-3, 3), 81).Z)
    assert ros_levels.log and not bowl_levels.log
    ratios = np.diff(np.log10(ros_levels.values - ros_levels.values[0] + 1e-300)[1:])
    assert np.all(ratios > 0.3)  # 1, 3, 10, 30: about half a decade per level
    forced = grid.choose_levels(grid.sample_2d(bowl, (-3, 3), (-3, 3), 81).Z, log=True)
    assert forced.log


def test_a_pole_is_masked_and_does_not_spend_the_levels() -> None:
    compiled = compile_function(parse("1/x + y"))
    sample = grid.sample_2d(compiled, (-3, 3), (-3, 3), 80)  # even: no node on x = 0
    masked_columns = np.flatnonzero(np.ma.getmaskarray(sample.Z).any(axis=0))
    x = sample.X[0]
    assert len(masked_columns) and np.all(np.abs(x[masked_columns]) < 0.2)
    levels = grid.choose_levels(sample.Z)
    assert levels.values[-1] < 15 and levels.extend == "both"


def test_undefined_everywhere_is_a_math_error() -> None:
    compiled = compile_function(parse("log(-x**2-y**2-1)"))
    with pytest.raises(MathError):
        grid.sample_2d(compiled, (-1, 1), (-1, 1), 20)


def test_the_1d_curve_breaks_at_a_pole() -> None:
    x, y = grid.sample_1d(compile_function(parse("1/x")), (-1, 1), 200)
    drawn = np.isfinite(y[:-1]) & np.isfinite(y[1:])  # segments the line really draws
    assert not np.any(drawn & (x[:-1] < 0) & (x[1:] > 0))  # none of them crosses x = 0
    assert np.isfinite(y[np.abs(x) > 0.05]).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
            st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
        ),
        max_size=5,
    )
)
def test_frame_always_contains_the_points(points: list[tuple[float, float]]) -> None:
    ranges = grid.frame(["x", "y"], points)
    for px, py in points:
        assert ranges["x"][0] < px < ranges["x"][1]
        assert ranges["y"][0] < py < ranges["y"][1]


def test_arrows_follow_the_gradient_or_its_opposite() -> None:
    G = np.array([[3.0, 4.0], [0.0, 0.0], [np.nan, 1.0], [-1.0, 0.0]])
    keep, U, V = grid.arrow_vectors(G, cell=1.0, descent=False)
    assert keep.tolist() == [True, False, False, True]
    kept = G[keep]
    assert np.allclose(U * kept[:, 1] - V * kept[:, 0], 0)  # parallel to ∇f ...
    assert np.all(U * kept[:, 0] + V * kept[:, 1] > 0)  # ... and the same way
    _, Ud, Vd = grid.arrow_vectors(G, cell=1.0, descent=True)
    assert np.allclose(Ud, -U) and np.allclose(Vd, -V)


# --- option parsing ------------------------------------------------------------------------------


def test_option_parsing() -> None:
    assert spec.parse_ranges("-pi:pi", ["x", "y"])["y"] == pytest.approx((-np.pi, np.pi))
    assert spec.parse_ranges("y=-2:2", ["x", "y"]) == {"y": (-2.0, 2.0)}
    assert spec.parse_levels("20") == (20, None)
    assert spec.parse_levels("0.5,1,2") == (None, (0.5, 1.0, 2.0))
    assert spec.parse_size("8x6", 100) == (8.0, 6.0)
    assert spec.parse_size("1920x1080px", 120) == (16.0, 9.0)
    assert float(spec.parse_slice("z=1/2", ["x", "y", "z"])["z"]) == 0.5
    for bad in (
        lambda: spec.parse_ranges("q=-1:1", ["x", "y"]),
        lambda: spec.parse_ranges("3:-3", ["x"]),
        lambda: spec.parse_levels("1"),
        lambda: spec.parse_size("8 by 6", 100),
        lambda: spec.parse_size("100x100", 600),
        lambda: spec.parse_slice("w=1", ["x", "y"]),
    ):
        with pytest.raises(UsageError):
            bad()


def test_slice_fixes_variables() -> None:
    sliced = slice_function(parse("x*y*z"), {"z": 2})
    assert sliced.names == ("x", "y")
    assert compile_function(sliced).value(np.array([3.0, 4.0])) == 24.0


# --- what is on the figure -----------------------------------------------------------------------


def test_contour_figure_has_filled_and_line_contours_a_field_and_a_colour_bar() -> None:
    plot = plot_function(parse("x**2+y**2"), options=FAST)
    fig = plot.figure
    contours = artists(fig, ContourSet)
    assert any(c.filled for c in contours) and any(not c.filled for c in contours)
    (quiver,) = artists(fig, Quiver)
    # the plot and its colour bar (an inset riding on the plot, so the pair centres in any frame)
    assert len(fig.axes) == 1 and len(fig.axes[0].child_axes) == 1
    assert fig.axes[0].get_aspect() == 1.0
    assert "x^{2} + y^{2}" in fig.axes[0].get_title()
    # ∇(x²+y²) = 2(x, y): every arrow points straight away from the origin (⟂ to the circles)
    offsets, U, V = quiver.get_offsets(), quiver.U, quiver.V
    radial = offsets[:, 0] * V - offsets[:, 1] * U
    assert np.allclose(radial, 0, atol=1e-9) and np.all(offsets[:, 0] * U >= -1e-12)


def test_descent_arrows_point_downhill() -> None:
    plot = plot_function(
        parse("x**2+y**2"), options=PlotOptions(grid=41, dpi=40, descent_arrows=True)
    )
    (quiver,) = artists(plot.figure, Quiver)
    offsets = quiver.get_offsets()
    assert np.all(offsets[:, 0] * quiver.U + offsets[:, 1] * quiver.V < 0)


def test_a_point_gets_its_level_curve_gradient_and_tangent() -> None:
    plot = plot_function(parse("x**2+y**2"), at=[(1.0, 1.0)], options=FAST)
    fig = plot.figure
    levels = [c.levels.tolist() for c in artists(fig, ContourSet)]
    assert [2.0] in levels  # the circle through (1, 1)
    tangents = [line for line in artists(fig, Line2D) if line.get_linestyle() == "--"]
    assert len(tangents) == 1
    (tx, ty) = (np.asarray(d, float) for d in tangents[0].get_data())
    assert np.isclose((ty[1] - ty[0]) / (tx[1] - tx[0]), -1.0)  # ⟂ to ∇f = (2, 2)
    (arrow,) = [a for a in artists(fig, Annotation) if a.arrow_patch is not None]
    tip = np.array(arrow.xy) - np.array([1.0, 1.0])
    assert np.isclose(tip[0], tip[1]) and tip[0] > 0  # along (2, 2)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("∇f(1, 1) = (2, 2)" in text for text in labels)


def test_one_variable_tangents_have_the_slopes_of_the_lesson() -> None:
    plot = plot_function(parse("x**2"), at=[(3.0,), (4.0,)], options=FAST)
    fig = plot.figure
    tangents = [line for line in artists(fig, Line2D) if line.get_linestyle() == "--"]
    slopes = sorted(
        float((y[1] - y[0]) / (x[1] - x[0]))
        for x, y in (np.asarray(t.get_data(), float) for t in tangents)
    )
    assert slopes == pytest.approx([6.0, 8.0])
    texts = [a.get_text() for a in artists(fig, Annotation)]
    assert "slope 6" in texts and "slope 8" in texts


def test_descent_runs_are_drawn_with_a_legend() -> None:
    fn = parse("x**2+3*y**2")
    runs = [fake_run(fn, (3.0, 1.0), 0.1, 20), fake_run(fn, (3.0, 1.0), 0.05, 20)]
    fig = plot_function(fn, runs=runs, options=FAST).figure
    paths = [line for line in artists(fig, Line2D) if len(line.get_xdata()) == 21]
    assert len(paths) == 2
    assert len({line.get_color() for line in paths}) == 2
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "gd, lr = 0.1" in labels and "gd, lr = 0.05" in labels and "start, end" in labels


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_surface_lifts_paths_onto_it() -> None:
    from mpl_toolkits.mplot3d.art3d import Line3D, Poly3DCollection

    fn = parse("sin(x)*cos(y)")
    run = fake_run(fn, (1.0, 0.5), 0.3, 10)
    plot = plot_function(fn, runs=[run], options=PlotOptions(grid=21, dpi=40, surface=True))
    ax = plot.figure.axes[0]
    assert ax.name == "3d"
    assert any(isinstance(a, Poly3DCollection) for a in ax.get_children())
    lines = [
        a for a in ax.get_children() if isinstance(a, Line3D) and len(a.get_data_3d()[0]) == 11
    ]
    assert lines  # the path, with z = f(path) (plus a small lift)
    xs, ys, zs = (np.asarray(v, float) for v in lines[0].get_data_3d())
    assert np.allclose(zs - np.sin(xs) * np.cos(ys), zs[0] - np.sin(xs[0]) * np.cos(ys[0]))


def test_three_variables_need_a_slice() -> None:
    with pytest.raises(UsageError) as caught:
        plot_function(parse("x*y*z"), options=FAST)
    assert "slice z=0" in caught.value.one_line()  # the library names the parameter
    assert "--slice z=0" in caught.value.one_line({"slice": "--slice"})  # the CLI, its flag


def test_unknown_colormap_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="colormap"):
        plot_function(parse("x*y"), options=PlotOptions(grid=21, dpi=40, cmap="nope"))


@pytest.mark.slow
def test_singular_functions_draw_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A library's deprecation notice about its own dependencies (older matplotlib with newer
        # pyparsing) is hidden from users by Python's default filters; numeric warnings are not.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!gradcli)")
        for text in ("1/x + y", "log(x)*y", "sqrt(1-x**2-y**2)", "1/x", "tan(x)"):
            fig = plot_function(parse(text), options=FAST).figure
            fig.canvas.draw()
    filled = [c for c in artists(plot_function(parse("log(x)*y"), options=FAST).figure, ContourSet)]
    assert filled  # and the undefined half is hatched, not drawn as garbage


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_files_are_valid_and_reproducible(tmp_path: Path, fmt: str) -> None:
    fn = parse("x**2+y**2")
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    write_figure(plot_function(fn, at=[(1.0, 1.0)], options=FAST).figure, first)
    write_figure(plot_function(fn, at=[(1.0, 1.0)], options=FAST).figure, second)
    data = first.read_bytes()
    if fmt == "svg":
        assert b"<svg" in data[:500]
    else:
        assert data.startswith(MAGIC[fmt])
    assert data == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name, second.name]  # no temp files


def test_format_comes_from_the_extension() -> None:
    assert figure_format("a.PNG") == "png"
    assert figure_format("a.gif", animate=True) == "gif"
    for path, animate in (("a.jpg", False), ("a", False), ("a.gif", False), ("a.png", True)):
        with pytest.raises(UsageError):
            figure_format(path, animate)


def test_unwritable_targets_are_output_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    (tmp_path / "folder.png").mkdir()
    fig = plot_function(parse("x*y"), options=FAST).figure
    for target in (tmp_path / "missing" / "f.png", blocker / "f.png", tmp_path / "folder.png"):
        with pytest.raises(OutputError):
            descent_figure(parse("x*y"), [], target, options=FAST)
        with pytest.raises(OutputError):
            write_figure(fig, target)


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    fig = plot_function(parse("x*y"), options=FAST).figure
    target = tmp_path / "f.png"
    target.write_bytes(b"old figure")

    def half_written(handle: Any, **kwargs: Any) -> None:
        handle.write(b"\x89PNG half")
        raise error

    monkeypatch.setattr(fig, "savefig", half_written)
    with pytest.raises(type(error)):
        write_figure(fig, target)
    assert target.read_bytes() == b"old figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]


@pytest.mark.slow
def test_animation_is_a_bounded_gif(tmp_path: Path) -> None:
    from PIL import Image

    assert frame_steps(1) == [0]
    steps = frame_steps(5000)
    assert len(steps) <= MAX_FRAMES and steps[0] == 0 and steps[-1] == 4999
    fn = parse("x**2+3*y**2")
    plot = plot_function(fn, runs=[fake_run(fn, (3.0, 1.0), 0.1, 200)], options=FAST)
    target = tmp_path / "d.gif"
    write_animation(plot, target)
    assert target.read_bytes().startswith(MAGIC["gif"])
    with Image.open(target) as gif:
        assert 2 <= gif.n_frames <= MAX_FRAMES
    again = tmp_path / "e.gif"
    plot = plot_function(fn, runs=[fake_run(fn, (3.0, 1.0), 0.1, 200)], options=FAST)
    write_animation(plot, again)
    assert again.read_bytes() == target.read_bytes()


def test_animation_needs_runs(tmp_path: Path) -> None:
    plot = plot_function(parse("x*y"), options=FAST)
    with pytest.raises(UsageError, match="give a start with starts"):
        write_animation(plot, tmp_path / "d.gif")
    assert not list(tmp_path.iterdir())


def test_descent_figure_is_what_descend_plot_calls(tmp_path: Path) -> None:
    fn = parse("x**2+3*y**2")
    target = tmp_path / "race.png"
    plot = descent_figure(fn, [fake_run(fn, (3.0, 1.0), 0.1, 30)], target, options=FAST)
    assert target.read_bytes().startswith(MAGIC["png"]) and plot.tracks


@pytest.mark.slow  # a fresh interpreter
def test_no_pyplot() -> None:
    code = (
        "import sys; from gradcli.expr import parse; from gradcli.plotting import plot_function;"
        "plot_function(parse('x*y')).figure.canvas.draw();"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_no_contour_line_runs_along_a_pole() -> None:
    # Unmasked, every level between the two sides of x = 0 would be drawn as a line along it.
    fig = plot_function(parse("1/x + y"), options=PlotOptions(grid=80, dpi=40, arrows=0)).figure
    lines = next(c for c in artists(fig, ContourSet) if not c.filled)
    # The true level lines x = 1/(c − y) stay clear of x = 0 for the drawn levels |c| ≤ 6; grid nodes
    # sit at x = ±0.038, so a spurious line across the jump would run at |x| < 0.03.
    vertices = np.concatenate([p.vertices for p in lines.get_paths() if len(p.vertices)])
    assert not np.any(np.abs(vertices[:, 0]) < 0.03)
