"""Issue 13, `critical` and the default `plot` doing only the work their answer needs: the exact roots
refined once by Newton (not by sympy's rational bisection), the figure laid out without being painted
twice, the framing search stopping when every start has settled, PNGs at zlib's fastest level — each
with the same answer or the same pixels as before. Nothing here is timed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy
from PIL import Image
from typer.testing import CliRunner

from gradcli.calculus import critical_exact
from gradcli.calculus.critical import critical_points
from gradcli.cli import app
from gradcli.expr import parse

runner = CliRunner()
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"

# `critical HIMMELBLAU --format json` before this change (commit 8e40cf9): the points' floats, and the
# SHA-256 of the whole output, which must not move by a byte.
HIMMELBLAU_POINTS = [
    (-3.779310253377747, -3.2831859912861696),
    (-3.0730257507643897, -0.08135304428796751),
    (-2.805118086952745, 3.131312518250573),
    (-0.2708445906673476, -0.9230385564799815),
    (-0.12796134673068008, -1.9537149802445763),
    (0.08667750455539636, 2.8842547011747763),
    (3.0, 2.0),
    (3.385154183607021, 0.07385187983774928),
    (3.5844283403304917, -1.8481265269644036),
]
HIMMELBLAU_JSON_SHA256 = "e320b8742842dea50d4511da57bef29a4447c7ed5baed78e93c92454a11ae07c"


def test_himmelblau_json_is_byte_identical_to_before() -> None:
    result = runner.invoke(app, ["critical", HIMMELBLAU, "--format", "json"])
    assert result.exit_code == 0, result.output
    points = [(p["at"]["x"], p["at"]["y"]) for p in json.loads(result.output)["points"]]
    assert points == HIMMELBLAU_POINTS
    assert hashlib.sha256(result.output.encode()).hexdigest() == HIMMELBLAU_JSON_SHA256


def test_elimination_never_asks_sympy_to_evaluate_a_crootof(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """sympy's CRootOf.evalf bisects in rational arithmetic: it was most of the work."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("CRootOf evaluated by sympy")

    monkeypatch.setattr(sympy.CRootOf, "_eval_evalf", refuse)
    fn = parse(HIMMELBLAU)
    result = critical_points(fn)
    assert result.method == "elimination" and result.complete
    assert [p.values for p in result.points] == HIMMELBLAU_POINTS


@pytest.mark.parametrize(
    "poly",
    [
        "x**3 + 3*x**2 - 13*x - 38",
        "32*x**5 - 336*x**3 - 104*x**2 + 1",
        "x**2 - 2",
        "x**5 - 1000*x + 1",  # a root at 1e-3 and two at ±5.6
        "10**12*x**2 - 2*10**12*x + 10**12 - 1",  # roots 1 ± 1e-6
    ],
)
def test_each_real_root_is_right_to_fifty_digits_and_its_float_is_sympys(poly: str) -> None:
    x = sympy.Symbol("x", real=True)
    for root in sympy.Poly(sympy.sympify(poly, locals={"x": x}), x).real_roots():
        value = critical_exact._digits(root)
        with mpmath.workdps(70):
            truth = mpmath.mpf(str(root.evalf(65)))
            assert abs(value - truth) <= mpmath.mpf(10) ** -48 * max(1, abs(truth))
        # the float a point gets is the one sympy's N(root, 17) gives, as before
        assert critical_exact._float(value) == complex(sympy.N(root, 17)).real


def test_newton_in_a_bracket_without_a_sign_change_says_so() -> None:
    # x² + 1 has no real root in [0, 1]: no sign change, so no answer (the caller falls back)
    assert critical_exact._newton_in([1, 0, 1], sympy.Integer(0), sympy.Integer(1)) is None


def test_the_exact_outcome_carries_the_points_floats_in_order() -> None:
    x, y = sympy.symbols("x y", real=True)
    grad = [4 * x**3 - 4 * x, 2 * y]  # x⁴ − 2x² + y²: minima at (±1, 0), saddle at the origin
    outcome = critical_exact.solve_exact(grad, [x, y], [(-5.0, 5.0), (-5.0, 5.0)])
    assert outcome.method == "elimination" and outcome.complete
    assert len(outcome.values) == len(outcome.points)
    for exact, floats in zip(outcome.points, outcome.values):
        assert floats == tuple(float(c) for c in exact)


# --- plot -------------------------------------------------------------------------------------------
@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_building_a_figure_paints_no_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fit-to-frame passes only measure; savefig paints once (before: two full renders)."""
    from matplotlib.backends.backend_agg import RendererAgg

    from gradcli.plotting import PlotOptions, plot_function

    painted: list[int] = []
    original = RendererAgg.draw_path

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        painted.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(RendererAgg, "draw_path", counting)
    fn = parse("x**2+y**2")
    plot = plot_function(fn, options=PlotOptions(dpi=40, grid=21, arrows=5))
    assert painted == []
    # and the layout was run: the title sits inside the frame
    renderer = plot.figure.canvas.get_renderer()
    title = plot.figure.axes[0].title.get_window_extent(renderer)
    assert title.y1 <= plot.figure.bbox.y1
    plot.figure.canvas.draw()  # the counter sees a real paint
    assert painted


def test_the_framing_search_stops_when_every_start_has_settled() -> None:
    from gradcli.plotting import grid

    calls: list[int] = []

    def gradient(points: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        calls.append(1)
        return 2 * points  # x² + y²: Newton lands on the origin in one step

    found = grid.stationary_points(gradient, 2)
    assert found.tolist() == [[0.0, 0.0]]
    assert len(calls) < 20  # 40 iterations of 5 evaluations before


def test_the_framing_search_still_reaches_a_slow_degenerate_minimum() -> None:
    from gradcli.plotting import grid

    found = grid.stationary_points(lambda p: 4 * p**3, 2)  # x⁴ + y⁴: linear convergence
    assert found.shape == (1, 2) and np.all(np.abs(found) < 1e-3)


def test_pngs_are_written_at_zlibs_fastest_level(tmp_path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gradcli.plotting import write_figure
    from gradcli.plotting.output import PNG_COMPRESSION

    fig = Figure(figsize=(1, 1), dpi=50)
    FigureCanvasAgg(fig)
    fig.add_subplot().plot([0, 1], [1, 0])
    out = tmp_path / "line.png"
    write_figure(fig, out)
    data = out.read_bytes()
    start = data.index(b"IDAT") + 4
    # the zlib header's FLEVEL bits: 0 is the fastest level (1), 2 the default (6)
    assert PNG_COMPRESSION == 1 and data[start] == 0x78 and data[start + 1] >> 6 == 0
    with Image.open(out) as image:  # and a PNG that reads back
        assert image.size == (50, 50)


# --- benchmarks -------------------------------------------------------------------------------------
def test_benchmark_runs_gradcli_from_inside_the_tree_it_times(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`python -m gradcli` puts the working directory ahead of PYTHONPATH: --tree must set cwd."""
    import importlib.util
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("bench_run_cwd", root / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    seen: dict[str, Any] = {}

    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        seen.update(kwargs)
        return subprocess.CompletedProcess(cmd, 0, b"", b"")

    monkeypatch.setattr(module.subprocess, "run", fake_run)
    tree = tmp_path / "other-checkout"
    tree.mkdir()
    runner_ = module.Runner(tree, tmp_path)
    runner_.run(["python", "-m", "gradcli", "--help"], None, runner_.env(None, False))
    assert Path(seen["cwd"]) == tree
    assert seen["env"]["PYTHONPATH"] == str(tree)
