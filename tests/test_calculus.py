"""Calculus core: exact results, the finite-difference oracle, classification, level sets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gradcli import calculus
from gradcli.errors import MathError, UsageError
from gradcli.expr import parse
from gradcli.numeric import compile_function
from gradcli.points import parse_point
from gradcli.points.lines import parse_points


def P(text: str, fn):  # type: ignore[no-untyped-def]
    return parse_point(text, fn)


def test_gradient_of_the_bowl_at_3_1() -> None:
    fn = parse("x**2+y**2")
    result = calculus.gradient(fn, [P("3,1", fn), P("-2,-2", fn)])
    assert [str(g) for g in result.gradient] == ["2*x", "2*y"]
    first, second = result.points
    assert [g.exact for g in first.gradient] == [6, 2]
    assert first.norm.exact == 2 * sympy.sqrt(10)
    assert first.norm.value == pytest.approx(6.32455532)
    assert first.ascent == pytest.approx((6 / math.sqrt(40), 2 / math.sqrt(40)))
    assert first.descent == pytest.approx((-6 / math.sqrt(40), -2 / math.sqrt(40)))
    assert not first.stationary
    assert [g.exact for g in second.gradient] == [-4, -4]


def test_exact_arithmetic_is_kept_for_exact_points() -> None:
    fn = parse("x^2 + y^2")
    point = calculus.gradient(fn, [P("1/3,1", fn)]).points[0]
    assert point.gradient[0].exact == sympy.Rational(2, 3)
    assert point.value.exact == sympy.Rational(10, 9)


def test_one_variable_gradient_is_the_ordinary_derivative() -> None:
    fn = parse("x**2")
    result = calculus.gradient(fn, [P("3", fn), P("4", fn)])
    assert [p.gradient[0].exact for p in result.points] == [6, 8]


@pytest.mark.parametrize(
    ("text", "classification"),
    [
        ("x**2+y**2", "minimum"),
        ("-x**2-y**2", "maximum"),
        ("x**2-y**2", "saddle"),
        ("x**4+y**4", "degenerate"),
        ("x**2", "minimum"),
    ],
)
def test_stationary_points_are_classified_from_the_hessian(text: str, classification: str) -> None:
    fn = parse(text)
    origin = ",".join("0" for _ in fn.names)
    point = calculus.gradient(fn, [P(origin, fn)]).points[0]
    assert point.stationary
    assert point.classification == classification
    assert point.ascent is None


def test_directional_derivative_uses_the_normalised_direction() -> None:
    fn = parse("x*y")
    result = calculus.gradient(fn, [P("1,2", fn)], direction=P("3,4", fn))
    directional = result.points[0].directional
    assert directional is not None
    assert directional.direction == pytest.approx((0.6, 0.8))
    assert directional.value.value == pytest.approx(2 * 0.6 + 1 * 0.8)
    assert directional.value.exact == 2


def test_hessian_is_symbolic_and_numeric() -> None:
    fn = parse("x**2*y")
    result = calculus.gradient(fn, [P("1,2", fn)], with_hessian=True)
    assert result.hessian is not None
    assert [[str(h) for h in row] for row in result.hessian] == [["2*y", "2*x"], ["2*x", "0"]]
    assert result.points[0].hessian == ((4.0, 2.0), (2.0, 0.0))
    assert result.points[0].eigenvalues == pytest.approx(
        sorted(np.linalg.eigvalsh([[4, 2], [2, 0]]))
    )


def test_partial_orders_and_mixed_partials() -> None:
    fn = parse("x**3*y**2")
    assert calculus.partial(fn, ["x"]).derivative == 3 * fn.variables[0] ** 2 * fn.variables[1] ** 2
    assert calculus.partial(fn, ["x", "x"]).derivative == 6 * fn.variables[0] * fn.variables[1] ** 2
    mixed = calculus.partial(fn, ["x", "y"])
    assert mixed.derivative == 6 * fn.variables[0] ** 2 * fn.variables[1]
    assert mixed.notation == "∂²f/∂y∂x"
    assert calculus.partial(fn, ["x", "x"]).notation == "∂²f/∂x²"


def test_partial_check_shows_forward_and_central_differences() -> None:
    fn = parse("5*x")
    point = calculus.partial(fn, ["x"], [P("2", fn)], check=True, h=0.001).points[0]
    assert point.derivative.exact == 5
    assert point.check is not None
    assert point.check.h_forward == 0.001
    assert point.check.forward == pytest.approx(5, abs=1e-9)
    assert point.check.central == pytest.approx(5, abs=1e-9)


def test_forward_difference_error_is_order_h_and_central_order_h2() -> None:
    fn = parse("exp(x)")
    errors = []
    for h in (1e-2, 1e-3):
        c = calculus.partial(fn, ["x"], [P("1", fn)], check=True, h=h).points[0].check
        assert c is not None
        errors.append((c.forward_error, c.central_error))
    (f1, c1), (f2, c2) = errors
    assert f1 / f2 == pytest.approx(10, rel=0.1)
    assert c1 / c2 == pytest.approx(100, rel=0.1)


@pytest.mark.parametrize(
    ("text", "point", "reason"),
    [("1/x", "0", "undefined"), ("sqrt(x)", "-1", "not real"), ("log(x)", "0", "undefined")],
)
def test_undefined_points_are_math_errors(text: str, point: str, reason: str) -> None:
    fn = parse(text)
    with pytest.raises(MathError, match=reason):
        calculus.gradient(fn, [P(point, fn)])


def test_a_function_without_variables_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no variables"):
        calculus.gradient(parse("5"))


def test_critical_points_of_the_cubic_example() -> None:
    result = calculus.critical_points(parse("x**3 - 3*x + y**2"))
    found = {p.values: p.classification for p in result.points}
    assert found == {(-1.0, 0.0): "saddle", (1.0, 0.0): "minimum"}
    assert result.complete


def test_himmelblau_has_nine_stationary_points() -> None:
    result = calculus.critical_points(parse("(x**2+y-11)**2+(x+y**2-7)**2"))
    kinds = [p.classification for p in result.points]
    assert len(kinds) == 9
    assert kinds.count("minimum") == 4
    assert kinds.count("maximum") == 1
    assert kinds.count("saddle") == 4
    assert result.complete  # elimination (resultants) finds every root of a polynomial system
    assert result.method == "elimination"


def test_a_line_of_stationary_points_is_reported_as_a_family() -> None:
    result = calculus.critical_points(parse("(x-y)**2"))
    (line,) = result.families
    assert [sympy.sstr(e) for e in line.equations] == ["x - y"] and line.dimension == 1
    assert result.complete and not result.points


def test_level_set_through_1_1_is_the_circle_of_radius_root_2() -> None:
    fn = parse("x**2+y**2")
    result = calculus.level_set(fn, at=P("1,1", fn), samples=6)
    assert result.level.exact == 2
    assert {sympy.sstr(e) for _, e in result.branches} == {"sqrt(2 - x**2)", "-sqrt(2 - x**2)"}
    assert result.dot == pytest.approx(0, abs=1e-15)
    assert result.branch_angle == pytest.approx(90)
    assert len(result.samples) == 6
    for s in result.samples:
        assert s.point[0] ** 2 + s.point[1] ** 2 == pytest.approx(2)
        assert s.angle == pytest.approx(90, abs=1e-3)


def test_level_set_in_3d_gives_the_tangent_plane() -> None:
    fn = parse("x**2+y**2+z**2")
    result = calculus.level_set(fn, at=P("1,2,2", fn))
    assert result.level.exact == 9
    x, y, z = fn.variables
    te = result.tangent_equation  # written as a teacher would: x + 2y + 2z = 9
    assert sympy.simplify(2 * (te.lhs - te.rhs) - (2 * x + 4 * y + 4 * z - 18)) == 0


def test_points_from_stdin_lines() -> None:
    import io

    fn = parse("x+y")
    points = parse_points(["-"], fn, stdin=io.StringIO("1,2\n\n# comment\nx=3,y=pi\n"))
    assert [p.values for p in points] == [(1.0, 2.0), (3.0, math.pi)]
    with pytest.raises(UsageError, match="stdin line 1"):
        parse_points(["-"], fn, stdin=io.StringIO("1\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1", "expected 2 coordinates (x, y)"),
        ("1,z", "variable 'z'"),
        ("x=1", "missing y"),
        ("1,1/0", "division by zero"),
        ("w=1,x=2", "not a variable"),
        ("1,inf", "non-finite"),
    ],
)
def test_bad_points_name_the_expected_variables(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_point(text, parse("x+y"))
    assert message in info.value.one_line()


# --- the oracle: symbolic derivatives against central differences ------------------------------
_SAFE_ATOMS = st.sampled_from(["x", "y", "2", "3", "0.5", "(x+2)", "(y-1)"])
_SAFE_FUNCS = st.sampled_from(["sin", "cos", "exp", "atan", "tanh", "sigmoid", "softplus"])


def _safe_grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(
        lambda t: f"({t[0]}){t[1]}({t[2]})"
    )
    square = children.map(lambda c: f"({c})^2")
    call = st.tuples(_SAFE_FUNCS, children).map(lambda t: f"{t[0]}({t[1]})")
    return binary | square | call


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(_SAFE_ATOMS, _safe_grow, max_leaves=6),
    st.floats(-1.5, 1.5),
    st.floats(-1.5, 1.5),
)
def test_symbolic_gradient_matches_central_differences(text: str, a: float, b: float) -> None:
    fn = parse(text, vars="x,y")
    compiled = compile_function(fn)
    point = np.array([a, b])
    exact = compiled.gradient(point)
    value = compiled.value(point)
    assume(np.all(np.isfinite(exact)) and np.isfinite(value) and abs(value) < 1e6)
    h = 1e-5
    for i in range(2):
        step = np.zeros(2)
        step[i] = h
        central = (compiled.value(point + step) - compiled.value(point - step)) / (2 * h)
        scale = 1 + abs(exact[i]) + abs(value)
        assert central == pytest.approx(exact[i], abs=1e-5 * scale)


def test_runaway_derivatives_are_stopped_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gradcli import symbolic
    from gradcli.calculus import derivatives
    from gradcli.errors import TimeLimitError

    fn = parse("exp(x*y)*sin(x*y)**20*cos(x+y)**30")
    monkeypatch.setattr(derivatives, "DIFF_SECONDS", 0.3)
    with pytest.raises(TimeLimitError, match="took longer than"):
        calculus.partial(fn, ["x"] * 20)
    monkeypatch.setattr(symbolic, "MAX_DERIVATIVE_OPS", 50)
    with pytest.raises(TimeLimitError, match="operations"):
        calculus.partial(fn, ["x"] * 2)


def test_long_formulas_are_cut_in_tables_only() -> None:
    from gradcli.views.text import MAX_SHOWN, pretty

    big = sympy.expand((sympy.Symbol("x") + sympy.Symbol("y") + 1) ** 40)
    shown = pretty(big)
    assert len(shown) < MAX_SHOWN + 80 and "--format json has all of it" in shown
