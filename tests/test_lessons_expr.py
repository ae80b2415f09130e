"""Issue 12, the notation students type: |x| bars, sin^2(x), f(x, y) = ..., σ(z), and glued names.

Each spelling is tried as the parser reads it (``parse``) and as a student meets it (the CLI, in
process): the notes on how an ambiguous name was read go to stderr, one line each, never stdout.
"""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.errors import GradcliError, ParseError, UsageError
from gradcli.expr import parse, parse_constant
from gradcli.function import ReadingNote

x, y, z, t, w, b = sympy.symbols("x y z t w b", real=True)
sigma_var = sympy.Symbol("sigma", real=True)
runner = CliRunner()


def sigmoid(u: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-u))


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def refusal(text: str, **kwargs: object) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse(text, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- |x| ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("|x|", sympy.Abs(x)),
        ("|x|+|y|", sympy.Abs(x) + sympy.Abs(y)),
        ("|x - |y||", sympy.Abs(x - sympy.Abs(y))),
        ("||x| - |y||", sympy.Abs(sympy.Abs(x) - sympy.Abs(y))),
        ("2|x|", 2 * sympy.Abs(x)),
        ("|x|^2", sympy.Abs(x) ** 2),
        ("|x|²", sympy.Abs(x) ** 2),
        ("|x||y|", sympy.Abs(x) * sympy.Abs(y)),
        ("|x| |y|", sympy.Abs(x) * sympy.Abs(y)),
        ("|2|x||", sympy.Abs(2 * sympy.Abs(x))),  # nests: closing at '2|' would leave '||' loose
        ("|x|y|z|", sympy.Abs(x) * y * sympy.Abs(z)),  # a bar after a value closes when it can
        ("|-x|", sympy.Abs(x)),
        ("||x||", sympy.Abs(x)),
        ("√|x|", sympy.sqrt(sympy.Abs(x))),
        ("max(|x|, |y|)", sympy.Max(sympy.Abs(x), sympy.Abs(y))),
        ("(|x| + 1)|y|", (sympy.Abs(x) + 1) * sympy.Abs(y)),
        ("|sin(x)|", sympy.Abs(sympy.sin(x))),
    ],
)
def test_bars_are_abs(text: str, expected: sympy.Expr) -> None:
    assert parse(text).expr == expected


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("|x", "unclosed '|'", 0),
        ("x|", "unclosed '|'", 1),
        ("|x|y|", "unclosed '|'", 4),
        ("(|x)|", "unclosed '|' before the ')'", 1),
        ("max(|x, y|)", "unclosed '|' before the ','", 4),
        ("|x = 1|", "unclosed '|' before the '='", 0),
        ("|" * 65 + "x" + "|" * 65, "nesting too deep", 64),
        ("(" * 40 + "|" * 30 + "x" + "|" * 30 + ")" * 40, "nesting too deep", 64),
    ],
)
def test_bars_that_do_not_pair_are_refused_at_the_loose_bar(
    text: str, message: str, column: int
) -> None:
    error = refusal(text)
    assert message in error.one_line()
    assert error.column == column


def test_bars_pasted_from_a_pdf_are_bars_too() -> None:
    assert parse("∣x∣ + ｜y｜").expr == sympy.Abs(x) + sympy.Abs(y)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("ReLU(x)", "relu(...)"),
        ("Abs(x)", "abs(...)"),
        ("logistic(x)", "sigmoid(...)"),
        ("sgn(x)", "sign(...)"),
        ("arcsin(x)", "asin(...)"),
    ],
)
def test_unknown_functions_offer_ours(text: str, hint: str) -> None:
    error = refusal(text)
    assert error.hint is not None and f"did you mean {hint}" in error.hint


def test_bars_are_no_longer_called_bitwise_operators() -> None:
    assert "bitwise" not in refusal("|x").one_line()
    assert "bitwise" in refusal("x & y").one_line()  # '&' and '~' still are


def test_bars_in_constants_and_points() -> None:
    assert parse_constant("|-3/2|") == sympy.Rational(3, 2)
    result = run("grad", "x^2", "--at", "|-3|", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["points"][0]["gradient"] == [6.0]


# --- sin^2(x) -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sin^2(x)", sympy.sin(x) ** 2),
        ("sin²(x)", sympy.sin(x) ** 2),
        ("sin**2(x)", sympy.sin(x) ** 2),
        ("sin^(2)(x)", sympy.sin(x) ** 2),
        ("sin ^ 2 (x)", sympy.sin(x) ** 2),
        ("cos^3(x)", sympy.cos(x) ** 3),
        ("ln^2(x)", sympy.log(x) ** 2),
        ("log^2(x, 2)", sympy.log(x, 2) ** 2),
        ("tanh²(x)", sympy.tanh(x) ** 2),
        ("exp^2(x)", sympy.exp(x) ** 2),
        ("sigmoid^2(x)", sigmoid(x) ** 2),
        ("sin^2(x) + cos^2(x)", sympy.sin(x) ** 2 + sympy.cos(x) ** 2),
        ("2sin^2(x)cos(y)", 2 * sympy.sin(x) ** 2 * sympy.cos(y)),
        ("sin^2(x)^3", sympy.sin(x) ** 6),  # (sin² x)³, not sin^(2^3)
        ("-sin^2(x)", -(sympy.sin(x) ** 2)),
        ("sin^2(cos^2(x))", sympy.sin(sympy.cos(x) ** 2) ** 2),
        ("sin^02(x)", sympy.sin(x) ** 2),
        ("√sin^2(x)", sympy.Abs(sympy.sin(x))),
        ("|sin^2(x)|", sympy.sin(x) ** 2),
        ("x sin^2(x)", x * sympy.sin(x) ** 2),  # the bracket around sin(x)^2 is not a call of x
        ("√x sin^2(y)", sympy.sqrt(x) * sympy.sin(y) ** 2),
    ],
)
def test_a_power_on_a_function_name_is_the_power_of_its_value(
    text: str, expected: sympy.Expr
) -> None:
    assert parse(text).expr == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("sin^-1(x)", "asin(x) for the inverse"),
        ("sin⁻¹(x)", "asin(x) for the inverse"),
        ("sin^(-1)(x)", "asin(x) for the inverse"),
        ("tanh^-1(x)", "atanh(x) for the inverse"),
        ("exp^-1(x)", "ln(x) for the inverse"),
        ("sqrt^-1(x)", "1/sqrt(x) for the reciprocal"),
        ("sin^-2(x)", "sin(x)^(-2)"),
        ("sin^0.5(x)", "sin(x)^(0.5)"),
        ("sin^x(y)", "sin(x)^(...)"),
        ("sin^0(x)", "sin(x)^0"),
        ("sin^2 x", "sin(x)^2"),
        ("sin²x", "sin(x)^2"),
        ("sin^2", "sin(...)^2"),
        ("sin^2|x|", "sin(...)^2"),
    ],
)
def test_other_powers_on_a_function_name_are_refused_with_the_spelling_to_use(
    text: str, hint: str
) -> None:
    error = refusal(text)
    assert error.hint is not None and hint in error.hint
    assert error.column == 0


def test_a_large_power_on_a_function_name_keeps_the_exponent_limit() -> None:
    assert "exponent too large" in refusal("sin^5000(x)").one_line()


def test_a_power_on_a_variable_before_brackets_keeps_its_meaning() -> None:
    # sigma, f, a are not functions: 'σ²(x)' was and is sigma² times x
    assert parse("σ²(x)").expr == sigma_var**2 * x
    assert parse("a^2(x+1)").expr == sympy.Symbol("a", real=True) ** 2 * (x + 1)


# --- f(x, y) = ... ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected", "names"),
    [
        ("y = 5x", 5 * x, ("x",)),
        ("z = x y", x * y, ("x", "y")),
        ("f(x,y) = x^2+y^2", x**2 + y**2, ("x", "y")),
        ("f(y, x) = x^2 + y", x**2 + y, ("y", "x")),  # the order as written, not alphabetical
        ("g(t) = t^3", t**3, ("t",)),
        ("f(x, y) = x^2", x**2, ("x", "y")),  # a listed variable the formula does not use
        ("L(w, b) = (w + b - 1)^2", (w + b - 1) ** 2, ("w", "b")),
        ("f(θ) = θ^2", sympy.Symbol("theta", real=True) ** 2, ("theta",)),
        ("relu(x) = max(0, x)", sympy.Max(0, x), ("x",)),  # naming the result after a function
        ("y=|x|", sympy.Abs(x), ("x",)),
    ],
)
def test_the_left_side_names_the_result_and_may_fix_the_order(
    text: str, expected: sympy.Expr, names: tuple[str, ...]
) -> None:
    fn = parse(text)
    assert fn.expr == expected
    assert fn.names == names
    assert fn.source == text


def test_let_constants_listed_on_the_left_are_not_variables() -> None:
    fn = parse("f(x, a) = a x^2", let="a=3")
    assert fn.expr == 3 * x**2
    assert fn.names == ("x",)


def test_vars_must_agree_with_the_left_side() -> None:
    assert parse("f(x, y) = x + y", vars="x,y").names == ("x", "y")
    with pytest.raises(UsageError, match="disagree"):
        parse("f(x, y) = x + y", vars="y,x")


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("x = y = 1", "only one '='", 6),
        ("= x", "needs the name of the result", 0),
        ("y =", "nothing after '='", 3),
        ("x + y = 1", "an equation is not a function", 0),
        ("x^2 + y^2 = 1", "an equation is not a function", 0),
        ("f() = 1", "lists no variables", 1),
        ("f(x, x) = x", "listed twice", 5),
        ("f(pi) = 1", "'pi' is a constant", 2),
        ("f(sin) = 1", "'sin' is a function", 2),
        ("f(x,) = x", "missing after ','", 3),
        ("f(x y) = x", "names and commas only", 4),
        ("f(x+1) = x", "names and commas only", 3),
        ("f(x) = a x", "the formula uses a, which f(x) does not list", 7),
        ("y = y^2 + x", "'y' names the result", 4),
        ("f(x) = f(x - 1)", "the function being defined", 7),
        ("f(x) = x + g(x)", "unknown function 'g'", 11),  # carets still land in the formula
        ("f(x) = x + 2 3", "two numbers", 13),
        ("sin(x = 1)", "assignment", 6),  # '=' inside brackets is still no definition
    ],
)
def test_bad_definitions_are_refused_with_a_caret(text: str, message: str, column: int) -> None:
    error = refusal(text)
    assert message in error.one_line()
    assert error.column == column


def test_an_equation_with_a_number_on_the_right_hints_at_the_level_set() -> None:
    result = run("level", "x^2 + y^2 = 1", "--value", "1")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "gradcli: error: an equation is not a function: only a name like y or f(x, y) may stand "
        "left of '=' — that is a level set: gradcli level 'x^2 + y^2' --value 1"
    )


def test_a_bad_head_with_a_number_on_the_right_gets_no_level_set_hint() -> None:
    error = refusal("f() = 1")
    assert error.hint is not None and "level" not in error.hint


def test_a_glued_name_on_the_right_of_a_definition_hints_at_the_product() -> None:
    error = refusal("f(x, y) = xy")
    assert error.hint == "write x*y for a product"
    assert error.column == 10


def test_constants_still_refuse_an_equals_sign() -> None:
    with pytest.raises(ParseError, match="assignment"):
        parse_constant("a = 2")
    with pytest.raises(UsageError):
        parse("a*x", let="a=b=2")


# --- σ(z), sigma(z) -----------------------------------------------------------------------------
def test_sigma_called_like_a_function_is_the_sigmoid() -> None:
    assert parse("σ(w*x+b)").expr == sigmoid(w * x + b)
    assert parse("σ(w*x+b)").notes == ()  # σ(…) is the sigmoid of ML lessons: said nowhere
    fn = parse("sigma(w*x+b)")
    assert fn.expr == sigmoid(w * x + b)
    assert [n.kind for n in fn.notes] == ["sigmoid"]
    assert str(fn.notes[0]) == "read 'sigma(...)' as sigmoid(...); write sigma*(...) for a product"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("sigma*x", sigma_var * x), ("sigma x", sigma_var * x), ("σ^2", sigma_var**2)],
)
def test_sigma_not_called_stays_a_variable(text: str, expected: sympy.Expr) -> None:
    fn = parse(text)
    assert fn.expr == expected
    assert fn.notes == ()


# --- xy, sinx -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("xy", "xy", "read 'xy' as the one variable xy; write x*y (or x y) for a product"),
        ("3xy", "xy", "read 'xy' as the one variable xy; write x*y (or x y) for a product"),
        (
            "x^2 + xy + y^2",
            "xy",
            "read 'xy' as the one variable xy; write x*y (or x y) for a product",
        ),
        ("xyz", "xyz", "read 'xyz' as the one variable xyz; write x*y*z (or x y z) for a product"),
        (
            "a*x + ab + b",
            "ab",
            "read 'ab' as the one variable ab; write a*b (or a b) for a product",
        ),
        ("sinx", "sinx", "read 'sinx' as the one variable sinx; write sin(x) to apply sin"),
        ("lnx", "lnx", "read 'lnx' as the one variable lnx; write ln(x) to apply ln"),
        ("tanhx", "tanhx", "read 'tanhx' as the one variable tanhx; write tanh(x) to apply tanh"),
        ("cost*t", "cost", "read 'cost' as the one variable cost; write cos(t) to apply cos"),
    ],
)
def test_glued_names_keep_their_meaning_and_say_how_they_were_read(
    text: str, name: str, message: str
) -> None:
    fn = parse(text)
    assert name in fn.names  # one variable, as ever
    assert [str(n) for n in fn.notes] == [message]
    assert fn.notes[0] == ReadingNote("one-variable", message, text.index(name))


@pytest.mark.parametrize(
    "text",
    ["x*y", "x y", "3x y", "loss", "cost", "alpha*x", "lr*x", "x1 + x2", "theta", "beta*x", "λ*μ"],
)
def test_ordinary_names_get_no_note(text: str) -> None:
    assert parse(text).notes == ()


def test_letters_from_vars_and_the_left_side_count_as_variables() -> None:
    assert parse("ab", vars="a,b,ab").notes != ()
    assert parse("ab").notes == ()  # a and b are not variables anywhere: ab is just a name


def test_many_glued_names_make_a_few_lines_not_hundreds() -> None:
    text = " + ".join(f"{p}{q}" for p in "xyz" for q in "xyz")
    notes = parse(text).notes
    assert len(notes) == 5
    assert str(notes[-1]) == "and 5 more name(s) like these, each read as one variable"


def test_notes_do_not_change_equality() -> None:
    assert parse("xy") == parse("xy", vars="xy")


# --- through the CLI ----------------------------------------------------------------------------
def test_cli_glued_name_note_goes_to_stderr_and_json_stays_clean() -> None:
    result = run("grad", "3xy", "--at", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["variables"] == ["xy"]
    assert result.stderr == (
        "gradcli: note: read 'xy' as the one variable xy; write x*y (or x y) for a product\n"
    )


def test_cli_notes_are_one_line_each_and_csv_stays_clean() -> None:
    result = run("grad", "sinx + sigma(y)", "--at", "1,2", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines == [
        "gradcli: note: read 'sinx' as the one variable sinx; write sin(x) to apply sin",
        "gradcli: note: read 'sigma(...)' as sigmoid(...); write sigma*(...) for a product",
    ]
    assert result.stdout.splitlines()[0].startswith("sinx,y,f,")
    assert "note" not in result.stdout


def test_cli_plain_expressions_write_nothing_on_stderr() -> None:
    result = run("grad", "x*y", "--at", "1,2", "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""


def test_cli_abs_bars() -> None:
    result = run("grad", "|x| + |y - |x||", "--at", "-1,3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["function"] == "Abs(x) + Abs(y - Abs(x))"
    assert data["points"][0]["value"] == 3.0


def test_cli_function_power() -> None:
    result = run("partial", "sin^2(x)", "--wrt", "x", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "sin(x)" in json.loads(result.stdout)["function"]
    assert json.loads(result.stdout)["function"] == "sin(x)**2"


def test_cli_definition_takes_the_right_side_and_the_order() -> None:
    result = run("grad", "f(y, x) = x^2 + 10y", "--at", "1,2", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["variables"] == ["y", "x"]
    assert data["points"][0]["gradient"] == [10.0, 4.0]
    result = run("grad", "y = 5x", "--at", "2")
    assert result.exit_code == 0, result.output
    assert "f(x) = 5*x" in result.stdout


def test_cli_sigma() -> None:
    result = run("grad", "σ(x)", "--at", "0", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["points"][0]["gradient"] == [0.25]
    assert result.stderr == ""


def test_cli_sin_inverse_is_one_error_line_with_a_caret() -> None:
    result = run("grad", "x + sin^-1(x)", "--at", "0.5")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == (
        "gradcli: error: sin^-1 is ambiguous (inverse or reciprocal?) — write asin(x) for the "
        "inverse function, 1/sin(x) for the reciprocal"
    )
    assert lines[1:] == ["  x + sin^-1(x)", "      ^"]
    assert result.stdout == ""


def test_cli_definition_missing_variable_names_the_let_flag() -> None:
    result = run("grad", "f(x) = a x^2", "--at", "1")
    assert result.exit_code == 2
    assert "give it a value with --let" in result.stderr.splitlines()[0]


def test_cli_bar_error_points_at_the_loose_bar() -> None:
    result = run("grad", "|x| + |y", "--at", "1,2")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1:] == ["  |x| + |y", "        ^"]


def test_root_help_lists_the_lesson_notation() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "|x| is abs(x)" in text
    assert "sin^2(x) and sin²(x) are sin(x)^2" in text
    assert "σ(z) and sigma(z) are sigmoid(z)" in text


# --- the property: the new notation means what its plain spelling means -------------------------
_LEAVES = st.sampled_from(["x", "y", "2", "0.5", "pi", "(x+1)", "-y"])
_FUNCS = st.sampled_from(["sin", "cos", "tanh", "exp", "ln", "log", "sqrt", "atan", "sigmoid"])
_SUPERS = {2: "²", 3: "³", 4: "⁴"}


def _node(children: st.SearchStrategy[tuple[str, str, str]]) -> st.SearchStrategy[tuple[str, ...]]:
    """Pairs (new notation, plain spelling, kind) built from smaller pairs."""

    def bars(c: tuple[str, str, str]) -> tuple[str, str, str]:
        inner = f"({c[0]})" if c[2] == "juxtaposed" else c[0]  # '|2|x||' needs no help, but
        return f"|{inner}|", f"abs({c[1]})", "bar"  # '|a||b|' inside bars is truly ambiguous

    def power(args: tuple[str, int, str, tuple[str, str, str]]) -> tuple[str, str, str]:
        name, n, style, c = args
        new = f"{name}{_SUPERS[n]}({c[0]})" if style == "super" else f"{name}^{n}({c[0]})"
        return new, f"({name}({c[1]}))**{n}", "call"

    def binary(
        args: tuple[tuple[str, str, str], str, tuple[str, str, str]],
    ) -> tuple[str, str, str]:
        a, op, c = args
        plain = f"({a[1]}){op}({c[1]})"
        if _atom(a) and _atom(c):  # '|x|+|y|', '|x|^|y|', 'sin²(x)*|y|': bars meet operators
            return f"{a[0]}{op}{c[0]}", plain, "binary"
        return f"({a[0]}){op}({c[0]})", plain, "binary"

    def juxtaposed(args: tuple[tuple[str, str, str], tuple[str, str, str]]) -> tuple[str, str, str]:
        a, c = args  # '2|x|', '|x||y|', '|x|sin²(y)': products without a '*'
        gap = " " if a[0][-1].isalpha() and c[0][0].isalpha() else ""  # 'x sin²(y)', not xsin
        return f"{a[0]}{gap}{c[0]}", f"({a[1]})*({c[1]})", "juxtaposed"

    bar_like = children.filter(lambda c: c[2] in ("bar", "call"))
    return (
        children.map(bars)
        | st.tuples(
            _FUNCS, st.sampled_from([2, 3, 4]), st.sampled_from(["caret", "super"]), children
        ).map(power)
        | st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^"]), children).map(binary)
        | st.tuples(
            st.sampled_from([("2", "2", "num"), ("x", "x", "leaf")]) | bar_like, bar_like
        ).map(juxtaposed)
    )


def _atom(c: tuple[str, str, str]) -> bool:
    return c[2] in ("bar", "call") or (c[2] == "leaf" and not c[0].startswith("-"))


_PAIRS = st.recursive(_LEAVES.map(lambda s: (s, s, "leaf")), _node, max_leaves=6)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(_PAIRS, st.sampled_from(["", "z = ", "f(x, y) = ", "g(y, x, z) = "]))
def test_new_notation_parses_to_the_same_expression_as_its_plain_spelling(
    pair: tuple[str, str, str], head: str
) -> None:
    new, plain, _ = pair
    try:
        expected = parse(plain)
    except GradcliError:
        with pytest.raises(GradcliError):
            parse(head + new)
        return
    fn = parse(head + new)
    assert fn.expr == expected.expr, (head + new, plain)
    if head.startswith("f("):
        assert fn.names == ("x", "y")
    elif head.startswith("g("):
        assert fn.names == ("y", "x", "z")
    else:
        assert fn.names == expected.names
    assert fn.notes == ()


# --- robustness: any mix of the new notation parses or is refused in one line -------------------
_PIECES = st.sampled_from([*"|∣xy2 =^²⁻¹()+-*,σ", "sin", "sigma", "f", "ln"])
_NOTATION_TEXT = st.lists(_PIECES, max_size=24).map("".join)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(_NOTATION_TEXT)
def test_notation_soup_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        fn = parse(text)
    except GradcliError as exc:
        assert exc.exit_code == 2
        assert "\n" not in exc.one_line()
        if exc.column is not None:
            assert 0 <= exc.column <= len(text)
        return
    assert isinstance(fn.expr, sympy.Expr)
    assert all("\n" not in note.message for note in fn.notes)
