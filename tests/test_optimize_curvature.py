"""newton, bfgs, lbfgs and cg: the curvature methods against scipy.optimize, their pieces (the strong
Wolfe search, the shifted Cholesky, the BFGS and CG updates) and the CLI around them.

The scipy numbers were recorded with scipy 1.17.1 (``minimize(fun, x0, jac=..., method=...)``,
gtol=1e-6; Newton-CG with its exact Hessian and xtol=1e-10, L-BFGS-B with ftol=1e-15, trust-exact
with gtol=1e-6), so the comparisons run without scipy; where scipy is installed, a live check
recomputes a few of them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from functools import cache

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.errors import UsageError
from gradcli.expr import parse
from gradcli.numeric import Compiled, compile_function
from gradcli.optimize import Descent, Settings, descend
from gradcli.optimize import settings as settings_module
from gradcli.optimize.conjugate import ConjugateGradient
from gradcli.optimize.curvature import CURVATURE_RUNS_MAX, check_runs
from gradcli.optimize.newton import shifted_cholesky
from gradcli.optimize.quasi_newton import BFGS, LBFGS
from gradcli.optimize.wolfe import strong_wolfe

runner = CliRunner()

ROSEN5 = "+".join(f"100*(x{i + 1}-x{i}**2)**2+(1-x{i})**2" for i in range(1, 5))
PROBLEMS = {
    "rosenbrock": ("(1-x)**2+100*(y-x**2)**2", (-1.2, 1.0)),
    "himmelblau": ("(x**2+y-11)**2+(x+y**2-7)**2", (0.0, 0.0)),
    "quadratic": ("x**2+10*y**2", (1.0, 1.0)),
    "beale": ("(1.5-x+x*y)**2+(2.25-x+x*y**2)**2+(2.625-x+x*y**3)**2", (1.0, 1.0)),
    "rosenbrock5": (ROSEN5, (-1.2, 1.0, -1.2, 1.0, -1.2)),
}
MINIMA = {
    "rosenbrock": (1.0, 1.0),
    "himmelblau": (3.0, 2.0),
    "quadratic": (0.0, 0.0),
    "beale": (3.0, 0.5),
    "rosenbrock5": (1.0,) * 5,
}
# scipy's iterations (nit) on each problem: the method gradcli's is compared with
SCIPY_METHOD = {"newton": "trust-exact", "bfgs": "BFGS", "lbfgs": "L-BFGS-B", "cg": "CG"}
SCIPY_NIT = {
    "rosenbrock": {"trust-exact": 25, "Newton-CG": 85, "BFGS": 33, "L-BFGS-B": 37, "CG": 37},
    "himmelblau": {"trust-exact": 8, "Newton-CG": 9, "BFGS": 11, "L-BFGS-B": 10, "CG": 10},
    "quadratic": {"trust-exact": 2, "Newton-CG": 3, "BFGS": 4, "L-BFGS-B": 5, "CG": 5},
    "beale": {"trust-exact": 8, "Newton-CG": 15, "BFGS": 15, "L-BFGS-B": 15, "CG": 19},
    "rosenbrock5": {"trust-exact": 30, "Newton-CG": 109, "BFGS": 50, "L-BFGS-B": 52, "CG": 115},
}
# gradcli's iterations on the same problems (tol 1e-6 on the 2-norm of ∇f), pinned. cg on the 5-D
# Rosenbrock is chaotic in the last bits: starts 1e-12 apart take 97 to 244 iterations, so its count
# moved (134 -> 171) when ∇f's numeric code began to share f's sums (symbolic, expand=False).
GRADCLI_NIT = {
    "rosenbrock": {"newton": 21, "bfgs": 34, "lbfgs": 35, "cg": 29},
    "himmelblau": {"newton": 5, "bfgs": 11, "lbfgs": 10, "cg": 11},
    "quadratic": {"newton": 1, "bfgs": 4, "lbfgs": 6, "cg": 5},
    "beale": {"newton": 7, "bfgs": 14, "lbfgs": 15, "cg": 21},
    "rosenbrock5": {"newton": 17, "bfgs": 44, "lbfgs": 56, "cg": 171},
}
# From a start where the Hessian is not positive definite, modified Newton may take another basin
# than scipy's trust region: these are minima too (the 5-D Rosenbrock's well-known local one).
OTHER_MINIMA = {
    ("himmelblau", "newton"): ((3.584428, -1.848126), 0.0),
    ("rosenbrock5", "newton"): ((-0.962051, 0.935739, 0.880714, 0.777878, 0.605094), 3.930839),
}


@cache
def compiled(name: str) -> Compiled:
    return compile_function(parse(PROBLEMS[name][0]))


@pytest.mark.parametrize("method", ["newton", "bfgs", "lbfgs", "cg"])
@pytest.mark.parametrize("name", list(PROBLEMS))
def test_same_minimum_as_scipy_in_iterations_of_the_same_order(name: str, method: str) -> None:
    run = descend(compiled(name), [PROBLEMS[name][1]], [Settings(method)])[0]
    assert run.status == "converged" and run.classification == "minimum"
    expected, value = OTHER_MINIMA.get((name, method), (MINIMA[name], 0.0))
    np.testing.assert_allclose(run.final_point, expected, atol=1e-5)
    assert run.final_value == pytest.approx(value, abs=1e-6)
    scipy_nit = SCIPY_NIT[name][SCIPY_METHOD[method]]
    assert run.iterations == GRADCLI_NIT[name][method]
    assert scipy_nit / 3 <= run.iterations <= 3 * scipy_nit


def test_newton_takes_fewer_steps_than_scipys_truncated_newton_cg() -> None:
    # Newton-CG solves for its step by CG and stops on the step length: exact Newton steps less
    for name, counts in GRADCLI_NIT.items():
        assert counts["newton"] <= SCIPY_NIT[name]["Newton-CG"]


def test_scipy_live_where_installed() -> None:
    optimize = pytest.importorskip("scipy.optimize")
    fn = compiled("rosenbrock")

    def f(x: np.ndarray) -> float:
        return float(fn.value(x))

    def jac(x: np.ndarray) -> np.ndarray:
        return fn.gradient(x)

    for method, name in (("BFGS", "bfgs"), ("CG", "cg")):
        result = optimize.minimize(f, [-1.2, 1.0], jac=jac, method=method, options={"gtol": 1e-6})
        assert result.nit == SCIPY_NIT["rosenbrock"][method]
        np.testing.assert_allclose(result.x, MINIMA["rosenbrock"], atol=1e-5)
        ours = descend(fn, [(-1.2, 1.0)], [Settings(name)])[0]
        assert result.nit / 3 <= ours.iterations <= 3 * result.nit


# --- the pieces ----------------------------------------------------------------------------------
def test_newton_lands_on_a_quadratics_minimum_in_one_step() -> None:
    run = descend(compiled("quadratic"), [(3.0, -2.0)], [Settings("newton")])[0]
    assert run.iterations == 1 and run.final_norm < 1e-12


def test_shifted_cholesky_follows_algorithm_3_3() -> None:
    lower, tau = shifted_cholesky(np.diag([2.0, 20.0]))  # type: ignore[misc]
    assert tau == 0.0 and np.allclose(lower @ lower.T, np.diag([2.0, 20.0]))
    lower, tau = shifted_cholesky(np.diag([-1.0, 2.0]))  # type: ignore[misc]
    assert tau == pytest.approx(1.001)  # −min aᵢᵢ + β
    # positive diagonal, indefinite matrix: τ = β, 2β, ... until it factors
    _, tau = shifted_cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))  # type: ignore[misc]
    assert 1.0 < tau <= 2.0 and math.log2(tau / 1e-3) % 1 == 0
    assert shifted_cholesky(np.array([[math.nan, 0.0], [0.0, 1.0]])) is None


def test_a_hessian_that_is_not_positive_definite_is_shifted_toward_the_minimum() -> None:
    # f = x⁴/4 − x²/2 + y²: a saddle at 0, minima at x = ±1. At (0.1, 1) ∇²f = diag(−0.97, 2): the
    # pure Newton step goes to x = −0.002, toward the saddle; the shifted one goes downhill.
    fn = compile_function(parse("x**4/4 - x**2/2 + y**2"))
    x = np.array([0.1, 1.0])
    pure = x - np.linalg.solve(fn.hessian(x), fn.gradient(x))
    assert abs(pure[0]) < 0.01
    run = descend(fn, [x], [Settings("newton")])[0]
    assert run.status == "converged" and run.classification == "minimum"
    np.testing.assert_allclose(run.final_point, (1.0, 0.0), atol=1e-6)


def test_strong_wolfe_conditions_hold_and_non_finite_trials_are_too_far() -> None:
    def evaluate(alpha: float) -> tuple[float, float, None]:
        if alpha > 3:  # outside the domain
            return math.nan, math.nan, None
        return (alpha - 2) ** 2, 2 * (alpha - 2), None

    phi0, slope0 = 4.0, -4.0
    for first in (0.01, 1.0, 2.5, 10.0):
        search = strong_wolfe(evaluate, phi0, slope0, first, 1e-4, 0.1)
        assert search.wolfe and search.trial is not None
        a = search.trial.alpha
        assert search.trial.phi <= phi0 + 1e-4 * a * slope0
        assert abs(search.trial.slope) <= 0.1 * abs(slope0)
    # φ'(0) < 0 only by rounding: φ rises at every α > 0
    rising = strong_wolfe(lambda a: (1.0 + a, 1.0, None), 1.0, -1e-12, 1.0, 1e-4, 0.9)
    assert rising.trial is None  # nothing lowers φ: the lane's cue to restart or stop


def exact_line_search_on_quadratic(method: BFGS | ConjugateGradient, a: np.ndarray) -> int:
    """Steps of ``method`` with exact line searches on ½xᵀAx from a fixed start, to ‖∇f‖ < 1e-10."""
    x = np.array([1.0, -2.0, 0.5])
    g = a @ x
    for k in range(10):
        if np.linalg.norm(g) < 1e-10:
            return k
        p = method.direction(x, g)
        alpha = -float(g @ p) / float(p @ a @ p)
        x_new = x + alpha * p
        g_new = a @ x_new
        method.accepted(x_new - x, g_new - g, g_new)
        x, g = x_new, g_new
    return 10


def test_bfgs_and_cg_end_on_a_quadratic_in_n_steps_with_exact_line_searches() -> None:
    a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    bfgs = BFGS(3)
    assert exact_line_search_on_quadratic(bfgs, a) <= 3
    np.testing.assert_allclose(bfgs.inverse, np.linalg.inv(a), atol=1e-8)  # hereditary: H = A⁻¹
    assert exact_line_search_on_quadratic(ConjugateGradient(), a) <= 3


def test_lbfgs_two_loop_equals_the_dense_update_from_the_same_start() -> None:
    rng = np.random.default_rng(3)
    pairs = []
    for _ in range(4):
        s = rng.normal(size=3)
        pairs.append((s, np.diag([1.0, 2.0, 5.0]) @ s))
    lbfgs = LBFGS()
    for s, y in pairs:
        lbfgs.accepted(s, y, y)
    s, y = pairs[-1]
    gamma = float(s @ y) / float(y @ y)
    dense = BFGS(3)
    dense.inverse = gamma * np.eye(3)  # the two-loop recursion's H₀
    for s, y in pairs:
        dense.accepted(s, y, y)
    g = rng.normal(size=3)
    np.testing.assert_allclose(lbfgs.direction(g, g), dense.direction(g, g), rtol=1e-10)


def test_ascent_climbs_to_the_maximum() -> None:
    fn = compile_function(parse("-(x**2+3*y**2)+x"))
    for method in ("newton", "bfgs"):
        run = descend(fn, [(1.0, 1.0)], [Settings(method, ascent=True)])[0]
        assert run.classification == "maximum"
        np.testing.assert_allclose(run.final_point, (0.5, 0.0), atol=1e-6)


def test_a_function_unbounded_below_diverges() -> None:
    run = descend(compile_function(parse("x**3")), [(1.0,)], [Settings("bfgs")])[0]
    assert run.status == "diverged"


def test_a_line_search_that_cannot_lower_f_ends_the_run_with_its_reason() -> None:
    run = descend(compiled("rosenbrock"), [(-1.2, 1.0)], [Settings("bfgs", tol=0)])[0]
    assert run.status == "max_steps" and run.iterations < 100
    assert "no direction lowers f" in run.reason or "no step along −∇f lowers f" in run.reason


def test_an_interrupted_run_reports_where_it_was() -> None:
    running = Descent(compiled("rosenbrock"), [(-1.2, 1.0)], [Settings("cg")])
    records = iter(running)
    for _ in range(3):
        next(records)
    (run,) = running.runs()
    assert run.status == "interrupted" and run.iterations == 2


# --- settings ------------------------------------------------------------------------------------
def test_curvature_settings_have_no_learning_rate() -> None:
    s = Settings("lbfgs", lr=0.05)
    assert s.lr == 1.0 and not s.uses_lr
    assert s.hyperparameters() == {"c1": 1e-4, "c2": 0.9, "memory": 10}
    assert Settings("cg").hyperparameters()["c2"] == 0.4
    assert Settings("bfgs", lr=0.1) == Settings("bfgs", lr=0.5)  # one run, whatever --lr says
    assert "strong-Wolfe" in Settings("newton").rule()


def test_first_order_knobs_are_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="strong-Wolfe line search"):
        Settings("bfgs", line_search=True)
    # a knob the first-order loop gains is refused by adding it to FIRST_ORDER_ONLY
    monkeypatch.setitem(settings_module.FIRST_ORDER_ONLY, "momentum", settings_module.MOMENTUM)
    with pytest.raises(UsageError) as caught:
        Settings("newton", momentum=0.5)
    assert caught.value.parameters == ("momentum",)
    assert "first-order methods, not to newton" in caught.value.one_line()
    Settings("newton")  # left at its default: accepted


def test_runs_and_newtons_variables_are_bounded() -> None:
    check_runs(CURVATURE_RUNS_MAX, 2, {"bfgs"})
    with pytest.raises(UsageError, match="one by one"):
        check_runs(CURVATURE_RUNS_MAX + 1, 2, {"bfgs"})
    with pytest.raises(UsageError, match="at most 100 variables"):
        check_runs(1, 101, {"newton"})
    check_runs(1, 101, {"lbfgs"})


# --- the command line ----------------------------------------------------------------------------
def cli(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_descend_bfgs_table() -> None:
    code, out, _ = cli("descend", "@rosenbrock", "--from", "-1.2,1", "--method", "bfgs")
    assert code == 0
    text = " ".join(out.split())  # the header wraps at the table's width
    assert "[c1 = 0.0001, c2 = 0.9, --lr does not apply]" in text
    summary = next(line for line in out.splitlines() if line.startswith("1 ") and "bfgs" in line)
    assert summary.split()[:3] == ["1", "bfgs", "—"] and "converged" in summary and "34" in summary


def test_descend_json_csv_and_ndjson_carry_the_runs() -> None:
    args = ("descend", "@rosenbrock", "--from", "-1.2,1", "--method", "newton", "--method", "cg")
    code, out, _ = cli(*args, "--format", "json")
    assert code == 0
    runs = json.loads(out)["runs"]
    assert [(r["method"], r["status"], r["iterations"]) for r in runs] == [
        ("newton", "converged", 21),
        ("cg", "converged", 29),
    ]
    assert runs[0]["hyperparameters"] == {"c1": 1e-4, "c2": 0.9, "beta": 1e-3}
    assert runs[0]["lr"] == 1.0 and len(runs[0]["steps"]) == 22
    code, out, _ = cli(*args, "--format", "csv")
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0][:4] == ["run", "method", "lr", "step"]
    assert [r[:4] for r in rows if r[-1] == "converged"] == [
        ["1", "newton", "1.0", "21"],
        ["2", "cg", "1.0", "29"],
    ]
    code, out, _ = cli(*args, "--format", "ndjson", "--summary")
    assert [json.loads(line)["iterations"] for line in out.splitlines()] == [21, 29]


def test_many_starts_from_stdin_run_one_by_one() -> None:
    code, out, _ = cli(
        "descend", "@himmelblau", "--from", "-", "--method", "lbfgs", "--summary", "--format",
        "csv", stdin="0,0\n-1,1\n-1,-1\n1,-1\n",
    )  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["status"] for row in rows] == ["converged"] * 4
    assert {row["classification"] for row in rows} == {"minimum"}


def test_lr_applies_to_the_first_order_methods_only() -> None:
    code, out, _ = cli(
        "descend", "@rosenbrock", "--from", "-1.2,1", "--method", "gd", "--method", "bfgs",
        "--lr", "0.001", "--lr", "0.002", "--steps", "40", "--summary", "--format", "json",
    )  # fmt: skip
    assert code == 0
    runs = json.loads(out)["runs"]
    assert [(r["method"], r["lr"]) for r in runs] == [("gd", 0.001), ("gd", 0.002), ("bfgs", 1.0)]
    assert runs[2]["status"] == "converged"  # gd's small lr does not cripple bfgs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--method", "bfgs", "--lr", "0.5"), "--lr does not apply to bfgs"),
        (("--method", "newton", "--line-search"), "newton has its own strong-Wolfe line search"),
        (("--method", "l-bfgs"), "did you mean lbfgs?"),
    ],
)
def test_bad_combinations_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    code, out, err = cli("descend", "@rosenbrock", "--from", "-1.2,1", *args)
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if line.startswith("gradcli: error:")]
    assert len(lines) == 1 and message in lines[0]


def test_legends_name_lr_only_where_it_applies() -> None:
    from gradcli.plotting.artists import run_labels

    runs = descend(
        compiled("rosenbrock"),
        [(-1.2, 1.0)],
        [Settings("gd", lr=0.001, steps=50), Settings("newton"), Settings("bfgs")],
    )
    assert run_labels(runs) == ["gd, lr = 0.001", "newton", "bfgs"]


@pytest.mark.slow  # matplotlib's import and a render: about 2 s in a fresh process
def test_plot_draws_several_curvature_methods(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "curvature.png"
    code, out, _ = cli(
        "plot", "@rosenbrock", "--from", "-1.2,1", "--method", "newton", "--method", "bfgs",
        "--grid", "10", "--arrows", "0", "--dpi", "20", "--levels", "3", "-o", str(target),
        "--format", "json",
    )  # fmt: skip
    assert code == 0 and target.stat().st_size > 0
    drawn = json.loads(out)["runs"]
    assert [(r["method"], r["status"]) for r in drawn] == [
        ("newton", "converged"),
        ("bfgs", "converged"),
    ]
