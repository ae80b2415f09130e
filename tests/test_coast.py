"""The fast paths of a many-run descent change no number: the in-place evaluator gives ∇f and f bit
for bit, a coasting lane stops every run at the same step with the same status, records and notes
as the step-by-step loop, and the CSV text is what csv writes. (Speed is in benchmarks/.)"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.expr import parse
from gradcli.in_place import in_place
from gradcli.numeric import compile_function
from gradcli.optimize import Descent, Settings
from gradcli.optimize.coast import Coast, plain
from gradcli.optimize.vector import VectorLane

HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"


@pytest.mark.parametrize(
    "expr",
    [
        HIMMELBLAU,
        "(1-x)**2+100*(y-x**2)**2",
        "sin(x)*exp(-y)+x**3",
        "abs(x)+relu(y)",
        "sqrt(x**2+y**2+1)",
        "x**2+pi*y/3",
        "max(x,y)+x*y",
        "log(1+x**2)*cos(y)-2**x",
        "1/(x**2+y**2+0.1)",
        "x+y",
    ],
)
def test_the_in_place_evaluator_gives_the_lambdified_numbers_bit_for_bit(expr: str) -> None:
    compiled = compile_function(parse(expr))
    make = in_place(compiled.both)
    assert make is not None
    rng = np.random.default_rng(0)
    size = 64
    points = [rng.uniform(-3, 3, size) for _ in range(compiled.n)]
    points[0][:3] = [0.0, np.nan, np.inf]  # kinks and non-finite values too
    outs = [np.empty(size) for _ in range(compiled.n + 1)]
    evaluate = make(size)
    with np.errstate(all="ignore"):
        expected = compiled.both(*points)
        evaluate(*points, *outs)
        evaluate(*points, *outs)  # the buffers are reused: a second call gives the same
    for want, got in zip(expected, outs):
        assert np.array_equal(np.broadcast_to(want, (size,)), got, equal_nan=True)


def _runs(expr: str, starts: Any, settings: list[Settings], coast: bool, **kw: Any) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        if not coast:
            mp.setattr(VectorLane, "_coaster", lambda self, watched: None)
        taken = [0]
        run = Coast.run

        def counted(self: Coast, *args: Any) -> Any:
            out = run(self, *args)
            taken[0] += out[3]
            return out

        mp.setattr(Coast, "run", counted)
        descent = Descent(compile_function(parse(expr)), starts, settings, **kw)
        descent.drain()
        return descent.runs(), taken[0]


CASES = [
    # runs that diverge at different steps, two learning rates in one lane, tol > 0
    (HIMMELBLAU, 6, [Settings(lr=0.01, steps=120, tol=1e-6), Settings(lr=0.03, steps=90)]),
    (
        HIMMELBLAU,
        6,
        [Settings(method=m, lr=0.01, steps=60, tol=1e-8) for m in ("momentum", "adam")],
    ),
    # large but legal values: the dot does not clear them, the loop decides every step
    ("-(x**2) - y**2 + 1e149", 3, [Settings(lr=0.1, steps=40, tol=1e-9)]),
    ("-(x**2) - y**2", 3, [Settings(lr=0.1, steps=60, tol=1e-4, ascent=True)]),
    ("x**2 + y**2", 3, [Settings(lr=0.1, steps=40, tol=1e-300)]),  # a tol whose square underflows
    ("x**2", 3, [Settings(lr=1.1, steps=5000, tol=0)]),  # diverges by growing past 1e150
]


@pytest.mark.parametrize(("expr", "scale", "settings"), CASES)
@pytest.mark.parametrize(
    "options",
    [
        {"summary_only": True, "notes": False},
        {"record_every": 7, "keep": "recorded", "notes": False},
    ],
    ids=["summary", "every-7"],
)
def test_a_coasting_lane_ends_every_run_as_the_loop_does(
    expr: str, scale: float, settings: list[Settings], options: dict[str, Any]
) -> None:
    n = len(parse(expr).variables)
    starts = np.random.default_rng(3).uniform(-scale, scale, (24, n))
    fast, coasted = _runs(expr, starts, settings, True, **options)
    slow, _ = _runs(expr, starts, settings, False, **options)
    if "1e149" not in expr:
        assert coasted > 0  # the fast path really ran
    for a, b in zip(fast, slow):
        assert (a.status, a.iterations, a.reason) == (b.status, b.iterations, b.reason)
        for name in ("steps", "path", "values", "gradients", "norms"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
        assert [str(f) for f in a.findings] == [str(f) for f in b.findings]


def test_settings_a_coast_does_not_know_turn_it_off() -> None:
    assert plain(Settings(lr=0.3, method="adam", tol=0, steps=9, ascent=True))
    # what a field added to Settings later (a schedule, weight decay ...) looks like to the coast
    more = dataclasses.make_dataclass(
        "More", [("decay", float, dataclasses.field(default=0.0))], bases=(Settings,), frozen=True
    )
    assert plain(more())
    assert not plain(more(decay=0.1))


def test_descend_csv_is_what_the_csv_module_writes() -> None:
    runner = CliRunner()
    args = ["descend", "exp(x**2)", "--from", "3", "--from", "0.1", "--lr", "1", "--steps", "30"]
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert out.getvalue() == result.stdout  # csv's own quoting and numbers, row for row
    assert rows[-1][-1] == "diverged" and rows[-1][5] == ""  # f overflowed: an empty cell
    assert rows[1][:5] == ["1", "gd", "1.0", "0", "3.0"]
