"""The descent core: optimizer rules, both engines, stopping, recording, streaming and notes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli.optimize.engine as engine
from gradcli.errors import MathError, UsageError
from gradcli.function import Function
from gradcli.numeric import Compiled, compile_function
from gradcli.optimize import (
    METHODS,
    Descent,
    DescentRun,
    Settings,
    classify,
    iter_descent,
)
from gradcli.views.notes import descend  # the core's descend, its notes in words

x, y = sympy.symbols("x y", real=True)
PARABOLA = (x**2 + y**2, (3.0, 1.0), (0.0, 0.0))
BOOTH = ((x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2, (0.0, 0.0), (1.0, 3.0))
ROSENBROCK = ((1 - x) ** 2 + 100 * (y - x**2) ** 2, (-1.2, 1.0), (1.0, 1.0))
HIMMELBLAU = ((x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2, (0.0, 0.0), (3.0, 2.0))
_COMPILED: dict[Any, Compiled] = {}


def compiled(expr: Any, variables: tuple[Any, ...] = (x, y)) -> Compiled:
    key = (expr, variables)
    if key not in _COMPILED:
        _COMPILED[key] = compile_function(Function(expr, variables))
    return _COMPILED[key]


def run1(expr: Any, start: Any, **kw: Any) -> DescentRun:
    variables = (x,) if len(start) == 1 else (x, y)
    return descend(compiled(expr, variables), [start], [Settings(**kw)])[0]


@pytest.fixture(params=["scalar", "vector"])
def lane(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on both engines: every group as scalar lanes, or as one vector lane."""
    monkeypatch.setattr(engine, "SCALAR_LANE_MAX", 10**9 if request.param == "scalar" else 0)
    return str(request.param)


# --- the rules, against hand-computed steps ------------------------------------------------------
# f = x² + 3y² from (1, 1): ∇f = (2x, 6y), so g0 = (2, 6).
QUAD = x**2 + 3 * y**2


def steps_of(method: str, count: int = 2, **kw: Any) -> np.ndarray[Any, Any]:
    run = descend(compiled(QUAD), [[1.0, 1.0]], [Settings(method, steps=count, tol=0, **kw)])[0]
    return run.path


def test_gd_steps(lane: str) -> None:
    path = steps_of("gd", lr=0.1)
    assert path[1] == pytest.approx([1 - 0.1 * 2, 1 - 0.1 * 6], rel=1e-15)
    assert path[2] == pytest.approx([0.8 - 0.1 * 1.6, 0.4 - 0.1 * 2.4], rel=1e-15)


def test_momentum_steps(lane: str) -> None:
    path = steps_of("momentum", lr=0.1, momentum=0.5)
    g0 = np.array([2.0, 6.0])
    x1 = np.array([1.0, 1.0]) - 0.1 * g0  # b = g on the first step
    g1 = np.array([2 * x1[0], 6 * x1[1]])
    x2 = x1 - 0.1 * (0.5 * g0 + g1)  # b ← μ·b + g
    assert path[1] == pytest.approx(x1, rel=1e-15)
    assert path[2] == pytest.approx(x2, rel=1e-15)


def test_nesterov_steps(lane: str) -> None:
    path = steps_of("nesterov", lr=0.1, momentum=0.5)
    g0 = np.array([2.0, 6.0])
    x1 = np.array([1.0, 1.0]) - 0.1 * (g0 + 0.5 * g0)  # x ← x − lr·(g + μ·b), b = g
    g1 = np.array([2 * x1[0], 6 * x1[1]])
    b1 = 0.5 * g0 + g1
    x2 = x1 - 0.1 * (g1 + 0.5 * b1)
    assert path[1] == pytest.approx(x1, rel=1e-15)
    assert path[2] == pytest.approx(x2, rel=1e-15)


def test_adagrad_steps(lane: str) -> None:
    path = steps_of("adagrad", lr=0.5)
    g0 = np.array([2.0, 6.0])
    s1 = g0**2
    x1 = np.array([1.0, 1.0]) - 0.5 * g0 / (np.sqrt(s1) + 1e-10)  # ≈ x − lr·sign(g)
    g1 = np.array([2 * x1[0], 6 * x1[1]])
    s2 = s1 + g1**2
    x2 = x1 - 0.5 * g1 / (np.sqrt(s2) + 1e-10)
    assert path[1] == pytest.approx(x1, rel=1e-15)
    assert path[2] == pytest.approx(x2, rel=1e-15)


def test_adagrad_eps_defaults_to_torchs() -> None:
    assert Settings("adagrad").eps == 1e-10
    assert Settings("adam").eps == 1e-8 and Settings("rmsprop").eps == 1e-8
    assert Settings("adagrad", eps=1e-3).eps == 1e-3


def test_rmsprop_steps(lane: str) -> None:
    path = steps_of("rmsprop", lr=0.01, alpha=0.9)
    g0 = np.array([2.0, 6.0])
    v1 = 0.1 * g0**2
    x1 = np.array([1.0, 1.0]) - 0.01 * g0 / (np.sqrt(v1) + 1e-8)
    g1 = np.array([2 * x1[0], 6 * x1[1]])
    v2 = 0.9 * v1 + 0.1 * g1**2
    x2 = x1 - 0.01 * g1 / (np.sqrt(v2) + 1e-8)
    assert path[1] == pytest.approx(x1, rel=1e-14)
    assert path[2] == pytest.approx(x2, rel=1e-14)


def test_adam_steps(lane: str) -> None:
    path = steps_of("adam", lr=0.1)
    g0 = np.array([2.0, 6.0])
    m1, v1 = 0.1 * g0, 0.001 * g0**2
    # bias correction makes the first step lr·sign(g), whatever |g| is
    x1 = np.array([1.0, 1.0]) - 0.1 * (m1 / 0.1) / (np.sqrt(v1 / 0.001) + 1e-8)
    assert x1 == pytest.approx([0.9, 0.9], rel=1e-8)
    g1 = np.array([2 * x1[0], 6 * x1[1]])
    m2, v2 = 0.9 * m1 + 0.1 * g1, 0.999 * v1 + 0.001 * g1**2
    x2 = x1 - 0.1 * (m2 / (1 - 0.9**2)) / (np.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    assert path[1] == pytest.approx(x1, rel=1e-14)
    assert path[2] == pytest.approx(x2, rel=1e-14)


# Four steps from (-1.2, 1) on (1-x)² + 100(y-x²)² + sin(3xy) in float64. These numbers came from
# torch 2.13.0 (CPU wheel): the torch.optim optimizer named beside each, the same loss, backward(),
# step() — run once by hand; torch is not a dependency. gradcli agrees to ≤ 2 ulp (torch fuses some
# multiply-adds, and autograd rounds ∇f its own way).
TORCH_F = (1 - x) ** 2 + 100 * (y - x**2) ** 2 + sympy.sin(3 * x * y)
TORCH = {
    "gd": (  # torch.optim.SGD(lr=1e-3)
        Settings(lr=1e-3),
        [
            [-0.9817097247509975, 1.084771669701197],
            [-1.0220182901564154, 1.057627170055152],
            [-1.020175330352992, 1.0519556298734485],
            [-1.0175582333582138, 1.0466648111034456],
        ],
    ),
    "momentum": (  # torch.optim.SGD(lr=1e-3, momentum=0.9)
        Settings("momentum", lr=1e-3),
        [
            [-0.9817097247509975, 1.084771669701197],
            [-0.8255570424323132, 1.1339216727862294],
            [-0.8275391780169925, 1.0853408051440037],
            [-0.9553103620909149, 0.95927550055386],
        ],
    ),
    "nesterov": (  # torch.optim.SGD(lr=1e-3, momentum=0.9, nesterov=True)
        Settings("nesterov", lr=1e-3),
        [
            [-0.7852484770268954, 1.1610661724322744],
            [-0.9204927017876078, 1.0187285207482877],
            [-1.001522848199107, 0.920466611630508],
            [-0.948361784024111, 0.8913103476088232],
        ],
    ),
    "adagrad": (  # torch.optim.Adagrad(lr=0.05)
        Settings("adagrad", lr=0.05),
        [
            [-1.1500000000000228, 1.049999999999941],
            [-1.12406406764911, 1.0759388848940528],
            [-1.1072056664928929, 1.0923842865828655],
            [-1.0953415830457247, 1.1034232067129028],
        ],
    ),
    "rmsprop": (  # torch.optim.RMSprop(lr=0.01)
        Settings("rmsprop", lr=0.01),
        [
            [-1.1000000000458106, 1.099999999882036],
            [-1.0752366128645992, 1.1220698661883672],
            [-1.0655138679078764, 1.1266538159797501],
            [-1.0606524603106546, 1.125333869870923],
        ],
    ),
    "adam": (  # torch.optim.Adam(lr=0.02)
        Settings("adam", lr=0.02),
        [
            [-1.180000000000916, 1.0199999999976408],
            [-1.1601692782882218, 1.0398366638742276],
            [-1.1406604509655496, 1.0593527473787987],
            [-1.1216607263098328, 1.0783437926303567],
        ],
    ),
    "adam_b": (  # torch.optim.Adam(lr=0.02, betas=(0.3, 0.5), eps=1e-3)
        Settings("adam", lr=0.02, beta1=0.3, beta2=0.5, eps=1e-3),
        [
            [-1.1800000916207025, 1.0199997640749068],
            [-1.1604453302995266, 1.0395672650014203],
            [-1.1415583661939144, 1.058463216536786],
            [-1.1234943369787767, 1.0764880055548847],
        ],
    ),
    "rmsprop_a": (  # torch.optim.RMSprop(lr=0.01, alpha=0.5, eps=1e-4)
        Settings("rmsprop", lr=0.01, alpha=0.5, eps=1e-4),
        [
            [-1.1858578735383754, 1.0141421120309826],
            [-1.174811511333844, 1.0252034279259856],
            [-1.164837199992125, 1.0351909194226296],
            [-1.155375117397806, 1.044658142204452],
        ],
    ),
    "momentum_ascent": (  # torch.optim.SGD(lr=1e-3, momentum=0.5, maximize=True)
        Settings("momentum", lr=1e-3, momentum=0.5, ascent=True),
        [
            [-1.4182902752490023, 0.9152283302988029],
            [-2.156235550692389, 0.6566844325842911],
            [-5.976055663032972, -0.26822321320887155],
            [-93.91088912769598, -7.928694850355203],
        ],
    ),
    "adam_ascent": (  # torch.optim.Adam(lr=0.02, maximize=True)
        Settings("adam", lr=0.02, ascent=True),
        [
            [-1.2199999999990838, 0.9800000000023593],
            [-1.2400205481043132, 0.959977715162648],
            [-1.260080618056005, 0.9399134816106185],
            [-1.2802002255872509, 0.9197872731851832],
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_matches_torch_optim(name: str, lane: str) -> None:
    s, expected = TORCH[name]
    s = Settings(**{**s.__dict__, "steps": 4, "tol": 0})
    path = descend(compiled(TORCH_F), [[-1.2, 1.0]], [s])[0].path[1:]
    np.testing.assert_allclose(path, expected, rtol=1e-15, atol=0)  # a few ulp


# --- property: the engine is the plain re-implementation, on random quadratics -------------------
def plain(method: str, start: list[float], A: np.ndarray[Any, Any], b: np.ndarray[Any, Any],
          s: Settings, steps: int) -> np.ndarray[Any, Any]:  # fmt: skip
    """The torch.optim rules, written out once more the obvious way, on f = ½xᵀAx + bᵀx."""
    xk = np.array(start, dtype=float)
    buf = m = v = acc = np.zeros_like(xk)
    out = [xk.copy()]
    for t in range(1, steps + 1):
        g = A @ xk + b
        if s.ascent:
            g = -g
        if method == "gd":
            d = s.lr * g
        elif method in ("momentum", "nesterov"):
            buf = g if t == 1 else s.momentum * buf + g
            d = s.lr * (g + s.momentum * buf) if method == "nesterov" else s.lr * buf
        elif method == "adagrad":
            acc = acc + g * g
            d = s.lr * g / (np.sqrt(acc) + s.eps)
        elif method == "rmsprop":
            acc = s.alpha * acc + (1 - s.alpha) * g * g
            d = s.lr * g / (np.sqrt(acc) + s.eps)
        else:
            m = s.beta1 * m + (1 - s.beta1) * g
            v = s.beta2 * v + (1 - s.beta2) * g * g
            d = s.lr * (m / (1 - s.beta1**t)) / (np.sqrt(v / (1 - s.beta2**t)) + s.eps)
        if method == "adamw":  # torch AdamW: param.mul_(1 − lr·weight_decay), then Adam's step
            xk = xk * (1 - s.lr * s.weight_decay)
        xk = xk - d
        out.append(xk.copy())
    return np.array(out)


QUADRATICS = [((2, 0, 6), (0, 0)), ((3, 1, 2), (1, -2)), ((1, -0.5, 4), (-3, 0.5))]


@settings(max_examples=60, deadline=None)
@given(
    which=st.sampled_from(range(len(QUADRATICS))),
    method=st.sampled_from(METHODS),
    start=st.lists(st.floats(-5, 5), min_size=2, max_size=2),
    lr=st.floats(1e-3, 0.3),
    momentum=st.floats(0.05, 0.95),
    alpha=st.floats(0.5, 0.999),
    beta1=st.floats(0.0, 0.95),
    beta2=st.floats(0.5, 0.9999),
    ascent=st.booleans(),
)
def test_engine_equals_plain_rules(
    which: int, method: str, start: list[float], lr: float, momentum: float, alpha: float,
    beta1: float, beta2: float, ascent: bool,
) -> None:  # fmt: skip
    (a, c, d), (b1, b2) = QUADRATICS[which]
    expr = sympy.Rational(1, 2) * (a * x**2 + 2 * c * x * y + d * y**2) + b1 * x + b2 * y
    A, b = np.array([[a, c], [c, d]], dtype=float), np.array([b1, b2], dtype=float)
    s = Settings(method, lr=lr, momentum=momentum, alpha=alpha, beta1=beta1, beta2=beta2,
                 ascent=ascent, steps=3, tol=0)  # fmt: skip
    expected = plain(method, start, A, b, s, 3)
    fn = compiled(expr)
    one = descend(fn, [start], [s])[0]
    many = descend(fn, [start] * 6, [s])  # six runs of one method: the vector engine
    if one.status == "max_steps":
        np.testing.assert_allclose(one.path, expected, rtol=1e-11, atol=1e-11)
    for run in many:  # identical numbers, whichever engine ran them
        np.testing.assert_array_equal(run.path, one.path)
        np.testing.assert_array_equal(run.gradients, one.gradients)
        assert run.status == one.status and run.iterations == one.iterations


# --- the grid: every optimizer reaches the known minima ------------------------------------------
GRID = {
    # name: ((f, start, minimum), {method: (lr, steps)}) — each converges to tol 1e-5 (found by a
    # sweep over lr), except rmsprop on Rosenbrock: see below
    "parabola": (PARABOLA, {"gd": (0.1, 200), "momentum": (0.005, 1000), "nesterov": (0.1, 500),
                            "adagrad": (0.5, 1000), "rmsprop": (0.2, 500), "adam": (0.1, 1000)}),
    "booth": (BOOTH, {"gd": (0.05, 500), "momentum": (0.02, 1000), "nesterov": (0.02, 1000),
                      "adagrad": (1.0, 1000), "rmsprop": (0.5, 500), "adam": (0.5, 1000)}),
    "rosenbrock": (ROSENBROCK, {"gd": (0.002, 20000), "momentum": (0.001, 5000),
                                "nesterov": (0.001, 5000), "adagrad": (0.5, 20000),
                                "rmsprop": (0.001, 20000), "adam": (0.2, 3000)}),
    "himmelblau": (HIMMELBLAU, {"gd": (0.01, 500), "momentum": (0.002, 1000),
                                "nesterov": (0.005, 500), "adagrad": (0.5, 500),
                                "rmsprop": (0.1, 500), "adam": (0.2, 1000)}),
}  # fmt: skip
# RMSprop's step does not shrink with the gradient (g/√v stays near ±1), so with a constant lr it
# reaches Rosenbrock's minimum but hovers there instead of bringing ‖∇f‖ below tol.
HOVERS = {("rosenbrock", "rmsprop")}


@pytest.mark.parametrize("name", sorted(GRID))
def test_every_optimizer_reaches_the_minimum(name: str) -> None:
    (expr, start, minimum), table = GRID[name]
    settings_ = [Settings(m, lr=lr, steps=steps, tol=1e-5) for m, (lr, steps) in table.items()]
    runs = descend(compiled(expr), [start], settings_, summary_only=True)
    for run in runs:
        assert np.allclose(run.final_point, minimum, atol=1e-3), (run.method, run.final_point)
        if (name, run.method) in HOVERS:
            assert run.status == "max_steps"
            continue
        assert run.status == "converged", (run.method, run.reason)
        assert run.classification == "minimum", (run.method, run.eigenvalues)


# --- statuses and reasons -------------------------------------------------------------------------
def test_converges_to_the_origin_and_step_one(lane: str) -> None:
    run = run1(x**2 + y**2, (3, 1))
    assert run.status == "converged" and run.converged
    np.testing.assert_allclose(run.path[1], [2.4, 0.8])
    assert np.allclose(run.final_point, 0, atol=1e-6)
    assert run.final_norm <= 1e-6 and run.reason.startswith("‖∇f‖ = ")
    assert run.iterations == run.steps[-1] == len(run.steps) - 1
    assert run.classification == "minimum"
    assert run.eigenvalues is not None and run.eigenvalues.tolist() == [2.0, 2.0]
    assert run.step_sizes[0] == 0 and run.step_sizes[1] == pytest.approx(math.hypot(0.6, 0.2))


def test_overshooting_diverges_with_a_reason(lane: str) -> None:
    run = run1(x**2, (1,), lr=1.5)
    assert run.status == "diverged"
    assert run.reason == f"|f| = {run.final_value:.3g} passed 1e+150 at step {run.iterations}"
    assert run.rises == run.iterations and run.reversals == run.iterations
    text = " ".join(run.notes)
    assert "overshooting" in text and "lr < 2/λmax = 1" in text and "exploding" in text


def test_not_finite_is_diverged(lane: str) -> None:
    run = run1(sympy.log(x) + 0 * y, (1.0, 0.0), lr=2.0)  # x1 = 1 − 2 = −1: log(−1) is nan
    assert run.status == "diverged" and run.iterations == 1
    assert run.reason == "f is not finite at step 1"


def test_max_steps_and_tol_zero(lane: str) -> None:
    run = run1(x**2 + y**2, (3, 1), lr=0.01, steps=50)
    assert run.status == "max_steps" and run.iterations == 50
    assert "> tol" in run.reason and any(n.startswith("slow:") for n in run.notes)
    exact = run1(x**2 + y**2, (0, 0), tol=0, steps=7)  # ‖∇f‖ = 0, yet tol 0 never stops early
    assert exact.status == "max_steps" and exact.iterations == 7
    assert "tol 0" in exact.reason


def test_zero_steps_and_a_stationary_start(lane: str) -> None:
    assert run1(x**2 + y**2, (3, 1), steps=0).iterations == 0
    run = run1(x**2 + y**2, (0, 0))
    assert run.status == "converged" and run.iterations == 0 and len(run.steps) == 1


def test_vanishing_progress_note(lane: str) -> None:
    run = run1(x**2 + y**2, (3, 1), lr=1e-7, steps=100)
    assert run.status == "max_steps"
    assert any(n.startswith("vanishing progress") and "too small" in n for n in run.notes)


def test_saddle_and_ascent(lane: str) -> None:
    saddle = run1(x**2 - y**2, (1, 0))
    assert saddle.status == "converged" and saddle.classification == "saddle"
    assert saddle.eigenvalues is not None
    assert any("saddle" in n for n in saddle.notes)
    top = run1(-(x**2) - y**2, (3, 1), ascent=True)
    assert top.status == "converged" and top.classification == "maximum"
    assert top.path[1] == pytest.approx([2.4, 0.8]) and top.rises == 0


def test_classify() -> None:
    assert classify(np.array([1.0, 2.0])) == "minimum"
    assert classify(np.array([-1.0, -2.0])) == "maximum"
    assert classify(np.array([-1.0, 2.0])) == "saddle"
    assert classify(np.array([0.0, 2.0])) == "degenerate"
    assert classify(np.array([math.nan, 2.0])) == "degenerate"


def test_undefined_start_is_a_math_error() -> None:
    with pytest.raises(MathError, match="not a finite real number at the start"):
        run1(sympy.sqrt(x) + y, (-1, 0))


def test_line_search_armijo(lane: str) -> None:
    run = run1(x**2 + 10 * y**2, (1, 1), lr=1.0, line_search=True)
    assert run.status == "converged" and run.line_steps is not None
    assert math.isnan(run.line_steps[0])
    f = run.values
    for k in range(1, len(run.steps)):  # every accepted a satisfies the Armijo condition
        a, g = run.line_steps[k], run.gradients[k - 1]
        assert f[k] <= f[k - 1] - 1e-4 * a * float(g @ g)
        assert math.log2(1.0 / a) == int(math.log2(1.0 / a))  # lr halved a whole number of times


def test_settings_validation() -> None:
    for bad in ({"lr": math.nan}, {"lr": -1}, {"lr": 0}, {"steps": -5}, {"tol": -1},
                {"beta1": 1.0}, {"alpha": 1.5}, {"momentum": -0.1}, {"eps": math.inf}):  # fmt: skip
        with pytest.raises(UsageError):
            Settings(**bad)
    with pytest.raises(UsageError, match="did you mean gd"):
        Settings("sgd")
    with pytest.raises(UsageError, match="line-search"):
        Settings("adam", line_search=True)
    with pytest.raises(UsageError, match="nesterov needs"):
        Settings("nesterov", momentum=0)


def test_rules_state_every_hyperparameter() -> None:
    s = Settings("adam", lr=0.02)
    assert s.describe() == "adam lr=0.02 beta1=0.9 beta2=0.999 eps=1e-08"
    assert "m̂ = m/(1−β1ᵗ)" in s.rule() and "√v̂ + eps" in s.rule()
    assert Settings(ascent=True).rule() == "x ← x + lr·∇f(x)"
    assert "Armijo" in Settings(line_search=True).rule()
    assert Settings("momentum").hyperparameters() == {"lr": 0.1, "momentum": 0.9}


def test_wrong_start_length() -> None:
    with pytest.raises(UsageError, match="needs 2 coordinates, got 3"):
        descend(compiled(x**2 + y**2), [[1, 2, 3]], [Settings()])


# --- recording, streaming, interruption ------------------------------------------------------------
def test_product_order_and_recording(lane: str) -> None:
    starts = [[3, 1], [1, 1]]
    s = [Settings(lr=0.1, steps=30), Settings("adam", lr=0.5, steps=30)]
    runs = descend(compiled(x**2 + y**2), starts, s, record_every=7)
    assert [(r.start.tolist(), r.method) for r in runs] == [
        ([3, 1], "gd"), ([3, 1], "adam"), ([1, 1], "gd"), ([1, 1], "adam")
    ]  # fmt: skip
    for r in runs:
        expected = [*range(0, r.iterations + 1, 7)]
        if expected[-1] != r.iterations:
            expected.append(r.iterations)
        assert r.steps.tolist() == expected
    summary = descend(compiled(x**2 + y**2), starts, s, summary_only=True)
    assert [len(r.steps) for r in summary] == [1, 1, 1, 1]
    assert [r.iterations for r in summary] == [r.iterations for r in runs]
    ends = descend(compiled(x**2 + y**2), starts, s, keep="ends")
    for r, full in zip(ends, descend(compiled(x**2 + y**2), starts, s)):
        k = len(full.steps)
        keep = [*range(min(k, 5)), *range(max(5, k - 5), k)]
        assert r.steps.tolist() == full.steps[keep].tolist()
        np.testing.assert_array_equal(r.path, full.path[keep])


def test_stream_order(lane: str) -> None:
    s = [Settings(lr=0.1, steps=40), Settings(lr=0.3, steps=40)]
    records = list(iter_descent(compiled(x**2 + y**2), [[3, 1], [1, 2], [2, 2]], s))
    keys = [(r.step, r.run) for r in records]
    assert keys == sorted(keys)  # step by step, runs in order within a step
    finals = [r for r in records if r.status is not None]
    assert sorted(r.run for r in finals) == list(range(6)) and all(r.reason for r in finals)
    summary = list(iter_descent(compiled(x**2 + y**2), [[3, 1], [1, 2], [2, 2]], s,
                                summary_only=True))  # fmt: skip
    assert [r.run for r in summary] == list(range(6)) and all(r.status for r in summary)


def test_interrupted_runs_report_what_ran(lane: str) -> None:
    descent = Descent(compiled(x**2 + y**2), [[3, 1]] * 6, [Settings(lr=1e-6, steps=10**6, tol=0)])
    stream = iter(descent)
    for _ in range(6 * 50):
        next(stream)
    runs = descent.runs()
    assert {r.status for r in runs} == {"interrupted"}
    assert all(r.reason.startswith("interrupted at step") for r in runs)
    assert all(r.iterations >= 49 and r.steps[-1] == r.iterations for r in runs)


def test_on_step_and_statuses() -> None:
    seen: list[tuple[int, int]] = []
    descent = Descent(compiled(x**2, (x,)), [[1.0]], [Settings(lr=0.25), Settings(lr=1.5)],
                      on_step=lambda t, active: seen.append((t, active)))  # fmt: skip
    descent.drain()
    assert seen[0] == (0, 2) and (30, 1) in seen and seen[-1] == (250, 0)
    assert [t for t, _ in seen] == list(range(251))
    assert descent.statuses() == ["converged", "diverged"]


def test_ulp_exact_division_by_zero_keeps_numpy_semantics(lane: str) -> None:
    # eps = 0 and a zero gradient component: 0/0. Python floats would raise; numpy gives nan.
    run = run1(x**2 + 0 * y, (1.0, 0.0), method="adam", eps=0.0, steps=3, tol=0)
    assert run.status == "diverged" and "not finite" in run.reason
