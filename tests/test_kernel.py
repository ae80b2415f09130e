"""The descent kernel: f and ∇f evaluated together (lambdify's cse shares their common
subexpressions) equal f and ∇f apart; and the vector lane (many runs on numpy rows) agrees run for
run with the scalar loop (one run on Python floats)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.expr import parse
from gradcli.numeric import compile_function
from gradcli.optimize import Settings, descend

HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"
FUNCTIONS = [
    HIMMELBLAU,
    "(1-x)**2+100*(y-x**2)**2",
    "sin(x)*exp(-y)+sqrt(x**2+y**2)",
    "abs(x)+relu(y)-max(x,y)",
    "x**3*sin(x)+exp(2*x)/(1+x**2)",
    "sigmoid(10*x)+y**2",
    "log(x)**2+y**2",
    "x+0*y",
    "cbrt(x)*y+sign(x)",
    "x**2+2*y**2+3*z**2+x*y*z",
    "atan2(y,x)+softplus(x)",
    "2*pi*x+e",
    "min(x,y)**2+x**y",
    "heaviside(x)+x",
    "x**-2+y**0.5+x**(1/3)",
]
EDGES = [0.0, -0.0, 1.0, -1.0, 1e-300, -1e300, 1e160, math.inf, -math.inf, math.nan, 0.5]


def points(n: int, seed: int, count: int = 300) -> np.ndarray[Any, Any]:
    """Random coordinates plus every edge value in every coordinate: (n, count + len(EDGES))."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(scale=4.0, size=(n, count))
    edges = np.array([np.roll(EDGES, k) for k in range(n)])
    return np.ascontiguousarray(np.hstack([rows, edges]))


def as_rows(values: Any, count: int) -> np.ndarray[Any, Any]:
    return np.array([np.broadcast_to(np.asarray(v, dtype=float), (count,)) for v in values])


@pytest.mark.parametrize("text", FUNCTIONS)
def test_f_and_grad_together_equal_f_and_grad_apart(text: str) -> None:
    """The cse-shared evaluation of [f, ∇f] is the separately compiled f and ∇f (at finite points:
    sharing may regroup a sum, and ∞ − ∞ depends on the grouping)."""
    compiled = compile_function(parse(text))
    x = np.ascontiguousarray(points(compiled.n, seed=7)[:, :300])
    count = x.shape[1]
    with np.errstate(all="ignore"):
        together = as_rows(compiled.both(*x), count)
        value = compiled.value(x.T)
        gradient = compiled.gradient(x.T)
    apart = np.vstack([value[None, :], gradient.T])
    np.testing.assert_allclose(together, apart, rtol=1e-12, atol=1e-300, equal_nan=True)


# --- the vector lane and the scalar loop agree run for run ----------------------------------------
ARRAY_FIELDS = ("steps", "path", "values", "gradients", "norms", "step_sizes", "line_steps")


def same_run(a: Any, b: Any) -> None:
    """The same run from the two lanes. Exact where the arithmetic is (status, steps taken, the
    notes' counts); the numbers to 1e-9: Python's float ** (libm's pow) and numpy's power can
    differ in the last bit (x**2 as pow(x, 2) vs x·x), as they did before the kernel."""
    assert (a.status, a.iterations) == (b.status, b.iterations)
    for name in ARRAY_FIELDS:
        left, right = getattr(a, name), getattr(b, name)
        if left is None or right is None:
            assert left is None and right is None, name
            continue
        np.testing.assert_allclose(
            np.asarray(left, float), np.asarray(right, float), rtol=1e-9, atol=1e-12,
            equal_nan=True, err_msg=name,
        )  # fmt: skip


def alone_and_together(text: str, starts: list[list[float]], options: Settings) -> None:
    """Each start descended alone (the scalar lane) and all of them together (the vector lane)."""
    compiled = compile_function(parse(text))
    together = descend(compiled, starts, [options])
    for start, run in zip(starts, together):
        (alone,) = descend(compiled, [start], [options])
        same_run(alone, run)


CASES = [
    (HIMMELBLAU, dict(lr=0.01, steps=60)),
    (HIMMELBLAU, dict(lr=0.05, steps=40, tol=1e-3)),  # some converge, some diverge: runs leave
    ("(1-x)**2+100*(y-x**2)**2", dict(method="adam", lr=0.05, steps=50)),
    ("(1-x)**2+100*(y-x**2)**2", dict(method="momentum", lr=0.001, steps=50)),
    ("(1-x)**2+100*(y-x**2)**2", dict(method="nesterov", lr=0.001, steps=50)),
    ("x**2+3*y**2", dict(method="adagrad", lr=0.5, steps=50, eps=0.0)),
    ("x**2+3*y**2", dict(method="rmsprop", lr=0.01, steps=50)),
    ("x**2+y**2", dict(lr=1.5, steps=30)),  # diverges
    ("sqrt(x)+y**2", dict(lr=2.0, steps=10)),  # NaN
    ("sin(x)*cos(y)", dict(lr=0.1, steps=40, ascent=True)),
    ("abs(x)+abs(y)", dict(lr=0.3, steps=30)),
    ("(1-x)**2+100*(y-x**2)**2", dict(lr=1.0, steps=30, line_search=True)),
    ("x**2+2*y**2+3*z**2+x*y*z", dict(method="adam", lr=0.05, steps=40)),
]


@pytest.mark.parametrize(("text", "options"), CASES)
def test_vector_lane_equals_scalar_loop(text: str, options: dict[str, Any]) -> None:
    n = len(parse(text).variables)
    rng = np.random.default_rng(3)
    low = 0.1 if text.startswith("sqrt") else -3.0
    starts = rng.uniform(low, 3.0, size=(7, n)).tolist()
    alone_and_together(text, starts, Settings(**options))


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    method=st.sampled_from(["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]),
    lr=st.sampled_from([1e-3, 0.01, 0.05, 0.2]),
    tol=st.sampled_from([0.0, 1e-6, 1e-2]),
    ascent=st.booleans(),
    coordinates=st.lists(
        st.floats(-6, 6, allow_nan=False, allow_infinity=False), min_size=10, max_size=10
    ),
)
@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_vector_lane_equals_scalar_loop_property(
    method: str, lr: float, tol: float, ascent: bool, coordinates: list[float]
) -> None:
    starts = [coordinates[i : i + 2] for i in range(0, 10, 2)]
    options = Settings(method=method, lr=lr, tol=tol, steps=25, ascent=ascent)
    text = "-(" + HIMMELBLAU + ")" if ascent else HIMMELBLAU
    alone_and_together(text, starts, options)


def test_summary_csv_of_many_starts_is_each_start_alone() -> None:
    """What a user sees: the --summary rows of 6 starts piped in (one vector lane) are the rows
    of each start descended on its own (the scalar loop), to the last bits of pow (see same_run)."""
    runner = CliRunner()
    starts = ["0,0", "-1,1", "3.5,-2", "4,4", "-4,-3.5", "0.3,2.7"]
    args = ["descend", HIMMELBLAU, "--lr", "0.02", "--steps", "200", "--summary", "-f", "csv"]
    many = runner.invoke(app, [*args, "--from", "-"], input="\n".join(starts) + "\n")
    assert many.exit_code == 0, many.output
    rows = many.stdout.splitlines()
    assert len(rows) == 1 + len(starts)
    status = rows[0].split(",").index("status")  # then the start and the end point's kind
    for k, start in enumerate(starts, 1):
        alone = runner.invoke(app, [*args, "--from", start])
        assert alone.exit_code == 0, alone.output
        _, row = alone.stdout.splitlines()
        mine, theirs = rows[k].split(","), row.split(",")
        assert mine[0] == str(k) and mine[1:4] == theirs[1:4] and mine[status:] == theirs[status:]
        np.testing.assert_allclose(
            [float(v) for v in mine[4:status]], [float(v) for v in theirs[4:status]], rtol=1e-9
        )
