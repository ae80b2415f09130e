"""The many-run descent kernel's second round (issue 13): ∇f computed from unexpanded derivatives
(sharing f's sums), gd blocks that the a priori magnitude bounds clear (no f, no checks), and runs
planned as arrays. None of it may change where a run stops, its status, or (given the numeric code)
any number: the coasting lane is compared with the step-by-step loop bit for bit. Speed is
measured in benchmarks/bench_kernel.py, never here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.expr import parse
from gradcli.in_place import in_place
from gradcli.numeric import compile_function
from gradcli.optimize import Descent, Settings, plan_runs
from gradcli.optimize.bounds import magnitude_bound
from gradcli.optimize.coast import Coast
from gradcli.optimize.plans import LanePlans
from gradcli.optimize.vector import VectorLane

HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"


# --- ∇f for numbers: unexpanded, so cse shares f's sums -----------------------------------------
def _cse_ops(exprs: list[Any]) -> int:
    replacements, reduced = sympy.cse(exprs)
    return sum(sympy.count_ops(e) for _, e in replacements) + sum(
        sympy.count_ops(e) for e in reduced
    )


def test_the_numeric_gradient_keeps_fs_sums_and_costs_fewer_operations() -> None:
    compiled = compile_function(parse(HIMMELBLAU))
    x, y = compiled.fn.variables
    numeric, shown = compiled.numeric_gradient_exprs, compiled.gradient_exprs
    assert (
        any(isinstance(a, sympy.Add) and a == x + y**2 - 7 for a in numeric[0].atoms(sympy.Add))
        or (x + y**2 - 7) in numeric[0].args[0].args + numeric[0].args[1].args
    )
    for a, b in zip(numeric, shown):
        assert sympy.expand(a - b) == 0  # the same derivative
    f = compiled.fn.expr
    assert _cse_ops([f, *numeric]) < _cse_ops([f, *shown])  # 17 array operations, not 23


def test_the_displayed_gradient_is_unchanged() -> None:
    result = CliRunner().invoke(app, ["grad", HIMMELBLAU, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"2*(2*x**3 + 2*x*y - 21*x + y**2 - 7)"' in result.stdout
    assert '"2*(x**2 + 2*x*y + 2*y**3 - 13*y - 11)"' in result.stdout


def test_the_gradient_alone_in_place_is_boths_gradient_bit_for_bit() -> None:
    compiled = compile_function(parse("(1-x)**2+100*(y-x**2)**2+x*y**3"))
    make = in_place(compiled.both, 1)
    assert make is not None
    rng = np.random.default_rng(1)
    points = [rng.uniform(-3, 3, 50) for _ in range(2)]
    outs = [np.empty(50), np.empty(50)]
    make(50)(*points, *outs)
    for want, got in zip(compiled.both(*points)[1:], outs):
        assert np.array_equal(want, got)


# --- the magnitude bounds -----------------------------------------------------------------------
POLYNOMIALS = [
    HIMMELBLAU,
    "(1-x)**2+100*(y-x**2)**2",
    "x**3-3*x*y**2+0.5",
    "(x-y)**4/3-x*y+7",
    "x**2+pi*y/3",
    "-(x**5)+y**7-2.5*x*y",
]


@pytest.mark.parametrize("expr", POLYNOMIALS)
@pytest.mark.parametrize("reach", [0.5, 3.0, 40.0, 1e20])
def test_the_bounds_hold_everywhere_in_the_box(expr: str, reach: float) -> None:
    compiled = compile_function(parse(expr))
    bound = magnitude_bound(compiled.both)
    assert bound is not None
    rng = np.random.default_rng(7)
    inside = rng.uniform(-reach, reach, (400, 2))
    corners = np.array([[a, b] for a in (-reach, reach) for b in (-reach, reach)])
    points = np.vstack([inside, corners, corners * 0.999])
    with np.errstate(all="ignore"):
        f, *g = compiled.both(*points.T)
    top_f, top_g = bound(reach)
    assert np.all(np.abs(f) <= top_f)
    assert np.all(np.sum(np.abs(np.broadcast_arrays(*g)), axis=0) <= top_g)


@pytest.mark.parametrize(
    "expr", ["exp(x)+y", "sin(x)*y", "1/(x**2+y**2+1)", "sqrt(x**2+y**2+1)", "abs(x)+y**2"]
)
def test_no_bound_for_what_is_not_a_polynomial(expr: str) -> None:
    assert magnitude_bound(compile_function(parse(expr)).both) is None


def test_a_sum_of_a_thousand_terms_is_bounded_and_never_crashes_the_lowering() -> None:
    x, y = sympy.symbols("x y", real=True)
    f = sympy.Add(*[x ** (k % 40) * y ** (k // 40) for k in range(1050)])
    fn = sympy.lambdify([x, y], [f, x, y], modules="math")  # the code's shape is what counts
    bound = magnitude_bound(fn)
    assert bound is not None and bound(1.0) >= (1050, 2)
    assert in_place(fn) is None  # too deep to lower: the coast steps without it, no RecursionError


# --- coasting through cleared blocks ends every run as the loop does ----------------------------
def _runs(expr: str, starts: Any, settings: list[Settings], coast: bool, **kw: Any) -> Any:
    counts: list[int] = []
    with pytest.MonkeyPatch.context() as mp:
        if not coast:
            mp.setattr(VectorLane, "_coaster", lambda self, watched: None)
        count = Coast._count

        def spy(self: Coast, reach: float, lr: float) -> int:
            counts.append(count(self, reach, lr))
            return counts[-1]

        mp.setattr(Coast, "_count", spy)
        descent = Descent(compile_function(parse(expr)), starts, settings, **kw)
        descent.drain()
        return descent.runs(), descent.statuses(), counts


CASES = [
    (HIMMELBLAU, 6, [Settings(lr=0.01, steps=150, tol=0)]),
    # runs that diverge at different steps; two learning rates in one lane (lr per run)
    (HIMMELBLAU, 7, [Settings(lr=0.03, steps=80, tol=0), Settings(lr=0.012, steps=80, tol=0)]),
    # f outgrows 1e150 long before x does: the bounds must stop at f's bound
    ("x**8+y**2", 3, [Settings(lr=0.01, steps=60, tol=0)]),
    ("x**4-x**2+y**4", 40, [Settings(lr=0.2, steps=60, tol=0)]),
]


@pytest.mark.parametrize(("expr", "scale", "settings"), CASES)
@pytest.mark.parametrize(
    "options",
    [{"summary_only": True, "notes": False}, {"record_every": 7, "notes": False}],
    ids=["summary", "every-7"],
)
def test_cleared_blocks_end_every_run_as_the_loop_does(
    expr: str, scale: float, settings: list[Settings], options: dict[str, Any]
) -> None:
    starts = np.random.default_rng(5).uniform(-scale, scale, (30, 2))
    starts[0] = [scale * 1e9, 0.5]  # one run far out: the bounds clear nothing until it is gone
    fast, fast_statuses, counts = _runs(expr, starts, settings, True, **options)
    slow, slow_statuses, _ = _runs(expr, starts, settings, False, **options)
    assert any(counts)  # blocks really were cleared
    assert fast_statuses == slow_statuses == [r.status for r in slow]
    for a, b in zip(fast, slow):
        assert (a.status, a.iterations, a.reason) == (b.status, b.iterations, b.reason)
        for name in ("steps", "path", "values", "gradients", "norms"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name


def test_a_cleared_block_never_reaches_a_step_where_a_run_stops() -> None:
    # from |x| ≤ 5 Himmelblau's bounds clear a few steps at lr 0.01, none at an absurd lr
    coast = Coast(lambda size: lambda *a: None, 2, None, True)
    coast.bound = magnitude_bound(compile_function(parse(HIMMELBLAU)).both)
    assert 2 <= coast._count(5.0, 0.01) <= 8
    assert coast._count(5.0, 1e200) <= 1
    assert coast._count(1e149, 0.01) == 0


# --- runs as arrays -----------------------------------------------------------------------------
def test_planned_runs_are_the_product_start_major() -> None:
    starts = np.arange(8.0).reshape(4, 2)
    settings = [Settings(lr=0.1), Settings(method="adam"), Settings(lr=0.2)]
    plan = plan_runs(starts, settings, 2)
    assert len(plan) == 12
    listed = list(plan)
    assert [p.run for p in listed] == list(range(12))
    for p in listed:
        assert np.array_equal(p.start, starts[p.run // 3]) and p.settings is settings[p.run % 3]
    assert plan[-1].run == 11 and [p.run for p in plan[2:5]] == [2, 3, 4]
    with pytest.raises(IndexError):
        plan[12]
    gd = LanePlans(plan, [0, 2])
    assert list(gd) == [0, 2, 3, 5, 6, 8, 9, 11] and len(gd) == 8
    assert [gd.index(r) for r in gd] == list(range(8))
    assert 5 in gd and 4 not in gd and gd[5].settings is settings[2]
    assert np.array_equal(gd.starts, np.repeat(starts, 2, axis=0))
    with pytest.raises(KeyError):
        gd[4]


def test_settings_mixed_across_lanes_give_each_run_its_own_numbers() -> None:
    compiled = compile_function(parse(HIMMELBLAU))
    starts = np.random.default_rng(2).uniform(-4, 4, (9, 2))
    settings = [Settings(lr=0.01, steps=40), Settings(method="adam", steps=40), Settings(lr=0.02)]
    together = Descent(compiled, starts, settings, notes=False)
    together.drain()
    runs = together.runs()
    assert together.statuses() == [r.status for r in runs]
    for j, s in enumerate(settings):  # each setting alone: the same runs, the same numbers
        alone = Descent(compiled, starts, [s], notes=False)
        alone.drain()
        for i, run in enumerate(alone.runs()):
            mixed = runs[i * 3 + j]
            assert (mixed.status, mixed.iterations) == (run.status, run.iterations)
            assert np.array_equal(mixed.path, run.path)
