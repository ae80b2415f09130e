"""The hostile-input catalogue: every input is refused (or answered) with the documented exit code,
one clear stderr line, no traceback, nothing on stdout, no file written, and promptly.

The bound of a few seconds is a guard against hangs, not a benchmark: every input here is refused
or answered in milliseconds on an idle machine. It is kept by a watchdog thread that interrupts the
test with an exception no ``except Exception`` can swallow, and it does not use SIGALRM, which
gradcli's own time limits use (they would cancel it).

The fuzz in the suite is derandomized (the same examples every run); ``pytest -m fuzz`` runs a long
random one, and every failure it finds is kept below as a regression example.
"""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.cli import app

runner = CliRunner()
BIG = 10**6

CODE_EXECUTION = [
    "__import__('os').system('id')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "x.real",
    "eval('1')",
    "exec('import os')",
    "open('/etc/passwd')",
    "getattr(x, 'y')",
    "globals()",
    "'os'",
    '"x"',
    "lambda: 1",
    "lambda x: x",
    "x[0]",
    "[x for x in y]",
    "{x: 1}",
    "{x}",
    "ｅｖａｌ(x)",
    "ｘ + 1",
    "x if y else z",
    "import os",
    "sympy.sin(x)",
    "Symbol('x')",
    "f'{x}'",
    "(x := 1)",
    "x; import os",
    "*x",
    "x\x00",
    "os.system",
    "breakpoint()",
    "__builtins__",
    "_x + 1",
]
RESOURCES = [
    "9**9**9**9",
    "((9**9)**9999)**9999",
    "2**99999",
    "x**(10**6)",
    "x**9**9",
    "1e400",
    "1" * 5000,
    "(" * 1000 + "x" + ")" * 1000,
    "sin(" * 100 + "x" + ")" * 100,
    "-" * 1000 + "x",
    "+".join(["x"] * 50_000),
    "x" * (10 * BIG),
    "exp(10**400)",
]
SYNTAX = [
    "x +",
    "(x",
    "x)",
    "2 3",
    "sin x",
    "x **",
    "* x",
    ",",
    "",
    "   ",
    "x,y",
    "x;y",
    "x = 1",
    "x == 1",
    "x % 2",
    "x // 2",
    "x & y",
]
UNDEFINED = ["1/0", "0**-1", "log(0)*x", "inf", "nan", "oo", "zoo", "x/0"]
UNKNOWN = ["f(x)", "foo(x)", "sinn(x)", "Integral(x)", "diff(x)", "factorial(x)", "pi(x)"]

EXPRESSION_CASES = [
    pytest.param(["grad", text, "--at", "1"], 2, id=f"expr-{i}")
    for i, text in enumerate(CODE_EXECUTION + RESOURCES + SYNTAX + UNDEFINED + UNKNOWN)
]
POINT_CASES = [
    pytest.param(["grad", "x**2+y**2", "--at", at], 2, id=f"point-{at[:12]}")
    for at in [
        "1",
        "1,2,3",
        "x=1,z=2",
        "x=1",
        "1,abc(2)",
        "nan,1",
        "1/0,1",
        "",
        "1,,2",
        "9**9**9,1",
        "1,y",
        "__import__('os'),1",
    ]
]
OPTION_CASES = [
    pytest.param(args, code, id=" ".join(args[:1] + args[2:])[:40])
    for args, code in [
        (["grad", "x", "--format", "xml"], 2),
        (["grad", "x", "--precision", "0"], 2),
        (["grad", "x", "--precision", "99"], 2),
        (["partial", "x", "--at", "1", "--check", "--h", "-1"], 2),
        (["partial", "x", "--at", "1", "--check", "--h", "nan"], 2),
        (["partial", "x", "--order", "0"], 2),
        (["partial", "x*y", "--wrt", "q"], 2),
        (["partial", "x*y"], 2),
        (["grad", "x*y", "--at", "1,1", "--dir", "0,0"], 2),
        (["critical", "x**2", "--range", "3:1"], 2),
        (["critical", "x**2", "--range", "a:b"], 2),
        (["level", "x**2+y**2", "--samples", "-1"], 2),
        (["level", "x**2+y**2", "--at", "1,1", "--value", "2"], 2),
        (["grad", "x+y", "--vars", "x,x"], 2),
        (["grad", "x+y", "--vars", "x"], 2),
        (["grad", "x+y", "--let", "a="], 2),
        (["grad", "x+y", "--let", "1=2"], 2),
        (["grad", "5"], 2),
        (["grad", "1/x", "--at", "0"], 1),
        (["grad", "sqrt(x)", "--at", "-1"], 1),
        (["grad", "log(x)", "--at", "0"], 1),
        (["grad", "exp(exp(x))", "--at", "100"], 1),
        (["grad", "exp(exp(exp(100)))*x", "--at", "1"], 2),  # refused by the parser (issue 10)
        (["grad", "x**1000", "--at", "10**300"], 1),
        (["level", "x*y", "--at", "0,0", "--samples", "3", "--vars", "x,y,z"], 2),
        (["descend", "x**2", "--from", "1", "--lr", "nan"], 2),
        (["descend", "x**2", "--from", "1", "--lr", "-1"], 2),
        (["descend", "x**2", "--from", "1", "--steps", "-5"], 2),
        (["descend", "x**2", "--from", "1", "--method", "sgdd"], 2),
        (["descend", "x**2+y**2", "--from", "1"], 2),
        (["descend", "x**2", "--from", "1", "--every", "0"], 2),
        (["descend", "x**2", "--from", "1", "--format", "latex"], 2),
        (["descend", "x**2"], 2),
        (["plot", "x**2+y**2", "-o", "figure.txt"], 2),
        (["plot", "x**2+y**2", "-o", "figure.gif"], 2),
        (["plot", "x**2+y**2", "-o", "/nonexistent-dir/figure.png"], 1),
        (["plot", "x*y*z", "-o", "f.png"], 2),
        (["plot", "x**2+y**2", "--range", "3:-3", "-o", "f.png"], 2),
        (["plot", "x**2+y**2", "--size", "0x0", "-o", "f.png"], 2),
        (["functions", "nosuchfunction"], 2),
        (["grad", "@nosuchpreset", "--at", "1"], 2),
    ]
]


HANG_SECONDS = 10.0  # far above the milliseconds these take, with room for a fully loaded machine


class Hang(BaseException):
    """A BaseException on purpose: sympy's ``except Exception`` blocks would swallow anything less."""


@pytest.fixture
def guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty folder with a hang watchdog; afterwards the folder must still be empty."""
    monkeypatch.chdir(tmp_path)

    def hang(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"no answer within {HANG_SECONDS} seconds")

    previous = signal.signal(signal.SIGUSR1, hang)
    main = threading.main_thread().ident
    assert main is not None
    watchdog = threading.Timer(HANG_SECONDS, signal.pthread_kill, (main, signal.SIGUSR1))
    watchdog.start()
    try:
        yield tmp_path
    finally:
        watchdog.cancel()
        watchdog.join()
        signal.signal(signal.SIGUSR1, previous)
    assert os.listdir(tmp_path) == [], "a hostile input left a file behind"


def check_refusal(args: list[str], code: int, stdin: str | None = None) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert lines and lines[0].startswith("gradcli: error: ")
    assert len(lines[0]) < 400
    assert "Traceback" not in result.stderr
    # one line, optionally followed by the source and a caret under it
    assert len(lines) in (1, 3), lines
    if len(lines) == 3:
        assert set(lines[2].strip()) == {"^"}


@pytest.mark.parametrize(("args", "code"), EXPRESSION_CASES + POINT_CASES + OPTION_CASES)
def test_hostile_input_is_refused_cleanly(args: list[str], code: int, guard: Path) -> None:
    check_refusal(args, code)


def test_catalogue_is_at_least_sixty_inputs() -> None:
    assert len(EXPRESSION_CASES + POINT_CASES + OPTION_CASES) >= 60


def test_megabyte_expression_on_stdin(guard: Path) -> None:
    check_refusal(["grad", "-", "--at", "1"], 2, stdin="x+" * BIG + "x")


def test_megabyte_of_points_on_stdin_is_refused_after_a_few_bad_lines(guard: Path) -> None:
    # The good points are answered; bad lines are reported one by one (issue 10: a bad line costs
    # only itself), but a flood of them stops the reading after a few, in well under 2 s.
    result = runner.invoke(
        app,
        ["grad", "x", "--at", "-", "--format", "ndjson"],
        input="1\n" * 10 + "x.__class__\n" * BIG,
    )
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 10
    lines = result.stderr.splitlines()
    assert 1 < len(lines) <= 11 and all(line.startswith("gradcli: error: ") for line in lines)
    assert "stopped reading" in lines[-1]


def test_no_code_ran(guard: Path) -> None:
    marker = guard / "pwned"
    check_refusal(["grad", f"__import__('os').system('touch {marker}')", "--at", "1"], 2)
    check_refusal(["grad", f"open('{marker}', 'w')", "--at", "1"], 2)
    assert not marker.exists()


_EXPRS = st.recursive(
    st.sampled_from(["x", "y", "0", "1", "2.5", "pi", "e", "-x"]),
    lambda c: (
        st.tuples(c, st.sampled_from(["+", "-", "*", "/", "^", ""]), c).map("".join)
        | st.tuples(st.sampled_from(["sin", "log", "sqrt", "exp", "abs", "f"]), c).map(
            lambda t: f"{t[0]}({t[1]})"
        )
    ),
    max_leaves=6,
)
_POINTS = st.sampled_from(["0,0", "1,-1", "1/3,2", "-2,pi", "1e-300,0", "0", "a,b"])


def answer_or_refuse(command: str, expr: str, point: str) -> tuple[bool, str]:
    """Run one fuzzed command; (whether it answered or refused cleanly, its first stderr line)."""
    args = [command, expr, "--at", point, "--vars", "x,y"]
    if command == "partial":
        args += ["--wrt", "x"]
    result = runner.invoke(app, args)
    first = (result.stderr.splitlines() or [""])[0]
    clean = (
        result.exit_code in (0, 1, 2)
        and "Traceback" not in result.stderr
        and "internal error" not in result.stderr
        and (
            result.exit_code == 0 or (result.stdout == "" and first.startswith("gradcli: error: "))
        )
    )
    return clean, first


FUZZ_ARGS = (_EXPRS | st.text(max_size=20), _POINTS, st.sampled_from(["grad", "partial", "level"]))


@pytest.mark.slow
@settings(max_examples=80)  # derandomized by the suite profile; -m fuzz draws many more below
@given(*FUZZ_ARGS)
@example("abs(x)", "1,-1", "grad")  # the known bugs' neighbours that work stay checked
@example("log(x)", "1e-300,0", "partial")
def test_fuzzed_commands_answer_or_refuse_cleanly(expr: str, point: str, command: str) -> None:
    clean, first = answer_or_refuse(command, expr, point)
    assert clean, (command, expr, point, first)


def _bug(command: str, expr: str, point: str, what: str) -> object:
    return pytest.param(
        command,
        expr,
        point,
        marks=pytest.mark.xfail(strict=True, reason=f"issue 10: {what}"),
        id=f"{command} {expr} at {point}",
    )


# Failures the fuzz found, kept as they were found. Each is a product bug: when it is fixed, its
# xfail turns into a failure (strict), and the example moves to REGRESSIONS.
KNOWN_BUGS: list[object] = []
REGRESSIONS: list[object] = [
    # ∇f = 0 at abs's kink: grad classified the point with a Hessian holding DiracDelta(0)
    pytest.param("grad", "abs(x)", "0,0", id="grad abs(x) at 0,0"),
    # ∇f = (1e300, 0): the norm squared 1e300 as a float (OverflowError)
    pytest.param("grad", "log(x)", "1e-300,0", id="grad log(x) at 1e-300,0"),
]


@pytest.mark.parametrize(("command", "expr", "point"), KNOWN_BUGS + REGRESSIONS)
def test_fuzz_findings(command: str, expr: str, point: str) -> None:
    clean, first = answer_or_refuse(command, expr, point)
    assert clean, first


def _signature(first_line: str) -> str:
    """What kind of failure a first stderr line is, with numbers and quoted text left out."""
    return re.sub(r"'[^']*'|\d+(\.\d+)?(e[-+]?\d+)?", "…", first_line)


FUZZ_EXAMPLES = int(os.environ.get("GRADCLI_FUZZ_EXAMPLES", "3000"))


@pytest.mark.fuzz
@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES)  # the fuzz profile: random, with an example database
@given(*FUZZ_ARGS)
def test_fuzz_at_length(expr: str, point: str, command: str) -> None:
    """On demand (pytest -m fuzz). Keep every failure it reports in KNOWN_BUGS or REGRESSIONS."""
    clean, first = answer_or_refuse(command, expr, point)
    if not clean:
        # a failure already kept in KNOWN_BUGS would hide new ones: look past it
        known = {_signature(answer_or_refuse(*p.values)[1]) for p in KNOWN_BUGS}  # type: ignore[attr-defined]
        assume(_signature(first) not in known)
    assert clean, (command, expr, point, first)
