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
