"""Issue 12, "Lessons that read right": the notation students type, and tables that are the lesson.

Points as gradcli prints them ((3, 1), (−2, −2), 3 1) everywhere a point is read, gradcli's own CSV
and NDJSON piped back into --at - / --from -, f′(t) with the real variable, suggestions for the
options students confuse, --h implying --check, the slope-of-a-small-step table, and derivatives
of sigmoid written with σ. All in-process through CliRunner.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.expr import parse
from gradcli.points import parse_point
from gradcli.points.lines import InputEnded, PointLines

runner = CliRunner()


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, env={"NO_COLOR": "1", "COLUMNS": "100"})


def ok_json(*args: str, input: str | None = None) -> Any:
    result = run(*args, "--format", "json", input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def csv_rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.strip().splitlines()]


# --- points as gradcli prints them -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "at"),
    [
        ("(3,1)", {"x": 3.0, "y": 1.0}),
        ("(3, 1)", {"x": 3.0, "y": 1.0}),
        ("(−2, −2)", {"x": -2.0, "y": -2.0}),
        ("3 1", {"x": 3.0, "y": 1.0}),
        ("[3, 1]", {"x": 3.0, "y": 1.0}),
        ("x=3 y=1", {"x": 3.0, "y": 1.0}),
        ("x = 3, y = 1", {"x": 3.0, "y": 1.0}),
        ("(1/3, 1)", {"x": 1 / 3, "y": 1.0}),
        ("sqrt(2) pi/4", {"x": math.sqrt(2), "y": math.pi / 4}),
    ],
)
def test_grad_reads_a_point_as_printed(typed: str, at: dict[str, float]) -> None:
    doc = ok_json("grad", "x^2+y^2", "--at", typed)
    point = doc["points"][0]
    assert point["at"] == pytest.approx(at)
    assert point["gradient"] == pytest.approx([2 * at["x"], 2 * at["y"]])


def test_exact_coordinates_in_brackets_stay_exact() -> None:
    doc = ok_json("grad", "x^2+y^2", "--at", "(1/3, 1)")
    assert doc["points"][0]["exact"]["gradient"] == ["2/3", "2"]


def test_spaces_in_a_one_variable_point_still_multiply() -> None:
    # '2 pi' is 2π for f(x) (an implicit product), not two coordinates.
    doc = ok_json("grad", "x^2", "--at", "2 pi")
    assert doc["points"][0]["at"]["x"] == pytest.approx(2 * math.pi)


def test_two_plain_numbers_for_one_variable_are_two_coordinates() -> None:
    result = run("grad", "x^2", "--at", "3 1")
    assert result.exit_code == 2
    assert "got 2 coordinates, expected 1 coordinate (x)" in result.stderr
    assert "write 3 or x=…" in result.stderr


def test_brackets_do_not_swallow_an_expression() -> None:
    # '(1)+(2)' is one coordinate, 3: only brackets around the whole point are dropped.
    doc = ok_json("grad", "x^2", "--at", "(1)+(2)")
    assert doc["points"][0]["at"]["x"] == 3.0


@pytest.mark.parametrize(
    "args",
    [
        ("descend", "x^2+y^2", "--from", "(3, 1)", "--steps", "1"),
        ("level", "x^2+y^2", "--at", "(3, 1)"),
        ("partial", "x^2+y^2", "--wrt", "x", "--at", "(3, 1)"),
        ("grad", "x*y", "--at", "(3, 1)", "--dir", "(1, 1)"),
    ],
    ids=["descend --from", "level --at", "partial --at", "grad --dir"],
)
def test_every_option_that_reads_a_point_takes_the_printed_form(args: tuple[str, ...]) -> None:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr


def test_stdin_lines_take_the_printed_forms_too() -> None:
    result = run(
        "grad", "x^2+y^2", "--at", "-", "--format", "csv", input="(3, 1)\n(−2, −2)\n3 1\n[0.5, 2]\n"
    )
    assert result.exit_code == 0, result.stderr
    rows = csv_rows(result.stdout)[1:]
    assert [(float(r[0]), float(r[1])) for r in rows] == [(3, 1), (-2, -2), (3, 1), (0.5, 2)]


@given(
    st.lists(
        # subnormals (5e-324) are refused as out of range in any form: not this property's concern
        st.floats(
            min_value=-1e6,
            max_value=1e6,
            allow_nan=False,
            allow_infinity=False,
            allow_subnormal=False,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_bracketed_and_spaced_points_equal_the_comma_form(values: list[float]) -> None:
    names = [f"x{k}" for k in range(len(values))]
    texts = [repr(v) for v in values]
    plain = parse_point(",".join(texts), names).values
    assert parse_point("(" + ", ".join(texts) + ")", names).values == plain
    assert parse_point("[" + ",".join(texts) + "]", names).values == plain
    assert parse_point(" ".join(texts), names).values == plain
    typographic = ", ".join(t.replace("-", "−", 1) if t.startswith("-") else t for t in texts)
    assert parse_point(f"({typographic})", names).values == plain


# --- gradcli's own CSV and NDJSON piped back in ----------------------------------------------------
def test_grad_csv_pipes_back_into_grad() -> None:
    first = run("grad", "x^2+y^2", "--at", "1,1", "--at", "3,-2", "--format", "csv")
    again = run("grad", "x^2+y^2", "--at", "-", "--format", "csv", input=first.stdout)
    assert again.exit_code == 0, again.stderr
    assert again.stdout == first.stdout


def test_descend_csv_gives_grad_every_step() -> None:
    descent = run("descend", "x^2+y^2", "--from", "1,1", "--steps", "3", "--format", "csv")
    header, *steps = csv_rows(descent.stdout)
    x, y = header.index("x"), header.index("y")
    result = run("grad", "x*y", "--at", "-", "--format", "csv", input=descent.stdout)
    assert result.exit_code == 0, result.stderr
    rows = csv_rows(result.stdout)[1:]
    assert len(rows) == len(steps) == 4
    for step, row in zip(steps, rows):
        assert (float(row[0]), float(row[1])) == (float(step[x]), float(step[y]))
        assert float(row[3]) == float(step[y])  # ∂(xy)/∂x = y


def test_descend_csv_with_variables_called_f_and_lr_picks_the_variables() -> None:
    # descend's CSV has its own 'lr' and 'f' columns; the variables are the block after 'step'.
    descent = run("descend", "lr^2+f^2", "--from", "1,2", "--lr", "0.25", "--steps", "1")
    csv = run("descend", "lr^2+f^2", "--from", "1,2", "--lr", "0.25", "--steps", "1", "-f", "csv")
    assert descent.exit_code == 0 and csv.exit_code == 0
    result = run("grad", "lr^2+f^2", "--at", "-", "--format", "json", input=csv.stdout)
    assert result.exit_code == 0, result.stderr
    ats = [p["at"] for p in json.loads(result.stdout)["points"]]
    assert ats[0] == {"f": 1.0, "lr": 2.0}  # the start, not the learning rate 0.25
    assert ats[1] == pytest.approx({"f": 0.5, "lr": 1.0})  # one step of 0.25·∇f


def test_descend_reads_its_starts_from_grad_csv() -> None:
    points = run("grad", "x^2+y^2", "--at", "3,1", "--at", "-1,2", "--format", "csv")
    result = run(
        "descend", "x^2+y^2", "--from", "-", "--steps", "2", "-f", "json", input=points.stdout
    )
    assert result.exit_code == 0, result.stderr
    starts = [r["start"] for r in json.loads(result.stdout)["runs"]]
    assert starts == [{"x": 3.0, "y": 1.0}, {"x": -1.0, "y": 2.0}]


def test_ndjson_pipes_back_from_at_and_point_records() -> None:
    grad = run("grad", "x^2+y^2", "--at", "3,1", "--format", "ndjson")
    descent = run("descend", "x^2+y^2", "--from", "1,1", "--steps", "1", "--format", "ndjson")
    result = run(
        "partial", "x*y", "--wrt", "x", "--at", "-", "-f", "csv", input=grad.stdout + descent.stdout
    )
    assert result.exit_code == 0, result.stderr
    rows = [(float(r[0]), float(r[1])) for r in csv_rows(result.stdout)[1:]]
    assert rows == [(3, 1), (1, 1), (0.8, 0.8)]


def test_a_csv_header_without_a_variable_ends_the_input_with_one_error() -> None:
    points = run("grad", "x^2+y^2", "--at", "1,1", "--at", "2,2", "--format", "csv")
    result = run("grad", "x^2+z^2", "--at", "-", "--format", "csv", input=points.stdout)
    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert errors == [
        "gradcli: error: stdin line 1: --at: the CSV header has no column z (its columns: x, y, f, "
        "grad_x, grad_y, grad_norm, stationary, classification) — the variables are x, z"
    ]
    assert csv_rows(result.stdout) == [
        ["x", "z", "f", "grad_x", "grad_z", "grad_norm", "stationary", "classification"]
    ]


def test_a_csv_row_of_the_wrong_width_is_one_bad_line() -> None:
    text = "x,y,f\n1,2,5\n1,2\n3,4,25\n"
    result = run("grad", "x^2+y^2", "--at", "-", "--format", "csv", input=text)
    assert result.exit_code == 2
    assert "stdin line 3" in result.stderr and "2 CSV fields, the header has 3" in result.stderr
    assert [r[:2] for r in csv_rows(result.stdout)[1:]] == [["1.0", "2.0"], ["3.0", "4.0"]]


def test_point_lines_from_python() -> None:
    fn = parse("x^2+y^2")
    lines = PointLines(fn)
    assert lines.read("x,y,f") is None
    point = lines.read("3,1,10")
    assert point is not None and point.values == (3.0, 1.0)
    assert PointLines(fn).read("pi, e") is not None  # constants, not a header
    assert PointLines(fn).read('{"at": {"x": 1, "y": -2.5}}').values == (1.0, -2.5)  # type: ignore[union-attr]
    with pytest.raises(InputEnded):
        PointLines(fn).read("a,b,f")


# --- f′ with the real variable --------------------------------------------------------------------
@pytest.mark.parametrize("var", ["t", "w", "x"])
def test_one_variable_grad_names_its_derivative_with_its_variable(var: str) -> None:
    result = run("grad", f"{var}^2", "--at", "3")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.split() == [f"f′({var})", f"2{var}"] for line in lines), result.stdout
    assert any(line.split()[:3] == [f"f′({var})", "(slope)", "6"] for line in lines)
    if var != "x":
        assert "(x)" not in result.stdout


def test_one_variable_latex_names_the_variable() -> None:
    result = run("grad", "t^2", "--format", "latex")
    assert result.exit_code == 0
    assert "f'(t) = 2 t" in result.stdout


# --- options students confuse ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "answer"),
    [
        (
            ("descend", "x^2+y^2", "--at", "3,1"),
            "descend takes the point as --from: try --from 3,1",
        ),
        (("descend", "x^2+y^2", "--at=-2,-2"), "try --from -2,-2"),
        (("level", "x^2+y^2", "--c", "2"), "level takes the level c as --value: try --value 2"),
        (("level", "x^2+y^2", "--level", "2"), "try --value 2"),
        (("partial", "x^2", "--var", "x"), "partial takes the variable as --wrt: try --wrt x"),
        (("descend", "x^2", "--from", "1", "--learning-rate", "0.1"), "try --lr 0.1"),
        (("descend", "x^2", "--from", "1", "--epochs", "50"), "try --steps 50"),
        (("descend", "x^2", "--from", "1", "--iterations", "50"), "try --steps 50"),
        (("descend", "x^2", "--from", "1", "--optimizer", "adam"), "try --method adam"),
        (("grad", "x^2", "--at", "1", "--json"), "try --format json"),
        (
            ("plot", "x^2", "--plot", "a.png"),
            "plot takes the figure file as --output: try --output a.png",
        ),
        (("descend", "x^2", "--from", "1", "--output", "a.png"), "try --plot a.png"),
        (("partial", "x^2", "--at", "1", "--dx", "0.01"), "try --step 0.01"),
        (("grad", "x^2", "--at", "(3, 1)", "--point", "(1, 2)"), "try --at '(1, 2)'"),
        (
            ("grad", "x^2", "--lr", "0.1"),
            "grad has no learning rate; descend (--lr) and plot (--lr) have it",
        ),
        (("grad", "x^2", "--wrt", "x"), "grad has no variable; partial (--wrt) has it"),
        (("plot", "x^2", "--level", "2"), "level (--value) has it (or did you mean --levels?)"),
    ],
)
def test_a_confused_option_is_answered_with_this_commands_flag(
    args: tuple[str, ...], answer: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradcli: error: No such option: ")
    assert answer in lines[0], lines[0]


def test_an_unknown_option_nobody_confuses_keeps_clicks_message() -> None:
    result = run("grad", "x^2", "--bogus")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "gradcli: error: No such option: --bogus (see 'gradcli grad --help')"
    )


# --- --h implies --check ---------------------------------------------------------------------------
def test_a_step_alone_gives_the_check() -> None:
    doc = ok_json("partial", "5*x", "--wrt", "x", "--at", "2", "--h", "0.001")
    check = doc["points"][0]["check"]
    assert check["h_forward"] == check["h_central"] == 0.001


def test_grad_step_alone_gives_the_check_too() -> None:
    doc = ok_json("grad", "x*y", "--at", "1,2", "--h", "0.01")
    assert [c["variable"] for c in doc["points"][0]["check"]] == ["x", "y"]


def test_the_help_says_a_step_implies_the_check() -> None:
    for command in ("partial", "grad"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        # older typer wraps help at 80 columns whatever COLUMNS says: compare the words
        assert "giving it implies --check" in " ".join(result.stdout.split())


@pytest.mark.parametrize("flag", [("--h", "0.001"), ("--check",)])
def test_a_check_without_a_point_is_refused(flag: tuple[str, ...]) -> None:
    result = run("partial", "5*x", "--wrt", "x", *flag)
    assert result.exit_code == 2
    assert f"{flag[0]} takes the slope of a small step at a point, and no point is given" in (
        result.stderr
    )


def test_a_step_below_the_resolution_of_x_is_refused() -> None:
    result = run("partial", "5*x", "--wrt", "x", "--at", "2", "--h", "1e-20")
    assert result.exit_code == 2
    assert "--h 1e-20 is too small at x = 2" in result.stderr


# --- the slope of a small step, as the lesson writes it -------------------------------------------
def test_the_check_table_is_the_lesson() -> None:
    result = run("partial", "5*x", "--wrt", "x", "--at", "2", "--check", "--h", "0.001")
    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    expected = [
        ("x", "2"),
        ("x + h", "2.001  (h = 0.001)"),
        ("f(x)", "10"),
        ("f(x + h)", "10.005"),
        ("Δx = (x + h) − x", "0.00099999999999989"),
        ("Δy = f(x + h) − f(x)", "0.00499999999999901"),
        ("Δy/Δx  (forward)", "4.99999999999956  (error 4.4e-13)"),
        ("Δy/Δx  (central: x − h to x + h)", "4.99999999999956  (h = 0.001, error 4.4e-13)"),
    ]
    for label, value in expected:
        pattern = re.compile(rf"{re.escape(label)} +{re.escape(value)}")
        assert any(pattern.fullmatch(line) for line in lines), (label, result.stdout)
    assert "x + h rounds to 2.0009999999999999 in float64" in result.stdout


def test_the_check_json_has_the_steps_and_keeps_its_keys() -> None:
    doc = ok_json("partial", "5*x", "--wrt", "x", "--at", "2", "--check", "--h", "0.001")
    check = doc["points"][0]["check"]
    for key in ("exact", "forward", "h_forward", "forward_error", "central", "h_central"):
        assert key in check
    forward, central = check["steps"]
    assert forward["method"] == "forward" and central["method"] == "central"
    assert (forward["x0"], forward["x1"], forward["f0"]) == (2.0, 2.001, 10.0)
    assert forward["f1"] == 5 * 2.001
    assert forward["dx"] == forward["x1"] - forward["x0"]
    assert forward["dy"] == forward["f1"] - forward["f0"]
    assert forward["slope"] == forward["dy"] / forward["dx"] == check["forward"]
    assert (central["x0"], central["x1"]) == (2 - 0.001, 2.001)
    assert central["slope"] == check["central"]


def test_dividing_by_the_step_taken_is_closer_than_dividing_by_h() -> None:
    # 2.001 is not a float64: Δx = 0.00099999999999989, and Δy/Δx is nearer 5 than Δy/h.
    doc = ok_json("partial", "5*x", "--wrt", "x", "--at", "2", "--h", "0.001")
    check = doc["points"][0]["check"]
    dy = 5 * 2.001 - 10
    assert check["forward_error"] < abs(dy / 0.001 - 5)


def test_the_lesson_names_the_moving_variable_and_holds_the_others() -> None:
    result = run("partial", "x^2*y", "--wrt", "y", "--at", "1,2", "--h", "0.5")
    assert result.exit_code == 0
    text = result.stdout
    for label in (
        "y + h",
        "f(x, y + h)",
        "Δy = (y + h) − y",
        "Δf = f(x, y + h) − f(x, y)",
        "Δf/Δy",
    ):
        assert label in text, text


def test_grad_check_rows_use_the_variable_name() -> None:
    result = run("grad", "t^2", "--at", "3", "--h", "0.5")
    assert result.exit_code == 0
    assert "f′(t)  forward  (f(t+h) − f(t))/h" in result.stdout


def test_partial_check_csv_has_the_step_columns() -> None:
    result = run("partial", "5*x", "--wrt", "x", "--at", "2", "--h", "0.001", "-f", "csv")
    header, row = csv_rows(result.stdout)
    record = dict(zip(header, row))
    assert float(record["forward_x1"]) == 2.001
    assert float(record["forward_dx"]) == 2.001 - 2


# --- sigmoid's derivative written with σ ----------------------------------------------------------
def test_grad_of_sigmoid_shows_the_sigma_form_and_the_simplified_one() -> None:
    result = run("grad", "sigmoid(x)", "--at", "0")
    assert result.exit_code == 0
    assert "f′(x)      σ(x)·(1 - σ(x))" in result.stdout
    assert "= 1/(4cosh(x/2)²)" in result.stdout


def _same_function(a: str, b: Any, names: list[str]) -> None:
    fa, fb = parse(a, vars=",".join(names)), b
    for point in ([0.3, -1.2, 2.0], [-2.5, 0.7, 0.1]):
        subs = dict(zip(fa.variables, point))
        assert float(fa.expr.subs(subs)) == pytest.approx(float(fb(*point[: len(names)])))


def test_sigmoid_json_keeps_plain_sympy_and_adds_the_sigma_form() -> None:
    doc = ok_json("grad", "sigmoid(w*x+b)")
    names = doc["variables"]
    symbols = sympy.symbols(names)
    for plain, sigma in zip(doc["gradient"], doc["gradient_sigmoid"]):
        read = sympy.lambdify(symbols, sympy.sympify(plain))  # plain sympy text, as ever
        assert "sigmoid" not in plain
        assert "sigmoid" in sigma
        _same_function(sigma, read, names)  # gradcli reads the σ form back: the same function


def test_partial_of_sigmoid_names_sigma_in_every_format() -> None:
    doc = ok_json("partial", "sigmoid(w*x+b)", "--wrt", "w")
    assert doc["derivative_sigmoid"] == "x*(1 - sigmoid(b + w*x))*sigmoid(b + w*x)"
    table = run("partial", "sigmoid(w*x+b)", "--wrt", "w")
    assert "x·σ(b + w·x)·(1 - σ(b + w·x))" in table.stdout
    latex = run("partial", "sigmoid(x)", "--wrt", "x", "--format", "latex")
    assert r"\sigma\left(x\right)" in latex.stdout and r"\cosh" in latex.stdout


def test_second_derivative_of_sigmoid_in_sigma() -> None:
    result = run("partial", "sigmoid(x)", "--order", "2")
    assert "σ(x)·(1 - 2σ(x))·(1 - σ(x))" in result.stdout


def test_no_sigmoid_no_sigma_form() -> None:
    doc = ok_json("grad", "exp(x)*y")
    assert "gradient_sigmoid" not in doc
    doc = ok_json("partial", "sigmoid(x) + y", "--wrt", "y")
    assert "derivative_sigmoid" not in doc  # ∂/∂y has no σ left in it
