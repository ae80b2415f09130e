"""Issue 12, "Lessons that read right" — the figures: any frame size balanced, runs that leave the
view clipped and marked, the formula as typed, exact numbers, nothing clipped or invisible.

Each test runs ``gradcli plot`` in-process through the CLI and inspects the matplotlib Figure it
built (captured from ``gradcli.plotting.plot_function``), drawn once so extents are real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import gradcli.plotting as plotting
from gradcli.cli import app

FAST = ["--grid", "60", "--dpi", "60"]


def figure_of(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> Any:
    """Run ``gradcli plot ARGS`` and return the Plot it drew (after the PNG is written)."""
    built: list[Any] = []
    real = plotting.plot_function

    def capture(*a: Any, **k: Any) -> Any:
        built.append(real(*a, **k))
        return built[-1]

    monkeypatch.setattr(plotting, "plot_function", capture)
    target = tmp_path / "f.png"
    result = CliRunner().invoke(app, ["plot", *args, "-o", str(target)])
    assert result.exit_code == 0, result.stderr
    assert target.exists()
    (plot,) = built
    plot.figure.canvas.draw()
    return plot


def legend_texts(fig: Any) -> list[str]:
    legends = list(fig.legends) + [a.get_legend() for a in fig.axes if a.get_legend()]
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def all_texts(fig: Any) -> list[Any]:
    """Every text drawn but the tick labels (the layout places those; matplotlib also keeps
    labels for ticks outside the view, never drawn)."""
    from matplotlib.text import Text

    ticks = {
        id(label)
        for ax in fig.findobj(lambda a: hasattr(a, "xaxis"))
        for axis in (ax.xaxis, ax.yaxis)
        for tick in axis.get_major_ticks() + axis.get_minor_ticks()
        for label in (tick.label1, tick.label2)
    }
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text() and id(t) not in ticks]


def group_box(fig: Any) -> Any:
    """Everything drawn: the plot with its colour bar, labels, title and legend."""
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes]
    boxes += [leg.get_window_extent(renderer) for leg in fig.legends]
    return Bbox.union([b for b in boxes if b is not None])


# --- 16:9 and other wide sizes: a balanced, centred layout ---------------------------------------

WIDE_CASES = [
    ["x**2+y**2", "--size", "1920x1080px"],
    ["x**2+y**2", "--size", "8x4.5"],
    ["x**2+y**2", "--size", "1920x1080px", "--theme", "dark"],
    ["x**2+y**2", "--size", "1920x1080px", "--surface"],
    ["x**2+y**2", "--size", "1920x1080px", "--at", "1,1"],
    ["x**2+10*y**2", "--from", "1,1", "--lr", "0.05", "--steps", "15", "--size", "1920x1080px"],
]


@pytest.mark.slow
@pytest.mark.parametrize("args", WIDE_CASES, ids=lambda a: " ".join(a[1:]))
def test_a_wide_frame_centres_the_plot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str]
) -> None:
    # Before: the equal-aspect plot sat against the colour bar at the right edge, ≈40 % empty left.
    fig = figure_of(monkeypatch, tmp_path, *args, *FAST).figure
    box, frame = group_box(fig), fig.bbox
    left, right = box.x0 - frame.x0, frame.x1 - box.x1
    assert abs(left - right) < 0.12 * frame.width, (left, right, frame.width)
    assert box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1  # and nothing falls off either side


@pytest.mark.slow
def test_the_wide_legend_sits_beside_the_plot_not_at_the_far_edge(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plot = figure_of(monkeypatch, tmp_path, "x**2+y**2", "--at", "1,1", "--size", "16x9", *FAST)
    fig = plot.figure
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    legend = ax.get_legend()
    assert legend is not None and not fig.legends
    bar = ax.child_axes[0].get_tightbbox(renderer)
    spot = legend.get_window_extent(renderer)
    assert 0 <= spot.x0 - bar.x1 < 0.05 * fig.bbox.width  # just right of the colour bar


# --- runs that leave the frame -------------------------------------------------------------------

LEARNING_RATES = [
    "x**2+10*y**2",
    "--from",
    "1,1",
    "--lr",
    "0.01",
    "--lr",
    "0.05",
    "--lr",
    "0.11",
    "--steps",
    "15",
    "--range",
    "x=-2:2,y=-3:3",
]


@pytest.mark.slow
def test_a_run_that_leaves_the_view_stops_at_its_edge_with_an_arrow(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from matplotlib.text import Annotation

    plot = figure_of(monkeypatch, tmp_path, *LEARNING_RATES, *FAST)
    (ax,) = plot.figure.axes
    for track in plot.tracks:  # before: the lr 0.11 path went to y = −15 in a ±3 window
        xs, ys = track.line.get_data()
        assert np.all(np.asarray(xs) >= -2 - 1e-9) and np.all(np.asarray(xs) <= 2 + 1e-9)
        assert np.all(np.asarray(ys) >= -3 - 1e-9) and np.all(np.asarray(ys) <= 3 + 1e-9)
    runaway = plot.tracks[2]
    assert not runaway.end.get_visible()  # its end is off the view: no star on the edge
    assert [t for t in legend_texts(plot.figure) if "lr = 0.11" in t] == [
        "gd, lr = 0.11  (diverged ↗)"
    ]
    tips = [a.xy for a in ax.findobj(Annotation)]
    edge = (float(runaway.line.get_xdata()[-1]), float(runaway.line.get_ydata()[-1]))
    assert edge[1] == pytest.approx(-3) and any(np.allclose(tip, edge) for tip in tips)
    # Every run's markers sit above every run's line: no run hides another's start or end.
    lines = max(t.line.get_zorder() for t in plot.tracks)
    assert all(min(t.head.get_zorder(), t.end.get_zorder()) > lines for t in plot.tracks)


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_runs_that_stay_in_view_are_untouched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plot = figure_of(
        monkeypatch, tmp_path, "x**2+y**2", "--from", "2,2", "--lr", "0.1", "--steps", "20", *FAST
    )
    (track,) = plot.tracks
    assert len(track.line.get_xdata()) == 21 and track.end.get_visible()
    assert not any("↗" in t for t in legend_texts(plot.figure))


# --- the formula as typed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("(y - x^2)^2", r"\left(y - x^{2}\right)^{2}"),
        ("(1-x)^2 + 100(y-x^2)^2", r"\left(1 - x\right)^{2} + 100 \left(y - x^{2}\right)^{2}"),
        ("2x + 3y - 1", "2 x + 3 y - 1"),
    ],
)
def test_the_title_shows_the_formula_in_the_typed_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, typed: str, shown: str
) -> None:
    # Before: sympy's reordering, (−x² + y)² where (y − x²)² was typed.
    fig = figure_of(monkeypatch, tmp_path, typed, *FAST).figure
    assert fig.axes[0].get_title() == f"$f(x, y) = {shown}$"


def test_a_preset_title_falls_back_to_the_parsed_form(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fig = figure_of(monkeypatch, tmp_path, "@rosenbrock", *FAST).figure
    title = fig.axes[0].get_title()
    assert title.startswith("$f(x, y) = ") and "100" in title


# --- rounding noise: exact values where they exist -----------------------------------------------


def test_the_slope_of_sin_at_pi_over_2_is_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fig = figure_of(monkeypatch, tmp_path, "sin(x)", "--at", "pi/2", *FAST).figure
    texts = [t.get_text() for t in all_texts(fig)]
    assert "slope 0" in texts  # before: slope 6.123e−17
    assert "tangent at x = π/2: slope 0" in legend_texts(fig)  # before: x = 1.571
    assert not any("e−" in t or "1.571" in t for t in texts)


@pytest.mark.slow
def test_the_level_of_cos_x_y_at_pi_over_2_is_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fig = figure_of(monkeypatch, tmp_path, "cos(x)*y", "--at", "pi/2,1", *FAST).figure
    labels = legend_texts(fig)
    assert "level f = 0 through (π/2, 1)" in labels  # before: level f = 6.123e−17
    assert "∇f(π/2, 1) = (−1, 0)" in labels


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_decimal_points_still_show_decimals(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fig = figure_of(monkeypatch, tmp_path, "x**2+y**2", "--at", "0.5,1.25", *FAST).figure
    assert "level f = 1.8125 through (0.5, 1.25)" in legend_texts(fig)  # exact, as typed


# --- clipped and invisible -----------------------------------------------------------------------


def _inside(fig: Any) -> list[str]:
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    out = []
    for text in all_texts(fig):
        box = text.get_window_extent(renderer)
        if (
            box.x0 < frame.x0 - 0.5
            or box.x1 > frame.x1 + 0.5
            or box.y0 < frame.y0 - 0.5
            or box.y1 > frame.y1 + 0.5
        ):
            out.append(text.get_text())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("dpi", ["100", "150"])
def test_the_gradients_figure_keeps_its_title_inside(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, dpi: str
) -> None:
    # The shipped examples/figures/gradients.png (lessons.sh, default grid): the title's top was
    # cut off.
    fig = figure_of(
        monkeypatch,
        tmp_path,
        "x^2+y^2",
        "--at",
        "3,1",
        "--at",
        "-2,-2",
        "--dpi",
        dpi,
    ).figure
    assert _inside(fig) == []
    # and as the audience sees it: no ink in the top rows of the PNG written
    import matplotlib.image

    pixels = matplotlib.image.imread(tmp_path / "f.png")[:3, :, :3]
    assert (pixels.sum(axis=-1) > 2.9).all()


def test_a_white_gradient_swatch_is_outlined(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from matplotlib.colors import to_rgb

    fig = figure_of(monkeypatch, tmp_path, "x^2+y^2", "--at", "3,1", "--at", "-2,-2", *FAST).figure
    legend = fig.legends[0]
    handles = dict(zip([t.get_text() for t in legend.get_texts()], legend.legend_handles))
    swatch: Any = handles["∇f(−2, −2) = (−4, −4)"]
    assert to_rgb(swatch.get_color()) == (1.0, 1.0, 1.0)
    assert sum(to_rgb(swatch.get_markeredgecolor())) < 1.0 and swatch.get_markeredgewidth() > 0


@pytest.mark.parametrize("at", ["2.8", "-2.8", "0"])
def test_a_slope_label_near_an_edge_stays_in_the_frame(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, at: str
) -> None:
    fig = figure_of(monkeypatch, tmp_path, "3-x", "--at", at, "--range", "x=-3:3", *FAST).figure
    assert "slope −1" in [t.get_text() for t in all_texts(fig)]
    assert _inside(fig) == []
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    label = next(t for t in all_texts(fig) if t.get_text() == "slope −1")
    box, plot = label.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert plot.x0 <= box.x0 and box.x1 <= plot.x1  # inside the plot, not over the tick labels


@pytest.mark.slow
def test_descent_arrows_are_named_in_the_legend(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fig = figure_of(monkeypatch, tmp_path, "x^2+y^2", "--descent-arrows", *FAST).figure
    assert "arrows: −∇f, downhill" in legend_texts(fig)
    plain = figure_of(monkeypatch, tmp_path, "x^2+y^2", *FAST).figure
    assert legend_texts(plain) == []


@pytest.mark.slow
@pytest.mark.parametrize("size", ["8x4.5", "12.8x7.2", "8.8x7.2"])
def test_the_surface_colour_bar_clears_the_z_tick_labels(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, size: str
) -> None:
    fig = figure_of(
        monkeypatch,
        tmp_path,
        "x**2+y**2",
        "--surface",
        "--size",
        size,
        "--grid",
        "30",
        "--dpi",
        "60",
    ).figure
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    (bar,) = ax.child_axes
    zaxis = ax.zaxis.get_tightbbox(renderer)  # the z ticks drawn, with their labels
    assert zaxis.x1 < bar.get_window_extent(renderer).x0
