"""The safe parser: what it understands, what it refuses, and that refusing is immediate."""

from __future__ import annotations

import builtins

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcli.errors import GradcliError, ParseError, UsageError
from gradcli.expr import MAX_LENGTH, parse, parse_constant
from gradcli.expr.grammar import relu_function

x, y, z = sympy.symbols("x y z", real=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x**2+y**2", x**2 + y**2),
        ("x^2 + y^2", x**2 + y**2),
        ("x² + y²", x**2 + y**2),
        ("3x y + 2x", 3 * x * y + 2 * x),
        ("2(x+1)", 2 * (x + 1)),
        ("(x+1)(x-1)", (x + 1) * (x - 1)),
        ("x·y×z − 1", x * y * z - 1),
        ("√x + √(y+1)", sympy.sqrt(x) + sympy.sqrt(y + 1)),
        ("π x", sympy.pi * x),
        ("e^x", sympy.exp(x)),
        ("E*x", sympy.E * x),
        ("0.5*x**2", x**2 / 2),
        ("1e-3*x", x / 1000),
        ("x⁻¹", 1 / x),
        ("sin(x)cos(y)", sympy.sin(x) * sympy.cos(y)),
        ("log(x, 2)", sympy.log(x) / sympy.log(2)),
        ("log10(x)", sympy.log(x) / sympy.log(10)),
        ("ln(x)", sympy.log(x)),
        ("abs(x)", sympy.Abs(x)),
        ("min(x, y)", sympy.Min(x, y)),
        ("max(x, y, 0)", sympy.Max(x, y, 0)),
        ("atan2(y, x)", sympy.atan2(y, x)),
        ("sigmoid(x)", 1 / (1 + sympy.exp(-x))),
        ("relu(x)", relu_function()(x)),  # its own class: relu'(0) = 0, as torch.relu
        ("softplus(x)", sympy.log(1 + sympy.exp(x))),
        ("-x**2", -(x**2)),
        ("2**-1*x", x / 2),
    ],
)
def test_accepted_syntax_builds_the_expected_expression(text: str, expected: sympy.Expr) -> None:
    assert sympy.simplify(parse(text).expr - expected) == 0


def test_special_sympy_names_are_plain_real_variables() -> None:
    fn = parse("beta + gamma + lambda + I + N + S + Q + O + zeta")
    assert set(fn.names) == {"beta", "gamma", "lambda", "I", "N", "S", "Q", "O", "zeta"}
    assert all(v.is_real and v.is_Symbol for v in fn.variables)
    assert sympy.diff(fn.expr, fn.variables[fn.names.index("lambda")]) == 1


def test_greek_letters_become_their_names() -> None:
    assert parse("λ*α").names == ("alpha", "lambda")


def test_variables_are_in_natural_order_unless_vars_says_otherwise() -> None:
    assert parse("x10 + x2 + x1").names == ("x1", "x2", "x10")
    assert parse("x + y", vars="y,x").names == ("y", "x")
    assert parse("x**2", vars="x,y").names == ("x", "y")
    with pytest.raises(UsageError, match="vars does not list"):
        parse("x + y", vars="x")


def test_let_substitutes_constants_before_anything_else() -> None:
    fn = parse("a*x**2 + b", let="a=2,b=1/2")
    assert fn.names == ("x",)
    assert fn.expr == 2 * x**2 + sympy.Rational(1, 2)


def test_cbrt_is_the_real_cube_root() -> None:
    fn = parse("cbrt(x)")
    assert fn.expr.subs(x, -8) == -2
    assert sympy.diff(fn.expr, x).subs(x, 8) == sympy.Rational(1, 12)


def test_decimal_literals_are_exact() -> None:
    assert parse_constant("0.1") == sympy.Rational(1, 10)
    assert parse_constant("1e-3") == sympy.Rational(1, 1000)
    assert parse_constant("2.5e2") == 250


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("__import__('os').system('id')", "names starting with '_'", 0),
        ("x.real", "attribute access", 1),
        ("(1).__class__", "attribute access", 3),
        ("x[0]", "subscripts", 1),
        ("'abc'", "strings", 0),
        ("lambda x: x", "':' is not allowed", 8),
        ("x == 1", "comparisons", 2),
        ("x < 1", "comparisons", 2),
        ("sin(x = 1)", "assignment", 6),  # a top-level "y = ..." names the result now
        ("x if y else z", "keyword", 2),
        ("x and y", "keyword", 2),
        ("import os", "keyword", 0),
        ("f(x)", "unknown function 'f'", 0),
        ("eval(x)", "unknown function 'eval'", 0),
        ("ｅｖａｌ(x)", "unexpected character", 0),
        ("x;y", "one expression", 1),
        ("sin x", "needs brackets", 0),
        ("sin", "needs brackets", 0),
        ("2 3", "two numbers", 2),
        ("x +", "incomplete", 3),
        ("(x", "unclosed", 0),
        ("x)", "unmatched", 1),
        ("x // 2", "floor division", 2),
        ("x % 2", "not supported", 2),
        ("1/0", "division by zero", 0),
        ("inf", "non-finite", 0),
        ("nan*x", "non-finite", 0),
        ("1e999", "out of range", 0),
        ("x,y", "tuple", 0),
        ("sin(x, y)", "takes 1", 0),
        ("", "empty", 0),
        ("pi(x)", "constant, not a function", 0),
    ],
)
def test_refused_with_reason_and_caret(text: str, message: str, column: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert message in info.value.one_line()
    assert info.value.column == column


def test_unknown_function_hints_at_a_product_and_close_names() -> None:
    with pytest.raises(ParseError) as info:
        parse("f(x)")
    assert info.value.hint is not None and "f*(...)" in info.value.hint
    with pytest.raises(ParseError) as info:
        parse("sinn(x)")
    assert info.value.hint is not None and "sin(...)" in info.value.hint


@pytest.mark.parametrize(
    "text",
    [
        "9**9**9**9",
        "((9**9)**9999)**9999",
        "2**99999",
        "x**(10**5)",
        "(1/3)**100000",
        "10**300*10**300 + 7**(7**7)",
        "x" * (MAX_LENGTH + 1),
        "(" * 1000 + "x" + ")" * 1000,
        "-" * 100 + "x",
        "1" * 400,
    ],
)
def test_resource_attacks_are_refused_before_sympy_computes(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)


def test_a_long_sum_parses_without_recursion() -> None:
    fn = parse("+".join(f"x{i}" for i in range(600)))
    assert len(fn.variables) == 600


def test_parsing_never_calls_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def trap(name: str):  # type: ignore[no-untyped-def]
        def refuse(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return refuse

    monkeypatch.setattr(builtins, "eval", trap("eval"))
    monkeypatch.setattr(builtins, "exec", trap("exec"))
    monkeypatch.setattr(sympy, "sympify", trap("sympify"))
    for text in ["x**2 + sin(y)", "3x y + 2(x+1)", "sigmoid(x) + atan2(y, x)", "x² + √y"]:
        parse(text)
    for text in ["__import__('os')", "x.__class__", "eval('1')"]:
        with pytest.raises(ParseError):
            parse(text)
    assert calls == []


_ATOMS = st.sampled_from(["x", "y", "2", "3", "0.5", "pi", "e", "(x+1)"])
_FUNCS = st.sampled_from(["sin", "cos", "exp", "sqrt", "log", "tanh", "abs", "atan"])


def _grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", " "]), children).map(
        lambda t: f"({t[0]}){t[1]}({t[2]})"
    )
    call = st.tuples(_FUNCS, children).map(lambda t: f"{t[0]}({t[1]})")
    return binary | call


@settings(max_examples=200, deadline=None)
@given(st.recursive(_ATOMS, _grow, max_leaves=8))
@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_generated_expressions_parse_or_fail_cleanly(text: str) -> None:
    try:
        fn = parse(text)
    except GradcliError:
        return
    assert isinstance(fn.expr, sympy.Expr)
    assert all(v.is_real for v in fn.variables)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_random_text_is_an_expression_or_a_gradcli_error(text: str) -> None:
    try:
        parse(text)
    except GradcliError as exc:
        assert exc.exit_code == 2


def test_the_documented_function_list_is_the_one_the_builder_knows() -> None:
    from gradcli.expr import FUNCTION_NAMES, FUNCTIONS_DOC, _function_table

    assert set(_function_table()) == FUNCTION_NAMES
    documented = {word.split("(")[0] for word in FUNCTIONS_DOC.split()}
    assert documented >= FUNCTION_NAMES
