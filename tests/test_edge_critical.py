"""Issue 10, `critical`: stationary points that are really there, found in bounded time and memory.

Reference points were computed independently with scipy.optimize.root from an 81×81 grid of starts
on [-5, 5]² (gradients and Hessians from sympy, not gradcli), classified by the Hessian's eigenvalues,
and are recorded here so the tests run without scipy.
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.calculus import critical as critical_module
from gradcli.calculus.critical import critical_points
from gradcli.calculus.critical_exact import ExactOutcome
from gradcli.calculus.critical_search import MAX_STARTS, search, starts
from gradcli.cli import app
from gradcli.expr import parse
from gradcli.limits import work_clock
from gradcli.numeric import compile_function
from gradcli.views.critical import critical_document
from gradcli.views.render import render

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "100"}

Reference = list[tuple[tuple[float, float], str]]

HIMMELBLAU: Reference = [
    ((-3.779310253378, -3.283185991286), "minimum"),
    ((-3.073025750764, -0.081353044287), "saddle"),
    ((-2.805118086953, 3.131312518251), "minimum"),
    ((-0.270844590667, -0.923038556480), "maximum"),
    ((-0.127961346731, -1.953714980243), "saddle"),
    ((0.086677504556, 2.884254701174), "saddle"),
    ((3.000000000000, 2.000000000000), "minimum"),
    ((3.385154183607, 0.073851879838), "saddle"),
    ((3.584428340330, -1.848126526964), "minimum"),
]
CAMEL: Reference = [
    ((-1.703606714970, 0.796083568672), "minimum"),
    ((-1.638067984190, -0.228674069044), "saddle"),
    ((-1.607104752920, -0.568651454884), "minimum"),
    ((-1.296070267167, -0.605084388039), "saddle"),
    ((-1.230229876517, -0.162334584459), "maximum"),
    ((-1.109205336806, 0.768268092506), "saddle"),
    ((-0.089842013097, 0.712656403021), "minimum"),
    ((0.000000000000, 0.000000000000), "saddle"),
    ((0.089842013104, -0.712656403021), "minimum"),
    ((1.109205336805, -0.768268092510), "saddle"),
    ((1.230229876517, 0.162334584459), "maximum"),
    ((1.296070267167, 0.605084388039), "saddle"),
    ((1.607104752920, 0.568651454884), "minimum"),
    ((1.638067984188, 0.228674069044), "saddle"),
    ((1.703606714970, -0.796083568673), "minimum"),
]
R = 1 / math.sqrt(2)
XY_GAUSSIAN: Reference = [
    ((-R, -R), "maximum"),
    ((-R, R), "minimum"),
    ((0.0, 0.0), "saddle"),
    ((R, -R), "minimum"),
    ((R, R), "maximum"),
]
# x*y*exp(-x²-y²) + exp(-(x-1)²-y²)/10: no exact method applies, so the numeric search answers.
GAUSSIAN_MIX: Reference = [
    ((-0.721781627607, 0.713148796043), "minimum"),
    ((-0.691163393155, -0.700458616113), "maximum"),
    ((-0.005384577427, -0.073183964528), "saddle"),
    ((0.665713231348, -0.819425730942), "minimum"),
    ((0.753397973978, 0.605471878972), "maximum"),
]


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def critical_json(*args: str) -> dict[str, Any]:
    result = run("critical", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def found(doc: dict[str, Any]) -> Reference:
    return sorted((tuple(p["at"].values()), p["classification"]) for p in doc["points"])  # type: ignore[misc]


def assert_matches(doc: dict[str, Any], reference: Reference, tol: float = 1e-8) -> None:
    got = found(doc)
    assert len(got) == len(reference), got
    for (point, kind), (want, want_kind) in zip(got, reference):
        assert point == pytest.approx(want, abs=tol)
        assert kind == want_kind


# --- stationary points that are really there ------------------------------------------------------
def test_the_product_of_x_y_and_a_gaussian_has_its_five_points_not_507() -> None:
    doc = critical_json("x*y*exp(-x**2-y**2)")
    assert_matches(doc, XY_GAUSSIAN)
    assert doc["complete"] is True  # the exp factor never vanishes: a polynomial system remains
    assert doc["points"][2]["exact"]["at"] == ["0", "0"]


def test_the_plateau_preset_has_one_minimum_and_no_saddles() -> None:
    doc = critical_json("@plateau")
    assert found(doc) == [((0.0, 0.0), "minimum")]
    assert doc["complete"] is True


def test_a_gaussian_has_one_maximum_not_713_points() -> None:
    doc = critical_json("exp(-x**2-y**2)")
    assert found(doc) == [((0.0, 0.0), "maximum")]


@pytest.mark.slow
def test_the_numeric_search_rejects_flat_tails_and_says_how_many() -> None:
    # No exact method applies here: every point comes from Newton, and the far tails, where
    # ‖∇f‖ < 1e-8 over most of the box, must not be taken for stationary points.
    f = "x*y*exp(-x**2-y**2) + exp(-(x-1)**2-y**2)/10"
    result = critical_points(parse(f))  # once: the JSON and the table are two views of it
    doc = critical_document(result).record
    doc = json.loads(json.dumps(doc, default=str))
    assert_matches(doc, GAUSSIAN_MIX, tol=1e-9)
    assert doc["complete"] is False
    assert doc["search"]["rejected"] > 1000 and doc["rejected"] == doc["search"]["rejected"]
    table = io.StringIO()
    render(critical_document(result), "table", table)
    assert "rejected (Newton did not converge" in table.getvalue()
    assert "possibly incomplete" in table.getvalue()


def test_newton_acceptance_does_not_depend_on_the_scale_of_f() -> None:
    fn = parse("exp(-x**2-y**2)")
    for scale in ("1", "1e-30", "1e30"):
        scaled = parse(f"{scale}*exp(-x**2-y**2)")
        outcome = search(compile_function(scaled), [(-5, 5), (-5, 5)], work_clock() + 30)
        assert outcome.points.tolist() == [[0.0, 0.0]], scale
        assert outcome.summary.rejected > 0
    assert fn.names == ("x", "y")


def test_a_degenerate_isolated_point_is_still_found_numerically() -> None:
    # Newton converges only linearly to x = 0 of x⁴; the point is real and must not be rejected.
    box = [(-5.0, 5.0), (-5.0, 5.0)]
    outcome = search(compile_function(parse("x**4 + y**2")), box, work_clock() + 30)
    assert outcome.points.tolist() == [[0.0, 0.0]]


def test_sin_sin_lists_its_13_points_inside_the_range_and_no_others() -> None:
    doc = critical_json("sin(x)*sin(y)", "--range", "-4:4")
    pi = math.pi
    expected = sorted(
        [((a, b), "saddle") for a in (-pi, 0.0, pi) for b in (-pi, 0.0, pi)]
        + [
            ((a, b), "maximum" if a == b else "minimum")
            for a in (-pi / 2, pi / 2)
            for b in (-pi / 2, pi / 2)
        ]
    )
    assert_matches(doc, expected, tol=1e-12)
    assert doc["complete"] is True and doc["scope"] == "range" and doc["periodic"] is True
    table = run("critical", "sin(x)*sin(y)", "--range", "-4:4").stdout
    assert "complete within [-4, 4]²" in table
    assert "repeat periodically" in table


def test_range_is_respected_for_exact_solutions_too() -> None:
    doc = critical_json("x**3 - 3*x + y**2", "--range", "0:2")
    assert found(doc) == [((1.0, 0.0), "minimum")]
    assert doc["outside"] == 1
    table = run("critical", "x**3 - 3*x + y**2", "--range", "0:2").stdout
    assert "1 more stationary point outside the range is not listed" in table


def test_x2_y2_is_two_curves_said_once_without_rows_of_points() -> None:
    doc = critical_json("x^2 y^2")
    assert doc["points"] == []
    assert [f["equations"] for f in doc["families"]] == [["x"], ["y"]]
    assert all(f["dimension"] == 1 for f in doc["families"])
    assert doc["complete"] is True
    table = run("critical", "x^2 y^2").stdout
    assert table.count("curves of stationary points: x = 0; y = 0") == 1
    assert "numeric" not in table


def test_a_curve_found_only_numerically_is_also_said_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Take the exact solver away: the numeric search meets the lines x = 0 and y = 0 and must
    # report a continuum, not 114 degenerate rows.
    monkeypatch.setattr(critical_module, "solve_exact", lambda *a: ExactOutcome(gave_up="form"))
    result = critical_points(parse("x^2 y^2"))
    assert result.points == []
    (curve,) = result.families
    assert curve.through is not None and curve.found > 50


def test_himmelblau_is_solved_completely_by_elimination() -> None:
    doc = critical_json("(x**2+y-11)**2+(x+y**2-7)**2")
    assert_matches(doc, HIMMELBLAU)
    assert doc["complete"] is True and doc["method"] == "elimination"
    assert doc["search"] is None  # nothing left to search for


def test_the_six_hump_camel_has_15_stationary_points_complete() -> None:
    doc = critical_json("(4-2.1*x**2+x**4/3)*x**2+x*y+(-4+4*y**2)*y**2")
    assert_matches(doc, CAMEL)
    assert doc["complete"] is True and doc["method"] == "elimination"


def test_elimination_finds_points_outside_the_default_search_box() -> None:
    doc = critical_json("x**3 - 300*x + y**2")
    assert found(doc) == [((-10.0, 0.0), "saddle"), ((10.0, 0.0), "minimum")]
    assert doc["complete"] is True and doc["scope"] == "everywhere"


def test_a_function_without_stationary_points_is_complete_and_says_so() -> None:
    result = run("critical", "exp(x) + y**2")
    assert result.exit_code == 0, result.output
    assert "no stationary points" in result.stdout
    assert "complete: f has no other stationary points" in result.stdout


def test_the_json_keeps_the_contract_keys() -> None:
    doc = critical_json("x**3 - 3*x + y**2")
    assert {"function", "variables", "points"} <= set(doc)
    for p in doc["points"]:
        assert {"at", "value", "classification", "eigenvalues"} <= set(p)


def test_a_kink_does_not_crash_critical() -> None:
    result = run("critical", "abs(x) + y**2")
    assert result.exit_code == 0, result.output
    assert "(0, 0)" in result.stdout


# --- bounded ---------------------------------------------------------------------------------------
def test_a_constant_answers_that_every_point_is_stationary() -> None:
    result = run("critical", "5", "--vars", "x,y")
    assert result.exit_code == 0, result.output
    assert "every point is a stationary point" in result.stdout


@pytest.mark.parametrize("n", [12, 15, 25])
def test_a_sum_of_squares_in_many_variables_is_one_minimum(n: int) -> None:
    f = "+".join(f"(x{i}-{i})**2" for i in range(1, n + 1))
    doc = critical_json(f)
    ((point, kind),) = found(doc)
    assert point == tuple(float(i) for i in range(1, n + 1)) and kind == "minimum"
    assert doc["complete"] is True


def test_too_many_variables_is_refused_in_one_line() -> None:
    result = run("critical", "+".join(f"x{i}**2" for i in range(1, 42)))
    assert result.exit_code == 2
    assert "at most 40 variables" in result.output


def test_the_starts_do_not_grow_exponentially_and_are_deterministic() -> None:
    for n in (3, 12, 25, 40):
        box = [(-5.0, 5.0)] * n
        points, design = starts(box)
        assert len(points) <= MAX_STARTS and design == "halton"
        assert len(points) * n * n <= 600_000  # the Hessians held at once stay small
        again, _ = starts(box)
        assert np.array_equal(points, again)
        assert np.all((points >= -5) & (points <= 5))
    grid, design = starts([(-5.0, 5.0)] * 2)
    assert design == "grid" and len(grid) <= MAX_STARTS


def test_a_hard_exact_solve_gives_up_and_says_why() -> None:
    # 3²⁵ stationary points: the factor-by-factor solve stops on size, the search stays bounded.
    doc = critical_json("+".join(f"cos(x{i})" for i in range(1, 26)))
    assert doc["gave_up"] == "size" and doc["complete"] is False
    assert doc["search"]["starts"] <= MAX_STARTS


# gradcli runs as the only child of this small reporter, which waits for it and writes its exit
# code, peak RSS and CPU seconds to a file. Measured directly from pytest, a child's ru_maxrss
# starts at pytest's own high-water mark (Linux carries it across vfork+exec), so late in a long
# run every child looked 400 MB big. CPU seconds, not wall time, so a busy machine changes nothing.
_REPORTER = """
import json, os, signal, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
signal.signal(signal.SIGINT, lambda signum, frame: child.send_signal(signum))
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as report:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024,
               usage.ru_utime + usage.ru_stime], report)
"""


def measured(
    args: list[str], interrupt_when: str | None = None
) -> tuple[int, str, str, float, float]:
    """Run ``gradcli args`` in a child: (exit code, stdout, stderr, its peak RSS in MB, its CPU
    seconds).

    With ``interrupt_when`` it gets SIGINT as soon as that text has appeared on its stderr — a
    sign of progress that holds on a busy machine, unlike a guessed delay.
    """
    with tempfile.TemporaryDirectory() as scratch, open(Path(scratch) / "out", "w+") as out:
        report = Path(scratch) / "report.json"
        proc = subprocess.Popen(
            [sys.executable, "-c", _REPORTER, str(report), sys.executable, "-m", "gradcli", *args],
            env=ENV,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        seen = ""
        while interrupt_when is not None and interrupt_when not in seen:
            line = proc.stderr.readline()
            if not line:
                break
            seen += line
        if interrupt_when is not None and interrupt_when in seen and proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # the reporter passes it on
        seen += proc.stderr.read()
        proc.wait()
        code, peak, cpu = json.loads(report.read_text())
        out.seek(0)
        return code, out.read(), seen, peak, cpu


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "wait4"), reason="the reporter uses POSIX wait4")
def test_a_hard_problem_in_many_variables_answers_in_seconds_and_little_memory() -> None:
    f = "+".join(f"sin(x{i}*x{i + 1}) + x{i}**4/10" for i in range(1, 25))
    code, out, err, peak, cpu = measured(["critical", f, "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["complete"] is False
    assert cpu < 30  # CPU seconds: ~5; minutes before
    assert peak < 400  # ~130 MB; 1.5 GB before


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "wait4"), reason="the reporter uses POSIX wait4")
def test_sigint_during_a_long_critical_ends_it_promptly_without_growing() -> None:
    # Rastrigin: the preset's echo on stderr says the command has parsed f; the solve and the
    # search after it take over a second of CPU more, so the signal lands while it is solving.
    code, out, err, peak, cpu = measured(["critical", "@rastrigin"], interrupt_when="@rastrigin =")
    assert "gradcli: interrupted" in err and "Traceback" not in err, (code, cpu, err, out[:300])
    # 130, or killed by SIGINT after the funnel said so (which a shell also reports as 130):
    # CPython re-raises SIGINT at exit when the interrupt landed inside exec'd code (lambdify).
    assert code in (130, -signal.SIGINT), err
    assert peak < 400
    assert cpu < 30  # it stopped soon after the interrupt, not at the end of the search


def test_exact_points_on_a_curve_are_not_listed_twice() -> None:
    result = critical_points(parse("(y - sin(x))**2"))
    assert result.points == []
    (curve,) = result.families
    assert [sympy.sstr(e) for e in curve.equations] == ["y - sin(x)"]


@pytest.mark.slow
def test_a_singular_hessian_with_a_nonzero_gradient_is_not_a_stationary_point() -> None:
    # McCormick's Hessian is singular on x + y = 0, where ∇f = (1.5, 1.5): a least-squares
    # Newton step is zero there and once passed (0.5, -0.5) off as a degenerate point.
    doc = critical_json("@mccormick")
    # Analytically: x - y = 1 and cos(x + y) = -1/2, so x + y = ±2π/3 + 2kπ.
    sums = [s + 2 * k * math.pi for s in (2 * math.pi / 3, -2 * math.pi / 3) for k in range(-3, 4)]
    expected = sorted(((u + 1) / 2, (u - 1) / 2) for u in sums)
    expected = [p for p in expected if all(abs(c) <= 5 for c in p)]
    got = [point for point, _ in found(doc)]
    assert len(got) == len(expected) == 6
    assert np.allclose(got, expected, rtol=0, atol=1e-9)
    assert "degenerate" not in {p["classification"] for p in doc["points"]}


def test_one_variable_polynomials_give_points_not_sets() -> None:
    doc = critical_json("x**3 - 3*x")
    assert [(p["at"]["x"], p["classification"]) for p in doc["points"]] == [
        (-1.0, "maximum"),
        (1.0, "minimum"),
    ]
    assert doc["families"] == [] and doc["complete"] is True


def test_three_variable_polynomial_systems_are_eliminated_completely() -> None:
    doc = critical_json("x**2 + y**2 + z**2 - x*y*z")
    points = sorted(tuple(p["at"].values()) for p in doc["points"])
    corners = [(a, b, a * b / 2) for a in (-2.0, 2.0) for b in (-2.0, 2.0)]
    assert points == sorted([(0.0, 0.0, 0.0), *corners])
    assert doc["complete"] is True and doc["method"] == "elimination"


def test_a_solution_where_the_gradient_is_undefined_is_not_a_stationary_point() -> None:
    # ∇atan2(y, x) = (−y, x)/(x² + y²): the numerators vanish only at the origin, where ∇f is 0/0.
    doc = critical_json("atan2(y, x)")
    assert doc["points"] == [] and doc["families"] == []


_LEAVES = st.sampled_from(["x", "y", "0", "1", "2.5", "pi", "-x", "x*y", "y**2"])
_EXPRS = st.recursive(
    _LEAVES,
    lambda c: (
        st.tuples(c, st.sampled_from(["+", "-", "*", "/", "^"]), c).map(
            lambda t: f"({t[0]}){t[1]}({t[2]})"
        )
        | st.tuples(st.sampled_from(["sin", "log", "sqrt", "exp", "abs", "cos", "relu"]), c).map(
            lambda t: f"{t[0]}({t[1]})"
        )
    ),
    max_leaves=5,
)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, derandomize=True)
@given(_EXPRS)
def test_fuzzed_critical_answers_or_refuses_cleanly(expr: str) -> None:
    result = run("critical", expr, "--vars", "x,y", "--format", "json")
    assert result.exit_code in (0, 1, 2), (expr, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.exit_code == 0:
        json.loads(result.stdout)
