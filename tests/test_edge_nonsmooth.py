"""Issue 10, non-smooth functions and read-back: abs, relu, max, min, sign and heaviside never crash,
their derivatives at a kink follow PyTorch autograd and the output says f is not differentiable
there; machine strings read back with plain ``sympy.sympify``; LaTeX writes the step as H(x).

The torch numbers below were measured with torch 2.13 (float64 autograd, torch.optim.SGD) so that
these tests run without torch.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.calculus import gradient
from gradcli.calculus.evaluate import evaluate
from gradcli.cli import app
from gradcli.expr import parse
from gradcli.numeric import classify_points, compile_function, jumps, neighbourhood_kind
from gradcli.points import parse_point
from gradcli.views.printers import latex, machine
from gradcli.views.symbolic import gradient_document

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def ok_json(*args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the examples: each used to end in "internal error" ---------------------------------
def test_grad_abs_at_its_kink_answers_with_torchs_slope_and_says_so() -> None:
    result = run("grad", "abs(x)", "--at", "0")
    assert result.exit_code == 0, result.output
    assert "f is not differentiable at (0)" in result.stdout
    assert "|u|′ = 0 at u = 0" in result.stdout
    point = ok_json("grad", "abs(x)", "--at", "0")["points"][0]
    assert point["gradient"] == [0.0] and point["differentiable"] is False
    assert point["nonsmooth"]["kinks"] == [{"kind": "abs", "at": "Abs(x)"}]


def test_abs_plus_square_has_a_minimum_at_its_kink_by_the_first_order_test() -> None:
    result = run("grad", "abs(x)+y**2", "--at", "0,0")
    assert result.exit_code == 0, result.output
    assert "f is not differentiable at (0, 0)" in result.stdout
    assert "a minimum" in result.stdout
    point = ok_json("grad", "abs(x)+y**2", "--at", "0,0")["points"][0]
    assert point["classification"] == "minimum"
    assert point["classified_by"] == "neighbourhood"


def test_relu_hessian_at_zero_is_torchs_zero() -> None:
    point = ok_json("grad", "relu(x)", "--at", "0", "--hessian")["points"][0]
    assert point["gradient"] == [0.0]  # torch.relu: relu'(0) = 0 (it used to be 1/2)
    assert point["hessian"] == [[0.0]]  # no Dirac delta: torch's second derivative
    assert point["classification"] == "minimum"
    assert "δ = 0" in point["nonsmooth"]["note"]


def test_second_partial_of_abs_at_zero() -> None:
    result = run("partial", "abs(x)", "--wrt", "x", "--order", "2", "--at", "0")
    assert result.exit_code == 0, result.output
    assert "f is not differentiable at (0)" in result.stdout
    record = ok_json("partial", "abs(x)", "--wrt", "x", "--order", "2", "--at", "0")
    assert record["points"][0]["derivative"] == 0.0
    assert record["points"][0]["nonsmooth"]["order"] == 1


def test_critical_of_abs_plus_square_finds_the_minimum() -> None:
    record = ok_json("critical", "abs(x)+y**2")
    assert [(p["at"], p["classification"]) for p in record["points"]] == [
        ({"x": 0.0, "y": 0.0}, "minimum")
    ]


# torch.optim.SGD(lr=0.1), float64, 12 steps from the start
TORCH_L1 = [2.0, 1.79, 1.622, 1.4876, 1.38008, 1.294064, 1.2252512, 1.17020096, 1.126160768]
TORCH_L1 += [1.0909286144, 1.06274289152, 1.040194313216, 1.0221554505728]
TORCH_RELU = [
    [3.0, 1.0],
    [2.6, 0.8],
    [2.28, 0.64],
    [2.024, 0.512],
    [1.8192, 0.4096],
    [1.65536, 0.32768],
    [1.524288, 0.262144],
    [1.4194304, 0.2097152],
    [1.33554432, 0.16777216],
    [1.268435456, 0.134217728],
    [1.2147483648, 0.1073741824],
    [1.17179869184, 0.08589934592],
    [1.137438953472, 0.068719476736],
]


def _path(record: Any) -> list[list[float]]:
    return [list(s["point"].values()) for s in record["runs"][0]["steps"]]


def test_descend_with_an_l1_term_steps_as_torch_sgd() -> None:
    record = ok_json(
        "descend", "(w-1)^2 + 0.1*abs(w)", "--from", "2", "--steps", "12", "--tol", "0"
    )
    assert np.allclose(_path(record), [[w] for w in TORCH_L1], rtol=1e-12, atol=0)
    assert record["runs"][0]["status"] == "max_steps"


def test_descend_through_relu_squared_steps_as_torch_sgd() -> None:
    record = ok_json("descend", "relu(x-1)^2 + y^2", "--from", "3,1", "--steps", "12", "--tol", "0")
    assert np.allclose(_path(record), TORCH_RELU, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    ("expr", "start", "lr", "torch_path"),
    [
        ("relu(x)", "0", "0.1", [[0.0], [0.0], [0.0], [0.0]]),  # torch.relu: stays at the kink
        ("max(0,x)", "0", "0.1", [[0.0], [-0.05], [-0.05], [-0.05]]),  # torch.maximum: 1/2 at a tie
        ("relu(x-1)^2+y^2", "3,1", "0.5", [[3.0, 1.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]),
        ("abs(w-1)", "2", "0.5", [[2.0], [1.5], [1.0], [1.0]]),
        ("abs(x)+y^2", "0,1", "0.1", [[0.0, 1.0], [0.0, 0.8], [0.0, 0.64], [0.0, 0.512]]),
        ("min(x,y)^2", "1,1", "0.1", [[1.0, 1.0], [0.9, 0.9], [0.81, 0.81], [0.729, 0.729]]),
    ],
)
def test_descent_through_a_kink_matches_torch(
    expr: str, start: str, lr: str, torch_path: list[list[float]]
) -> None:
    record = ok_json("descend", expr, "--from", start, "--lr", lr, "--steps", "3", "--tol", "0")
    path = _path(record)
    # a run that lands on its kink converges there (∇f = 0 by the convention); torch stays put too
    assert np.allclose(path, torch_path[: len(path)], rtol=1e-12, atol=1e-15)


def test_plot_with_descent_on_a_nonsmooth_function_writes_the_figure(tmp_path: Path) -> None:
    out = tmp_path / "relu.png"
    result = run("plot", "relu(x-1)^2 + y^2", "--from", "3,1", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000


# --- the conventions, one by one (torch 2.13 float64 autograd) ----------------------------------
@pytest.mark.parametrize(
    ("expr", "at", "slope", "second"),
    [
        ("abs(x)", "0", 0.0, 0.0),  # torch.abs: 0, and 0 again
        ("relu(x)", "0", 0.0, 0.0),  # torch.relu
        ("max(0, x)", "0", 0.5, 0.0),  # torch.maximum: each tied argument gets 1/2
        ("min(0, x)", "0", 0.5, 0.0),  # torch.minimum
        ("sign(x)", "0", 0.0, 0.0),  # torch.sign: 0 everywhere
        ("heaviside(x)", "0", 0.0, 0.0),
        ("relu(x)", "2", 1.0, 0.0),
        ("relu(x)", "-2", 0.0, 0.0),
    ],
)
def test_derivatives_at_kinks_follow_torch(expr: str, at: str, slope: float, second: float) -> None:
    point = ok_json("grad", expr, "--at", at, "--hessian")["points"][0]
    assert point["gradient"] == [slope]
    assert point["hessian"] == [[second]]


def test_max_tie_splits_the_gradient_between_the_arguments() -> None:
    point = ok_json("grad", "max(x, y)", "--at", "1,1")["points"][0]
    assert point["gradient"] == [0.5, 0.5]
    assert point["nonsmooth"]["kinks"][0]["kind"] == "max"


def test_a_kink_with_a_nonzero_conventional_slope_can_still_be_a_minimum() -> None:
    point = ok_json("grad", "abs(x) + x/2", "--at", "0")["points"][0]
    assert point["gradient"] == [0.5] and point["stationary"] is False
    assert point["classification"] == "minimum"


def test_smooth_points_of_nonsmooth_functions_carry_no_note() -> None:
    result = run("grad", "abs(x)+y**2", "--at", "1,2")
    assert result.exit_code == 0 and "not differentiable" not in result.stdout
    point = ok_json("grad", "abs(x)+y**2", "--at", "1,2")["points"][0]
    assert point["differentiable"] is True and "nonsmooth" not in point


def test_a_syntactic_kink_that_is_smooth_is_not_reported() -> None:
    # |x|³ is twice differentiable at 0: the Hessian test applies (and says degenerate)
    point = ok_json("grad", "abs(x)**3 + y**2", "--at", "0,0")["points"][0]
    assert "nonsmooth" not in point and point["classification"] == "degenerate"


def test_a_kink_of_the_gradient_is_not_twice_differentiable() -> None:
    point = ok_json("grad", "x*abs(x) + y**2", "--at", "0,0")["points"][0]
    assert point["differentiable"] is True
    assert point["nonsmooth"]["order"] == 2
    assert point["classification"] == "saddle"  # x|x| rises through 0: no extremum


def test_abs_minus_abs_is_a_saddle() -> None:
    point = ok_json("grad", "abs(x) - abs(y)", "--at", "0,0")["points"][0]
    assert point["classification"] == "saddle"


def test_not_classified_when_f_looks_the_same_all_around() -> None:
    x = sympy.Symbol("x", real=True)
    assert neighbourhood_kind([x], sympy.Heaviside(x) * 0 + sympy.S.Zero * x, [0.0]) == (
        "unclassified"
    )
    fn = parse("relu(x)*relu(-x)")  # 0 everywhere
    assert neighbourhood_kind(fn.variables, fn.expr, [0.0]) == "unclassified"


def test_end_point_classification_copes_with_kinks_and_nan_hessians() -> None:
    compiled = compile_function(parse("abs(x)+y**2"))
    points = np.array([[0.0, 0.0], [1.0, 0.0]])
    eig = np.array([[0.0, 2.0], [math.nan, 2.0]])
    assert classify_points(compiled, points, eig) == ["minimum", "degenerate"]
    smooth = compile_function(parse("x**2+y**2"))
    assert classify_points(smooth, points, np.array([[2.0, 2.0], [2.0, 2.0]])) == [
        "minimum",
        "minimum",
    ]


def test_jumps_tells_a_kink_from_a_steep_slope() -> None:
    x = sympy.Symbol("x", real=True)
    assert jumps([x], [sympy.sign(x)], [0.0])
    assert not jumps([x], [1e6 * x], [0.0])  # steep, but continuous


def test_exact_evaluation_takes_the_dirac_delta_as_zero() -> None:
    fn = parse("abs(x)")
    x = fn.variables[0]
    at = parse_point("0", fn.names)
    assert evaluate(2 * sympy.DiracDelta(x), fn, at).value == 0.0
    assert evaluate(sympy.Heaviside(x), fn, at).value == 0.5


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "sign(x)*abs(y) + max(x, y, 0)", "--at", "0,0", "--hessian"],
        ["grad", "min(abs(x), relu(y))", "--at", "0,0"],
        ["grad", "heaviside(x-1)*x^2", "--at", "1", "--hessian"],
        ["partial", "relu(x)*abs(y)", "--wrt", "x", "--wrt", "y", "--at", "0,0"],
        ["partial", "sign(x)", "--wrt", "x", "--order", "3", "--at", "0"],
        ["critical", "relu(x)^2 + abs(y)"],
        ["level", "abs(x) + abs(y)", "--at", "1,0"],
        ["descend", "abs(x) + abs(y)", "--from", "1,1", "--steps", "50"],
    ],
)
def test_every_command_answers_on_compositions_at_kinks(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output


# --- machine strings read back with plain sympify -----------------------------------------------
def test_greek_and_sympy_names_read_back() -> None:
    record = ok_json("partial", "I**2*x", "--wrt", "x")
    back = sympy.sympify(record["derivative"])
    assert back == sympy.Symbol("I") ** 2  # not -1
    record = ok_json("grad", "lambda*beta + gamma^2 + N*S*Q", "--at", "1,1,1,1,1,1")
    assert sympy.sympify(record["function"]).free_symbols == set(
        sympy.symbols("lambda beta gamma N S Q")
    )


def test_cbrt_reads_back_as_the_real_root() -> None:
    record = ok_json("grad", "cbrt(x)", "--at", "-8")
    f = sympy.sympify(record["function"])
    assert f.subs(sympy.Symbol("x"), -8) == -2
    assert record["points"][0]["value"] == -2.0


def test_relu_and_heaviside_read_back_with_their_value_at_zero() -> None:
    record = ok_json("grad", "relu(x) + max(0, y)", "--at", "1,1")
    x, y = sympy.symbols("x y")
    assert sympy.sympify(record["function"]) == sympy.Max(0, x) + sympy.Max(0, y)
    dx, dy = (sympy.sympify(g) for g in record["gradient"])
    assert dx.subs(x, 0) == 0 and dy.subs(y, 0) == sympy.Rational(1, 2)


NAMES = ["lambda", "beta", "gamma", "I", "N", "S", "Q", "x", "y"]
UNARY = ["abs", "relu", "sign", "cbrt", "sin", "exp", "heaviside", "sigmoid", "atan"]


@st.composite
def expressions(draw: Any, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([*NAMES, "2", "1/3", "0.5"]))
    kind = draw(st.integers(0, 3))
    a = draw(expressions(depth - 1))
    if kind == 0:
        return f"{draw(st.sampled_from(UNARY))}({a})"
    b = draw(expressions(depth - 1))
    if kind == 1:
        return f"{draw(st.sampled_from(['max', 'min']))}({a}, {b})"
    if kind == 2:
        return f"({a})^2 + {b}" if draw(st.booleans()) else f"({a})^3"
    return f"({a}) {draw(st.sampled_from(['+', '-', '*']))} ({b})"


def _same(ours: Any, text: str, variables: Any, rng: random.Random) -> None:
    """``text`` read back with plain sympify equals ``ours`` at random real points."""
    back = sympy.sympify(text)
    by_name = {s.name: s for s in variables}
    back = back.xreplace({s: by_name.get(s.name, s) for s in back.free_symbols})
    assert back.free_symbols <= set(variables), text
    for _ in range(3):
        point = {v: sympy.Float(rng.uniform(-3, 3), 30) for v in variables}
        a, b = complex(ours.evalf(30, subs=point)), complex(back.evalf(30, subs=point))
        if all(math.isfinite(abs(z)) for z in (a, b)):
            assert abs(a - b) <= 1e-9 * max(1.0, abs(a)), (text, point, a, b)


@pytest.mark.slow
@settings(derandomize=True, max_examples=15, deadline=None)
@given(expressions())
def test_json_function_and_gradient_read_back_with_plain_sympify(text: str) -> None:
    fn = parse(text)
    if not fn.variables:
        return
    result = gradient(fn)
    record = gradient_document(result).record
    rng = random.Random(text)
    _same(fn.expr, record["function"], fn.variables, rng)
    for g, g_text in zip(result.gradient, record["gradient"]):
        _same(g, g_text, fn.variables, rng)


# --- LaTeX --------------------------------------------------------------------------------------
def test_latex_writes_the_step_as_h_not_theta() -> None:
    result = run("grad", "relu(x) + theta**2*x", "--format", "latex")
    assert result.exit_code == 0, result.output
    assert r"H\left(x\right)" in result.stdout
    assert r"\theta\left(" not in result.stdout
    assert latex(sympy.Heaviside(sympy.Symbol("x")) ** 2) == r"H\left(x\right)^{2}"


def test_several_latex_equations_are_kept_apart() -> None:
    result = run("grad", "x**2*y", "--hessian", "--format", "latex")
    lines = result.stdout.strip().splitlines()
    assert lines[0] == r"\begin{gathered}" and lines[-1] == r"\end{gathered}"
    assert lines[1].endswith(r"\\") and lines[2].startswith("H_f")
    # one equation stays one line, as in the README
    single = run("grad", "x**2*y + sin(x)", "--format", "latex").stdout.strip()
    assert single.startswith(r"\nabla f = ") and "\n" not in single


def test_machine_printer_spells_names_sympify_would_misread() -> None:
    lam, i_, x = sympy.Symbol("lambda"), sympy.Symbol("I"), sympy.Symbol("x")
    assert machine(lam * x) == "Symbol('lambda')*x"
    assert sympy.sympify(machine(i_**2 * x)) == i_**2 * x


def test_descend_and_plot_json_functions_read_back(tmp_path: Path) -> None:
    x = sympy.Symbol("x")
    record = ok_json("descend", "relu(x-1)^2 + I", "--from", "3,1", "--steps", "2")
    assert sympy.sympify(record["function"]) == sympy.Max(0, x - 1) ** 2 + sympy.Symbol("I")
    out = tmp_path / "f.png"
    record = ok_json("plot", "relu(x) + y^2", "-o", str(out))
    assert sympy.sympify(record["function"]) == sympy.Max(0, x) + sympy.Symbol("y") ** 2
