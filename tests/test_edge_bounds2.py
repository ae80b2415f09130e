"""Bounded on every input, the second pass: commands that grew with n², with the length of an
explanation, or leaked numpy's warnings.

1. descend's end-point Hessian (classification, λmax at the start, the plateau test) is formed
   only for n ≤ symbolic.MAX_HESSIAN_VARIABLES; beyond, the end point is "unclassified", with a
   note. Measured, ``descend`` of a sum of 500 squares from all ones: 15.7 s and 550 MB before
   (table), 1.8 s and 86 MB after; 1,000 squares 2.9 s. The kink probe samples at most
   KINK_AXES axes per run and KINK_ELEMENTS coordinates in all (a sum of 500 |x_i| that bounces:
   1.1 GB before, 170 MB after).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.symbolic import MAX_HESSIAN_VARIABLES

runner = CliRunner()


def squares(n: int) -> str:
    return "+".join(f"x{i}**2" for i in range(n))


def ones(n: int, value: str = "1") -> str:
    return ",".join([value] * n)


# --- 1. descend's end point beyond MAX_HESSIAN_VARIABLES ----------------------------------------
BIG = MAX_HESSIAN_VARIABLES + 1


def test_descend_beyond_the_hessian_limit_says_unclassified_in_json() -> None:
    result = runner.invoke(app, ["descend", squares(BIG), "--from", ones(BIG), "--format", "json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["runs"]
    assert run["status"] == "converged"
    assert run["classification"] == "unclassified"
    assert run["eigenvalues"] is None
    assert run["notes"] == [
        "converged; the end point was not classified: the Hessian test is limited to "
        f"{MAX_HESSIAN_VARIABLES} variables and f has {BIG}"
    ]


def test_descend_summary_rows_say_unclassified() -> None:
    args = ["descend", squares(BIG), "--from", ones(BIG), "--from", ones(BIG, "0"), "--summary"]
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["classification"] for r in rows] == ["unclassified", "unclassified"]
    result = runner.invoke(app, [*args, "--format", "ndjson"])
    kinds = [json.loads(line)["classification"] for line in result.stdout.splitlines()]
    assert kinds == ["unclassified", "unclassified"]


def test_descend_beyond_the_limit_never_forms_the_hessian() -> None:
    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import Settings, descend

    compiled = compile_function(parse(squares(BIG)))
    # a run that converges, and a plain-gd run that overshoots (λmax at the start is asked for)
    runs = descend(compiled, [np.ones(BIG)], [Settings(lr=0.1), Settings(lr=1.05, steps=5)])
    assert [r.classification for r in runs] == ["unclassified", None]
    assert "hessian_exprs" not in compiled.__dict__  # a cached_property never computed


def test_descend_at_the_limit_still_classifies() -> None:
    # the limit is MAX_HESSIAN_VARIABLES itself, as grad's: a small function is unaffected
    result = runner.invoke(app, ["descend", "x**2 - y**2 + z**2", "--from", "1,0,1"])
    assert result.exit_code == 0
    assert "unclassified" not in result.stdout and "saddle" in result.stdout


class _Recording:
    """A Compiled that records the shape of every batch of points it is asked about."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.fn, self.n, self.shapes = inner, inner.fn, inner.n, []

    def gradient(self, points: Any) -> Any:
        self.shapes.append(np.shape(points))
        return self.inner.gradient(points)

    def value(self, points: Any) -> Any:
        self.shapes.append(np.shape(points))
        return self.inner.value(points)


def test_kink_probe_samples_a_bounded_number_of_axes() -> None:
    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import Settings, iter_descent
    from gradcli.optimize import notes as core_notes

    n = 100
    compiled = compile_function(parse("+".join(f"abs(x{i})" for i in range(n))))
    descent = iter_descent(compiled, [np.full(n, 1.1)], [Settings(lr=0.3, steps=12)])
    descent.drain()
    runs = descent.runs(annotate=False)
    recording = _Recording(compiled)
    assert core_notes._at_kink(recording, runs) == {0}  # it bounces across the kinks at 0
    biggest = max(int(np.prod(s)) for s in recording.shapes)
    # before: all n axes, (n + 1) × 129 × n = 1.3 million coordinates for one run
    assert biggest <= (core_notes.KINK_AXES + 1) * 129 * n


def test_plateau_probe_chunks_by_coordinates(monkeypatch: Any) -> None:
    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import Settings, descend
    from gradcli.optimize import notes as core_notes

    n, chunk = 50, 8
    # a probe array of 8 runs × 5 radii × 50 coordinates (the real bound is 2^20 coordinates)
    monkeypatch.setattr(core_notes, "PROBE_ELEMENTS", chunk * len(core_notes.PLATEAU_RADII) * n)
    compiled = compile_function(parse("+".join(f"x{i}" for i in range(n))))
    runs = descend(compiled, np.zeros((40, n)), [Settings(steps=1)], notes=False)
    recording = _Recording(compiled)
    core_notes._lower_along(recording, runs)
    assert max(s[0] for s in recording.shapes) == chunk  # before: all 40 runs at once


def test_grad_check_compiles_f_once(monkeypatch: Any) -> None:
    # grad --check differences f along each variable: f compiled once, not n times (a sum of
    # 1,000 squares: over two minutes before, 3.3 s after)
    import gradcli.symbolic as symbolic

    real, compiled = symbolic.lambdify, []

    def counting(variables: Any, exprs: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(exprs)
        return real(variables, exprs, *args, **kwargs)

    monkeypatch.setattr(symbolic, "lambdify", counting)
    n = 30
    f = squares(n) + "+x0*x1*x2"  # a function of its own, so no cache holds it already
    result = runner.invoke(app, ["grad", f, "--at", ones(n), "--check", "--format", "json"])
    assert result.exit_code == 0, result.output
    (point,) = json.loads(result.stdout)["points"]
    assert len(point["check"]) == n
    whole = [e for e in compiled if isinstance(e, list) and len(e) == 1 and len(e[0].args) > n]
    assert len(whole) == 1


# --- 2. grad --explain: the first partials, a shared time bound, long sums, many points ------
def test_grad_explain_explains_the_first_partials_and_names_the_rest() -> None:
    from gradcli.calculus.explain import EXPLAIN_PARTIALS

    n = EXPLAIN_PARTIALS + 5
    result = runner.invoke(app, ["grad", squares(n), "--explain", "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record["explanation"]) == [f"x{i}" for i in range(EXPLAIN_PARTIALS)]
    left = record["explanation_left_out"]
    assert left["variables"] == [f"x{i}" for i in range(EXPLAIN_PARTIALS, n)]
    assert left["reason"] == "count"
    table = runner.invoke(app, ["grad", squares(n), "--explain"]).stdout
    assert table.count("step by step") == EXPLAIN_PARTIALS
    assert f"5 more partials (∂f/∂x{EXPLAIN_PARTIALS} … ∂f/∂x{n - 1}) not explained" in table


def test_grad_explain_of_a_few_variables_explains_them_all() -> None:
    result = runner.invoke(app, ["grad", "x**2*y + z", "--explain", "--format", "json"])
    record = json.loads(result.stdout)
    assert list(record["explanation"]) == ["x", "y", "z"]
    assert "explanation_left_out" not in record


def test_grad_explain_shares_one_time_bound(monkeypatch: Any) -> None:
    import gradcli.calculus.explain as explain

    # no time at all: the first partial is still explained (shortened), the rest named
    monkeypatch.setattr(explain, "GRADIENT_EXPLAIN_SECONDS", 0.0)
    result = runner.invoke(app, ["grad", "x**2*y + z", "--explain", "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record["explanation"]) == ["x"]
    assert record["explanation_left_out"]["variables"] == ["y", "z"]
    assert record["explanation_left_out"]["reason"] == "time"


def test_long_sum_states_its_constant_terms_in_one_step() -> None:
    # before: one step per term (30 steps here; a 1,000-term sum was cut at 200 steps instead)
    result = runner.invoke(app, ["partial", squares(30), "--wrt", "x7", "--explain", "-f", "json"])
    steps = json.loads(result.stdout)["explanation"]["x7"]
    assert [s["rule"] for s in steps] == ["sum", "power", "constant", "combine"]
    assert steps[0]["text"].endswith("= ∂/∂x7 (x7²) + ∂/∂x7 (the other 29 terms)")
    assert steps[2]["text"].startswith("The other 29 terms (x0², x1², …, x9²) do not hold x7")
    assert steps[-1]["result"] == "2*x7"


def test_short_sums_keep_a_step_per_term() -> None:
    result = runner.invoke(
        app, ["partial", "x**2 + y**2 + z", "--wrt", "x", "--explain", "-f", "json"]
    )
    steps = json.loads(result.stdout)["explanation"]["x"]
    assert [s["rule"] for s in steps] == ["sum", "power", "constant", "constant", "combine"]


def test_explanation_substitutes_at_the_first_points_only() -> None:
    from gradcli.calculus.explain import EXPLAIN_POINTS

    points = "\n".join(f"{i},1" for i in range(EXPLAIN_POINTS + 3)) + "\n"
    args = ["partial", "x**2*y", "--wrt", "x", "--explain", "--at", "-", "--format", "json"]
    result = runner.invoke(app, args, input=points)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert len(record["points"]) == EXPLAIN_POINTS + 3  # every point still answered
    rules = [s["rule"] for s in record["explanation"]["x"]]
    assert rules.count("substitute") == EXPLAIN_POINTS
    assert rules[-1] == "more_points"
    assert record["explanation"]["x"][-1]["text"].startswith("At 3 more points the same way")


# --- 3. numpy's floating-point warnings never reach stderr ------------------------------------
# Each command runs with numpy's default error state (warn on overflow, 0/0, x/0), every Python
# warning recorded: before, a descent of several lanes leaked "RuntimeWarning: overflow
# encountered in exp" — one lane's np.errstate, held across its yields, was undone by another's
# ending (numpy keeps it in a context variable) — and left "ignore" behind for the process.
OVERFLOWING = ["exp(x**2)", "cosh(10*x)", "x**50", "1/x", "log(x)", "tan(x)", "exp(exp(x))"]
OVERFLOWING_2D = ["exp(x*y)", "x**50+y**50", "1/(x*y)", "log(x**2+y**2)", "exp(exp(x+y))"]
DEFAULT_ERRSTATE = {"divide": "warn", "over": "warn", "invalid": "warn", "under": "ignore"}


def _quiet(args: list[str]) -> None:
    """Run ``args``: nothing but gradcli's own lines on stderr, no warning raised, and numpy's
    error state as it was."""
    import warnings

    with warnings.catch_warnings(record=True) as caught, np.errstate(**DEFAULT_ERRSTATE):
        warnings.simplefilter("always")
        result = runner.invoke(app, args)
        after = np.geterr()
    assert not result.exception or isinstance(result.exception, SystemExit), result.exception
    assert [str(w.message) for w in caught] == [], args
    stray = [line for line in result.stderr.splitlines() if not line.startswith("gradcli")]
    assert stray == [], args
    assert after == DEFAULT_ERRSTATE, args


def _descents(f: str, starts: list[str]) -> list[list[str]]:
    knobs = [
        ["--lr", "1"],
        ["--lr", "1", "--method", "gd,momentum,adam"],
        ["--method", "newton"],
        ["--method", "bfgs,lbfgs,cg"],
        ["--line-search", "--lr", "2"],
        ["--noise", "0.5", "--seed", "1", "--lr", "1"],
        ["--clip-norm", "1", "--lr", "1"],
    ]
    froms = [arg for s in starts for arg in ("--from", s)]
    return [["descend", f, *froms, *k, "--steps", "40", "--format", "csv"] for k in knobs]


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_descend_keeps_numpy_warnings_off_stderr() -> None:
    for f in OVERFLOWING[:4]:
        for args in _descents(f, ["3", "0.1"]) + _descents(f, ["3", "0.1", "-2", "5", "8"])[:2]:
            _quiet(args)
    for f in OVERFLOWING_2D[:2]:
        for args in _descents(f, ["2,2", "0.1,-0.1"])[:2]:
            _quiet(args)
        _quiet(["descend", f, "--from", "2,2", "--subject-to", "x^2+y^2=4", "--lr", "3"])
        _quiet(["descend", f, "--from", "2,2", "--bounds", "-3:3", "--lr", "3", "-f", "json"])
        _quiet(["descend", f, "--from", "2,2", "--from", "1,1", "--summary", "-f", "csv"])


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_the_other_commands_keep_numpy_warnings_off_stderr() -> None:
    for f in OVERFLOWING[::2]:
        _quiet(["grad", f, "--at", "3", "--check", "--format", "json"])
        _quiet(["partial", f, "--wrt", "x", "--at", "0", "--check", "--format", "json"])
    for f in ("exp(x**2)", "1/x", "tan(x)"):  # (level of cosh(10x) takes seconds: its branches)
        _quiet(["level", f, "--at", "2", "--format", "json"])
    for f in OVERFLOWING_2D[1:4]:
        _quiet(["critical", f, "--format", "json"])
        _quiet(["grad", f, "--at", "1e300,1", "--hessian", "--check", "--format", "json"])
    # the Lagrange search's roots with a huge λ: ‖z‖ overflowed in numpy's norm
    _quiet(["critical", "exp(exp(x*y))", "--subject-to", "x+y=1", "--format", "json"])


def test_lengths_do_not_overflow() -> None:
    from gradcli.calculus.critical_search import distinct, lengths

    rows = np.array([[1e200, 0.0], [3.0, 4.0]])
    with np.errstate(all="raise"):
        assert lengths(rows).tolist() == [1e200, 5.0]
        # before, ‖(0, 1e200)‖ was ∞, so every other point counted as a duplicate of it
        kept = distinct(np.array([[0.0, 1e200], [1.0, 2.0]]))
    assert len(kept) == 2


# --- 4. the text picture: f past the open ends of the bands has glyphs of its own -------------
def _picture(cells: list[list[tuple[str, str]]], over: bool = True) -> Any:
    """A TerminalPicture whose cells are (top pixel, bottom pixel) colours."""
    from gradcli.plotting.terminal import ColourScale, TerminalPicture

    pixels = np.array(
        [
            [[int(c[k][i : i + 2], 16) for i in (1, 3, 5)] for c in row]
            for row in cells
            for k in (0, 1)
        ],
        dtype=np.uint8,
    )
    scale = ColourScale(
        ("#48186a", "#1fa088", "#d8e219"), -4.0, 4.0, False, "#440154", "#fde725" if over else None
    )
    return TerminalPicture(pixels, "contour", "x", (-1, 1), "y", (-1, 1), scale, [])


def test_text_cells_past_the_top_level_are_not_overlays() -> None:
    from gradcli.views import terminal as view

    band, top, over, under, red = "#48186a", "#d8e219", "#fde725", "#440154", "#e41a1c"
    pic = _picture(
        [[(band, band), (top, top), (over, over), (under, under), (red, red), (over, under)]]
    )
    glyphs = [g for g, _ in view._shades(pic, view.Screen(60, 20, False, False))[0]]
    # before: the over and under cells were the nearest band's shade, the pole (over above
    # under) 'o' — the glyph the legend gives the overlays
    assert glyphs == [" ", "@", view.OVER, view.UNDER, "o", view.OVER]


def test_text_legend_names_the_open_ends() -> None:
    from gradcli.views import terminal as view

    screen = view.Screen(80, 24, False, False)
    scale = _picture([[("#48186a", "#48186a")]]).scale
    frame = view.frame_text("f", (-1, 1), "y", [], scale, [], screen, "text", arrows=None,
                            runs=False, points=False)  # fmt: skip
    footer = "\n".join(t.plain for t in frame.footer)
    assert f"{view.OVER} f above 4" in footer and f"{view.UNDER} f below -4" in footer
    closed = _picture([[("#48186a", "#48186a")]], over=False).scale
    frame = view.frame_text("f", (-1, 1), "y", [], closed, [], screen, "text", arrows=None,
                            runs=False, points=False)  # fmt: skip
    assert "above" not in "\n".join(t.plain for t in frame.footer)


def test_plot_in_text_cells_marks_a_pole_with_the_over_glyph() -> None:
    env = {"NO_COLOR": "1", "COLUMNS": "60", "LINES": "30"}
    result = runner.invoke(app, ["plot", "tan(x*y)", "--term", "text", "--arrows", "0"], env=env)
    assert result.exit_code == 0, result.output
    picture = result.stdout.splitlines()[1:-4]
    assert any("&" in line for line in picture)
    assert "& f above 4" in result.stdout
