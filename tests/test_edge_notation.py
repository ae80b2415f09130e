"""Issue 10, notation: the tables' Unicode printer writes the non-smooth functions as people do —
H(x), δ(x), relu(x), max(…), min(…), sign(x) — the same way the explainer does, and says what H(0)
is where a formula holds a step whose value at 0 is not heaviside's ½ (relu′, as in PyTorch)."""

from __future__ import annotations

import json

import pytest
import sympy
from typer.testing import CliRunner

from gradcli.calculus.explain.notation import formula
from gradcli.calculus.notation import UnicodePrinter, step_footnote
from gradcli.cli import app
from gradcli.expr.grammar import relu_function

runner = CliRunner()
x, y = sympy.symbols("x y", real=True)
relu = relu_function()


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (sympy.Heaviside(x), "H(x)"),
        (sympy.Heaviside(x, 0), "H(x)"),
        (sympy.Heaviside(x - y), "H(x - y)"),
        (sympy.DiracDelta(x), "δ(x)"),
        (2 * sympy.DiracDelta(x), "2δ(x)"),
        (sympy.DiracDelta(x, 1), "δ′(x)"),
        (sympy.DiracDelta(x, 4), "δ⁽⁴⁾(x)"),
        (sympy.Max(0, x), "max(0, x)"),
        (sympy.Min(x, y, 3), "min(3, x, y)"),
        (relu(x) * y, "y·relu(x)"),
        (sympy.sign(x), "sign(x)"),
    ],
)
def test_table_printer_writes_non_smooth_functions_by_name(expr: object, text: str) -> None:
    assert UnicodePrinter().text(expr) == text
    # the explainer's voice agrees (its only differences: a real minus sign, ln, 1/x)
    assert formula(expr) == text.replace("-", "−")


def test_step_footnote_only_where_h0_is_not_one_half() -> None:
    assert step_footnote([sympy.Heaviside(x) + sympy.Heaviside(x - y)]) is None
    assert step_footnote([x**2]) is None
    assert step_footnote([sympy.Heaviside(x, 0) + sympy.Heaviside(x - y)]) == (
        "H is the unit step (1 above 0, 0 below); H(0) = 0 in H(x); ½ in H(x - y)"
    )


def test_partial_table_prints_steps_and_says_what_h0_is() -> None:
    result = runner.invoke(app, ["partial", "relu(x)+max(x,y)", "--wrt", "x", "--at", "0,0"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "∂f/∂x      H(x) + H(x - y)\n" in out
    shown = out.split("\n", 1)[1]  # the 'function' line echoes the input in sympy syntax
    assert "Heaviside" not in shown and "Max(" not in shown
    assert "H is the unit step (1 above 0, 0 below); H(0) = 0 in H(x); ½ in H(x - y)" in out
    assert "a kink of relu(x), max(x, y);" in out


def test_grad_table_prints_deltas() -> None:
    result = runner.invoke(app, ["grad", "sign(x)+abs(y)", "--hessian", "--vars", "x,y"])
    assert result.exit_code == 0, result.stderr
    assert "∇f         (2δ(x), sign(y))" in result.stdout
    assert "Hessian    [2δ′(x), 0; 0, 2δ(y)]" in result.stdout
    assert "DiracDelta" not in result.stdout


def test_machine_formats_keep_sympy_text() -> None:
    result = runner.invoke(app, ["partial", "relu(x)", "--wrt", "x", "--format", "json"])
    assert json.loads(result.stdout)["derivative"] == "Heaviside(x, 0)"
