"""The exact value at a point does not depend on how fast the machine is.

``tidy`` used to run ``sympy.simplify`` under a CPU-time bound on every exact value; on values with
sin, exp, log … of numbers its heuristics take half a second and more (x³·sin x + e^{2x}/(1+x²) at
33/25), so which form was printed depended on whether they finished in time. Such values are now
factored, which is deterministic and takes milliseconds."""

from __future__ import annotations

from typing import Any

import pytest
import sympy as sp

from gradcli.calculus import evaluate
from gradcli.calculus.evaluate import tidy

x = sp.Symbol("x")


@pytest.fixture
def no_simplify(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("simplify ran on a transcendental constant")

    monkeypatch.setattr(sp, "simplify", refuse)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # simplify's own answers on these, kept: the factored denominator, the one fraction
        (sp.E / (1 + 2 * sp.E + sp.exp(2)), "E/(1 + E)**2"),
        (  # exp(66/25) is exp(1/25)⁶⁶: outside factor's box (40-200 ms), so the sum, always
            (x**3 * sp.sin(x) + sp.exp(2 * x) / (1 + x**2)).subs(x, sp.Rational(33, 25)),
            "35937*sin(33/25)/15625 + 625*exp(66/25)/1714",
        ),
        (  # inside it: the one fraction factor makes
            (x**3 * sp.sin(x) + sp.exp(2 * x) / (1 + x**2)).subs(x, sp.Rational(7, 5)),
            "(25382*sin(7/5) + 3125*exp(14/5))/9250",
        ),
        (sp.log(2) + sp.log(3), "log(2) + log(3)"),  # nothing shorter: left as it is
    ],
)
def test_transcendental_constants_are_factored_not_simplified(
    no_simplify: None, value: Any, expected: str
) -> None:
    assert str(tidy(value)) == expected  # as printed: sympy distributes a number over a sum


def test_algebraic_values_still_get_simplify(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    real = evaluate.simplest
    monkeypatch.setattr(evaluate, "simplest", lambda e, s=0.5: seen.append(e) or real(e, s))
    value = sp.sqrt(2) / (1 + sp.sqrt(2)) + sp.Rational(1, 3)
    tidy(value)
    assert seen == [value]


def test_a_root_over_a_large_exponent_is_not_factored(monkeypatch: pytest.MonkeyPatch) -> None:
    """‖∇f‖ of sin(x)·e^y at (−0.412, 1.5374) is √ of a sum with exp(7687/5000) in it: one
    generator √(…) to the first power on the outside, exp(1/5000)^7687 inside, which factor
    factors on its own (0.5 s, every point, until its bound ran out). The box now sees the root's
    base, and the exponent is read off the exp without building the polynomial."""
    y = sp.Symbol("y")
    grad = [sp.cos(x) * sp.exp(y) + 3 * x**2 * y, sp.sin(x) * sp.exp(y) + x**3]
    at = {x: sp.Rational(-103, 250), y: sp.Rational(7687, 5000)}
    norm = sp.sqrt(sum(g.subs(at) ** 2 for g in grad))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("factor ran outside its box")

    monkeypatch.setattr(sp, "factor", refuse)
    monkeypatch.setattr(sp, "Poly", refuse)  # refused before any dense polynomial is built
    assert not evaluate._factors_fast(norm)
    assert tidy(norm) == norm


def test_a_root_inside_the_box_is_still_factored(monkeypatch: pytest.MonkeyPatch) -> None:
    value = sp.sqrt(2 * sp.exp(sp.Rational(3, 2)) + 4 * sp.sin(1))
    factored = []
    factor = sp.factor

    def spy(e: Any) -> Any:
        factored.append(e)
        return factor(e)

    monkeypatch.setattr(sp, "factor", spy)
    assert evaluate._factors_fast(value)
    # factored (√2·√(2 sin 1 + e^{3/2})), and kept as it was: the factored form has more operations
    assert str(tidy(value)) == "sqrt(4*sin(1) + 2*exp(3/2))"
    assert factored == [value]
