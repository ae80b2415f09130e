"""Named functions: each formula parses, and its listed minima really are minima with those values."""

from __future__ import annotations

import json
from typing import Any

import numpy
import pytest
import sympy

from gradcli.errors import UsageError
from gradcli.expr import parse
from gradcli.presets import PRESETS, Preset, expand, get, lookup, names

REQUIRED = {
    "bowl",
    "ravine",
    "saddle",
    "monkey_saddle",
    "plateau",
    "rosenbrock",
    "himmelblau",
    "beale",
    "booth",
    "matyas",
    "rastrigin",
    "three_hump_camel",
    "mccormick",
    "styblinski_tang",
}
KNOWN_GLOBAL = {  # literature values of the global minimum (McCormick: on its usual box)
    "bowl": 0.0,
    "ravine": 0.0,
    "plateau": 0.0,
    "rosenbrock": 0.0,
    "himmelblau": 0.0,
    "beale": 0.0,
    "booth": 0.0,
    "matyas": 0.0,
    "rastrigin": 0.0,
    "three_hump_camel": 0.0,
    "mccormick": -1.9133,
    "styblinski_tang": -39.16617 * 2,
}


def _calculus(preset: Preset) -> tuple[sympy.Expr, list[sympy.Symbol], sympy.Matrix, sympy.Matrix]:
    fn = parse(preset.formula)
    assert fn.names == ("x", "y"), preset.name
    vs = list(fn.variables)
    grad = sympy.Matrix([sympy.diff(fn.expr, v) for v in vs])
    return fn.expr, vs, grad, sympy.hessian(fn.expr, vs)


def test_every_required_preset_exists() -> None:
    assert set(names()) >= REQUIRED
    assert len(set(names())) == len(PRESETS)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_preset_is_well_formed(preset: Preset) -> None:
    (x0, x1), (y0, y1) = preset.range
    assert x0 < x1 and y0 < y1
    assert x0 <= preset.start[0] <= x1 and y0 <= preset.start[1] <= y1
    assert len(preset.minima) == len(preset.values)
    for mx, my in preset.minima:
        assert x0 <= mx <= x1 and y0 <= my <= y1, (preset.name, mx, my)
    assert preset.description and preset.title
    assert expand(f"@{preset.name}") == preset.formula


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_listed_minima_are_stationary_minima_with_the_listed_values(preset: Preset) -> None:
    expr, vs, grad, hess = _calculus(preset)
    for (mx, my), value in zip(preset.minima, preset.values):
        at = {vs[0]: sympy.Float(mx, 30), vs[1]: sympy.Float(my, 30)}
        g = [float(c.evalf(30, subs=at)) for c in grad]
        scale = max(1.0, float(max(abs(h) for h in hess.evalf(30, subs=at))))
        assert max(map(abs, g)) < 1e-8 * scale, (preset.name, (mx, my), g)
        eigen = numpy.linalg.eigvalsh(numpy.array(hess.evalf(30, subs=at).tolist(), dtype=float))
        assert min(eigen) > 0, (preset.name, (mx, my), eigen)  # positive definite: a strict minimum
        assert abs(float(expr.evalf(30, subs=at)) - value) < 1e-9, (preset.name, (mx, my))


@pytest.mark.parametrize("name", sorted(KNOWN_GLOBAL))
def test_global_minimum_value_is_the_known_one(name: str) -> None:
    preset = get(name)
    assert min(preset.values) == pytest.approx(KNOWN_GLOBAL[name], abs=1e-4)
    if name != "himmelblau":  # four equal minima there, checked below
        assert preset.global_minima == (preset.minima[0],)


def test_himmelblau_has_four_global_minima() -> None:
    assert len(get("himmelblau").global_minima) == 4


def test_exact_minima_where_known() -> None:
    mc = get("mccormick").minima[0]
    pi = sympy.pi.evalf(20)
    assert mc == pytest.approx((float(0.5 - pi / 3), float(-0.5 - pi / 3)), abs=1e-11)


@pytest.mark.parametrize(
    ("name", "signs"),
    [("saddle", (-1, 1)), ("monkey_saddle", (0, 0))],
)
def test_saddles_have_no_minimum_and_the_origin_is_what_the_notes_say(
    name: str, signs: tuple[int, int]
) -> None:
    preset = get(name)
    assert preset.minima == () and preset.global_minima == ()
    _, vs, grad, hess = _calculus(preset)
    origin = {vs[0]: 0, vs[1]: 0}
    assert list(grad.subs(origin)) == [0, 0]
    eigen = numpy.linalg.eigvalsh(numpy.array(hess.subs(origin).tolist(), dtype=float))
    eigen = sorted(int(numpy.sign(e)) for e in eigen)
    assert tuple(eigen) == signs  # indefinite (saddle) or all zero (degenerate)


def test_rastrigin_has_local_minima_off_the_listed_one() -> None:
    """The notes promise a dimple near every integer point: check one really is a local minimum."""
    _, vs, grad, hess = _calculus(get("rastrigin"))
    root = sympy.nsolve(grad[0].subs(vs[1], 0), vs[0], 1)
    at = {vs[0]: root, vs[1]: 0}
    assert all(numpy.linalg.eigvalsh(numpy.array(hess.subs(at).evalf().tolist(), dtype=float)) > 0)


@pytest.mark.parametrize(
    "spelling",
    ["@three-hump-camel", "@Three_Hump_Camel", "@THREEHUMPCAMEL", " @three-hump-camel ", "@camel"],
)
def test_spellings(spelling: str) -> None:
    assert expand(spelling) == get("three_hump_camel").formula
    found = lookup(spelling)
    assert found is not None and found.name == "three_hump_camel"


def test_styblinski_tang_with_an_en_dash() -> None:
    assert get("Styblinski–Tang").name == "styblinski_tang"


def test_expand_leaves_plain_expressions_alone() -> None:
    assert expand("x**2 + y**2") is None
    assert lookup("x**2") is None


def test_preset_inside_a_longer_expression_is_bracketed() -> None:
    assert expand("@bowl + 0.1*x") == "(x**2 + y**2) + 0.1*x"
    assert expand("2*@three_hump_camel") == f"2*({get('three_hump_camel').formula})"
    assert parse(expand("@bowl*@saddle") or "").expr == (parse("(x**2+y**2)*(x**2-y**2)").expr)


def test_unknown_name_suggests_close_ones() -> None:
    with pytest.raises(UsageError) as info:
        expand("@rosenbrok")
    assert info.value.exit_code == 2
    assert "unknown function @rosenbrok" in info.value.message
    assert "@rosenbrock" in (info.value.hint or "")


def test_unknown_name_without_close_ones_lists_all() -> None:
    with pytest.raises(UsageError) as info:
        get("@zzzzzz")
    assert "@bowl" in (info.value.hint or "") and "@styblinski_tang" in (info.value.hint or "")


# --- the `gradcli functions` command --------------------------------------------------------------


def _run(*args: str) -> Any:
    from typer.testing import CliRunner

    from gradcli.cli import app

    return CliRunner().invoke(app, list(args))


def test_functions_lists_every_preset_as_json() -> None:
    result = _run("functions", "--format", "json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert [f["name"] for f in record["functions"]] == names()
    rosen = next(f for f in record["functions"] if f["name"] == "rosenbrock")
    assert rosen["start"] == {"x": -1.2, "y": 1.0}
    assert rosen["minima"] == [{"at": {"x": 1.0, "y": 1.0}, "value": 0.0, "global": True}]
    assert rosen["range"] == {"x": [-2.0, 2.0], "y": [-1.0, 3.0]}


def test_functions_table_shows_name_formula_range_start_minima() -> None:
    result = _run("functions")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1]
    assert header.split() == ["name", "formula", "range", "start", "minima"]
    assert "rosenbrock" in result.stdout and "himmelblau" in result.stdout


def test_functions_name_shows_one_in_detail() -> None:
    result = _run("functions", "Three-Hump-Camel")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "@three_hump_camel" in out and get("three_hump_camel").formula in out
    kinds = [line.split()[-1] for line in out.splitlines() if line[:1].isdigit()]
    assert kinds == ["global", "local", "local"]


def test_functions_name_as_json_and_latex() -> None:
    record = json.loads(_run("functions", "@himmelblau", "-f", "json").stdout)
    assert record["name"] == "himmelblau" and len(record["minima"]) == 4
    tex = _run("functions", "booth", "--format", "latex").stdout.strip()
    assert tex.startswith("f(x, y) = ") and "^{2}" in tex


def test_functions_unknown_name_is_a_usage_error_with_a_hint() -> None:
    result = _run("functions", "rosenbrok")
    assert result.exit_code == 2
    assert "did you mean @rosenbrock?" in result.stderr
