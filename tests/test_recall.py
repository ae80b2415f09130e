"""The numeric result cache of ``descend`` (gradcli/cli/recall.py, gradcli/recalled.py,
gradcli/cache/code.py): a repeated descent of the same f runs the code the first run generated.

What is checked: the same bytes cold, warm and uncached (and that the warm run parsed and
lambdified nothing); no entry for a kinked or sigmoid f; a stored entry whose code is not of
generated code's shape never runs, the run falls back and rewrites it; evaluators made later are
merged into the entry; nothing kept from a run a time bound cut short, a failed run, or a run
with the cache off; and, in a real process, a warm run that cannot import sympy.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import shlex
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradcli_process
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.cache import code
from gradcli.cache.store import Store
from gradcli.cli import app, fast

ROOT = Path(__file__).resolve().parent.parent
ENV = {"NO_COLOR": "1", "COLUMNS": "100"}
runner = CliRunner()
Outcome = tuple[int, str, str]  # exit code, stdout, stderr


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder for this test, with the cache on (the suite turns it off)."""
    monkeypatch.delenv("GRADCLI_NO_CACHE", raising=False)
    monkeypatch.setattr(fast, "_bypass", False)  # restored after: --no-cache tests set it
    return tmp_path / "cache"


def _invoke(args: list[str], cache: Path, stdin: str | None = None, **env: str) -> Outcome:
    result = runner.invoke(
        app, args, env={**ENV, "GRADCLI_CACHE_DIR": str(cache), **env}, input=stdin
    )
    return result.exit_code, result.stdout, result.stderr


def _uncached(args: list[str], cache: Path, stdin: str | None = None) -> Outcome:
    return _invoke(args, cache, stdin, GRADCLI_NO_CACHE="1")


def _numeric(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.startswith("numeric-"))


def _entry(cache: Path) -> tuple[str, dict[str, Any]]:
    """The one numeric entry's key and body, read through the store (so its hash is checked)."""
    (name,) = _numeric(cache)
    key = json.loads((cache / name).read_text(encoding="utf-8").splitlines()[0])["key"]
    store = Store.open({"GRADCLI_CACHE_DIR": str(cache)})
    assert store is not None
    try:
        body = store.read("numeric", key)
    finally:
        store.close()
    assert body is not None
    return key, body


def _write(cache: Path, key: str, body: dict[str, Any]) -> None:
    """Store ``body`` as gradcli would: a valid header and hash, so only its content is judged."""
    store = Store.open({"GRADCLI_CACHE_DIR": str(cache)})
    assert store is not None
    try:
        assert store.write("numeric", key, body)
    finally:
        store.close()


@contextlib.contextmanager
def _no_sympy_work(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """While open, parsing, differentiating or lambdifying f fails the run (and is listed). The
    attributes patched are the ones looked up at call time: cli/inputs.py and cli/recall.py
    import ``gradcli.expr.parse`` inside functions, numeric.py holds its own ``lambdify``."""
    import gradcli.expr
    import gradcli.numeric
    import gradcli.symbolic

    called: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def refused(*args: Any, **kwargs: Any) -> Any:
            called.append(name)
            raise AssertionError(f"{name} called where f should have been recalled")

        return refused

    with monkeypatch.context() as patched:
        patched.setattr(gradcli.expr, "parse", refuse("parse"))
        patched.setattr(gradcli.symbolic, "lambdify", refuse("lambdify"))
        patched.setattr(gradcli.numeric, "lambdify", refuse("lambdify"))
        patched.setattr(gradcli.symbolic, "differentiate", refuse("differentiate"))
        yield called


# --- the same bytes, cold, warm and uncached ---------------------------------------------------
HIMMELBLAU = "(x**2+y-11)**2+(x+y**2-7)**2"


def _case(command: str, stdin: str | None = None, *, id: str) -> Any:
    return pytest.param(["descend", *shlex.split(command)], stdin, id=id)


CASES = [
    _case("'x**2+3*y**2' --from 3,1 --steps 8", id="table"),
    _case("'x**2+3*y**2' --from 3,1 --steps 4 -f json", id="json"),
    _case("'x**2+3*y**2' --from 3,1 --steps 4 -f ndjson", id="ndjson"),
    _case("'x**2+3*y**2' --from 3,1 --steps 4 -f csv", id="csv-stream"),
    _case(f"'{HIMMELBLAU}' --from - --summary -f csv --steps 40", "0,0\n-1,1\n", id="stdin"),
    _case("@himmelblau --starts 20 --seed 1 --lr 0.01 --steps 20 --summary -f json", id="starts"),
    # newton and bfgs step with the Hessian; the table classifies the end points
    _case("@rosenbrock --from -1.2,1 --method all --steps 10 --summary", id="rosenbrock-all"),
    _case("'xy^2 + sin(xy)' --from 1 --steps 5", id="reading-note"),
    _case("'x**2' --from 1 --lr 1.5 --steps 12", id="diverging"),
    _case("'x**2+10*y**2' --from 1,1 --method momentum,adam --lr 0.05 --steps 15", id="adam"),
]


@pytest.mark.parametrize("args,stdin", CASES)
def test_warm_output_is_byte_identical(
    args: list[str], stdin: str | None, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    want = _uncached(args, cache, stdin)
    assert want[0] == 0
    assert not cache.exists()  # the uncached run did not even make the folder
    assert _invoke(args, cache, stdin) == want  # cold: fills the cache
    _, stored = _entry(cache)
    with _no_sympy_work(monkeypatch) as called:
        warm = _invoke(args, cache, stdin)
    assert called == []
    assert warm == want
    assert _entry(cache)[1] == stored  # nothing new to keep
    if args[1] == "xy^2 + sin(xy)":  # the reading note is written from the stored text
        assert stored["notes"] == [warm[2]]


def test_the_warm_run_check_bites(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # on an empty cache the same guard makes the run fail: it does see parsing and lambdify
    args = ["descend", "x**2+y**2", "--from", "3,1", "--steps", "3"]
    with _no_sympy_work(monkeypatch) as called:
        code_, _, stderr = _invoke(args, cache)
    assert code_ != 0 and "internal error" in stderr
    assert called == ["parse"]


# --- what is never kept ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "expr",
    ["abs(x) + y**2", "relu(x) + y**2", "max(x, y) + x**2 + y**2", "1/(1+exp(-x)) + y**2"],
)
def test_kinks_and_sigmoids_are_not_kept(expr: str, cache: Path) -> None:
    args = ["descend", expr, "--from", "1.5,2", "--steps", "6"]
    want = _uncached(args, cache)
    assert want[0] == 0
    assert _invoke(args, cache) == want
    assert cache.is_dir() and _numeric(cache) == []


# --- safety: stored code not of generated code's shape never runs -----------------------------
GOOD = "def _lambdifygenerated(x, y):\n    return [x**2 + y**2, 2*x, 2*y]\n"


def _tampered(marker: Path) -> dict[str, str]:
    """Sources that would create ``marker`` (or marker.npy) if they ran, each a small change to
    :data:`GOOD`; by what they use."""
    m = repr(str(marker))
    ret = "    return [x**2 + y**2, 2*x, 2*y]\n"
    head = "def _lambdifygenerated(x, y):\n"
    return {
        "__import__": head
        + f"    return [x**2 + y**2 + 0*__import__('os').system('touch ' + {m}), 2*x, 2*y]\n",
        "attribute": head
        + f"    return [x**2 + y**2 + 0*len(builtins.open({m}, 'w').name), 2*x, 2*y]\n",
        "open": head + f"    return [x**2 + y**2 + 0*len(open({m}, 'w').name), 2*x, 2*y]\n",
        "eval": head
        + f"    return [x**2 + y**2 + eval(\"0*len(open({m}, 'w').name)\"), 2*x, 2*y]\n",
        "exec": head + f"    z = exec(\"open({m}, 'w')\")\n" + ret,
        "numpy save": head + f"    z = save({m}, x)\n" + ret,
        "lambda": head
        + f"    return [x**2 + y**2 + (lambda: 0*len(open({m}, 'w').name))(), 2*x, 2*y]\n",
        "comprehension": head + f"    z = [open({m}, 'w') for _ in (0,)]\n" + ret,
        "subscript": head + f"    z = [open][0]({m}, 'w')\n" + ret,
        "walrus": head
        + f"    return [x**2 + y**2 + 0*len((z := open({m}, 'w')).name), 2*x, 2*y]\n",
        "decorator": f"@(lambda g: open({m}, 'w') and g)\n" + GOOD,
        "default": f"def _lambdifygenerated(x, y, z=open({m}, 'w')):\n" + ret,
        "annotation": f"def _lambdifygenerated(x: open({m}, 'w'), y):\n" + ret,
        "second statement": GOOD + f"open({m}, 'w')\n",
        "statement in body": head + f"    open({m}, 'w')\n" + ret,
        "nested def": head + f"    def g(a=open({m}, 'w')):\n        pass\n" + ret,
        "import": head + f"    import os; os.system('touch ' + {m})\n" + ret,
        "keyword": head + f"    z = sin(x, where=open({m}, 'w') is None)\n" + ret,
        "starred": head + f"    z = sin(*[x, open({m}, 'w')])\n" + ret,
        "ufunc attribute": head + f"    z = sin.__call__(x) + len(open({m}, 'w').name)\n" + ret,
    }


SHAPES_REFUSED = {
    "string constant": GOOD.replace("2*y]", "2*y, 'a']"),
    "bytes constant": GOOD.replace("2*y]", "2*y + len(b'a')]"),
    "bool constant": GOOD.replace("2*y]", "2*y*True]"),
    "None": GOOD.replace("2*y]", "None]"),
    "numpy.load": GOOD.replace("2*y]", "numpy.load(x)]"),
    "load": GOOD.replace("2*y]", "load(x)]"),
    "fromfile": GOOD.replace("2*y]", "fromfile(x)]"),
    "save": GOOD.replace("2*y]", "save(x, y)]"),
    "eval": GOOD.replace("2*y]", "eval(x)]"),
    "exec": GOOD.replace("2*y]", "exec(x)]"),
    "open": GOOD.replace("2*y]", "open(x)]"),
    "a non-ufunc name": GOOD.replace("2*y]", "2*where]"),
    "an unknown name": GOOD.replace("2*y]", "2*z]"),
    "a name used before it is assigned": GOOD.replace(
        "    return", "    a = b\n    b = x\n    return"
    ),
    "keyword argument": GOOD.replace("2*y]", "sin(y, out=y)]"),
    "lambda": GOOD.replace("2*y]", "(lambda: y)()]"),
    "subscript": GOOD.replace("2*y]", "y[0]]"),
    "comprehension": GOOD.replace("2*y]", "sum([y for _ in x])]"),
    "generator": GOOD.replace("2*y]", "sin(y for _ in x)]"),
    "comparison": GOOD.replace("2*y]", "2*(y > 0)]"),
    "conditional": GOOD.replace("2*y]", "y if x else y]"),
    "floor division": GOOD.replace("2*y]", "y // 2]"),
    "bit operation": GOOD.replace("2*y]", "y ^ 2]"),
    "matrix product": GOOD.replace("2*y]", "y @ y]"),
    "second def": GOOD + GOOD.replace("_lambdifygenerated", "g"),
    "decorator": "@sin\n" + GOOD,
    "default argument": GOOD.replace("(x, y)", "(x, y=2)"),
    "star arguments": GOOD.replace("(x, y)", "(x, *y)"),
    "keyword-only argument": GOOD.replace("(x, y)", "(x, *, y)"),
    "return annotation": GOOD.replace("(x, y):", "(x, y) -> 1:"),
    "async def": "async " + GOOD,
    "class": "class C:\n    pass\n",
    "augmented assignment": GOOD.replace("    return", "    x += 1\n    return"),
    "tuple assignment": GOOD.replace("    return", "    a, b = x, y\n    return"),
    "attribute assignment": GOOD.replace("    return", "    x.shape = 1\n    return"),
    "a bare expression": "x + 1\n",
    "no return": "def f(x):\n    y = x\n",
    "return of a scalar": "def f(x):\n    return x\n",
    "not python": "def f(x):\n    return [x +\n",
    "too long": "def f(x):\n    return [" + "x + " * 110_000 + "x]\n",
}


def _allowed() -> code.Allowed:
    from gradcli.recalled import _allowed as allowed

    return allowed()


def test_generated_shapes_pass() -> None:
    allowed = _allowed()
    assert code.source_shape(GOOD, allowed) is not None
    cse = (
        "def _lambdifygenerated(x, y):\n    x0 = sin(x)\n    x1 = x0**2 + exp(-y)\n"
        "    return [x1*pi + 1/3, -x1, 2.5e-3*x0**(-1/2) + 1j, (-e + x0)*inf, +x1]\n"
    )
    assert code.source_shape(cse, allowed) is not None
    assert code.source_shape("def f(x):\n    return (x, cbrt(x))\n", allowed) is not None


def test_source_shape_refuses() -> None:
    allowed = _allowed()
    for name, source in SHAPES_REFUSED.items():
        assert code.source_shape(source, allowed) is None, name
        assert code.load(source, {}, allowed) is None, name


def test_source_shape_refuses_what_would_run_code(tmp_path: Path) -> None:
    from gradcli.recalled import _namespace

    allowed = _allowed()
    for name in _tampered(Path("m")):
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        source = _tampered(folder / "ran")[name]
        assert code.source_shape(source, allowed) is None, name
        assert code.load(source, _namespace(), allowed) is None, name
        assert list(folder.iterdir()) == [], name
        # the probe bites: run unchecked, the source does create its marker (the annotation,
        # the default and the decorator when defined; the rest when called)
        found: dict[str, Any] = {}
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, "<probe>", "exec", dont_inherit=True), _namespace(), found)
            found["_lambdifygenerated"](np.float64(1.0), np.float64(2.0))
        assert any(p.name.startswith("ran") for p in folder.iterdir()), name


TAMPER_ARGS = ["descend", "x**2+y**2", "--from", "3,1", "--steps", "4"]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], Outcome]:
    """TAMPER_ARGS' entry key and body as a cold run stores them, and its uncached output."""
    folder = tmp_path_factory.mktemp("genuine") / "cache"
    with pytest.MonkeyPatch.context() as patched:
        patched.delenv("GRADCLI_NO_CACHE", raising=False)
        patched.setattr(fast, "_bypass", False)
        want = _uncached(TAMPER_ARGS, folder)
        assert _invoke(TAMPER_ARGS, folder) == want
        key, body = _entry(folder)
    assert set(body["code"]) == {"_value", "both"}
    return key, body, want


# Through the command, one of each way in: a call, an attribute, a string run as code, a numpy
# function that writes, and what runs on definition (decorator, default, a second statement);
# every shape is refused by source_shape above.
THROUGH_THE_COMMAND = [
    "__import__",
    "attribute",
    "eval",
    "numpy save",
    "comprehension",
    "decorator",
    "default",
    "second statement",
]


@pytest.mark.parametrize("name", THROUGH_THE_COMMAND)
def test_tampered_code_never_runs_and_is_rewritten(
    name: str, cache: Path, tmp_path: Path, genuine: tuple[str, dict[str, Any], Outcome]
) -> None:
    key, body, want = genuine
    marker = tmp_path / "ran"
    _write(cache, key, {**body, "code": {**body["code"], "both": _tampered(marker)[name]}})
    assert _invoke(TAMPER_ARGS, cache) == want  # the full path, as if nothing were stored
    assert not any(p.name.startswith("ran") for p in tmp_path.iterdir())
    assert _entry(cache) == (key, body)  # rewritten with the code the full path generated


@pytest.mark.parametrize(
    "change",
    [
        {"names": "x,y"},
        {"notes": [1]},
        {"printed": {"understood": "x**2 + y**2"}},
        {"code": {"both": 3}},
        {"code": {"_evaluate": GOOD}},
    ],
    ids=["names-str", "notes-int", "printed-missing", "code-int", "code-name"],
)
def test_a_malformed_entry_is_rewritten(
    change: dict[str, Any], cache: Path, genuine: tuple[str, dict[str, Any], Outcome]
) -> None:
    key, body, want = genuine
    _write(cache, key, {**body, **change})
    assert _invoke(TAMPER_ARGS, cache) == want
    assert _entry(cache) == (key, body)


@pytest.mark.parametrize(
    "both",
    [
        "def f(x, y, z):\n    return [x**2 + y**2, 2*x, 2*y]\n",  # one parameter too many
        "def f(x, y):\n    return [x**2 + y**2, 2*x]\n",  # one output too few
        "def f(x, y):\n    return [x**2 + y**2, 2*x, 2*y + 0*sin(x, x)]\n",  # sin with an `out`
    ],
    ids=["arity", "outputs", "ufunc-out"],
)
def test_code_that_does_not_fit_f_is_rewritten(
    both: str, cache: Path, genuine: tuple[str, dict[str, Any], Outcome]
) -> None:
    key, body, want = genuine
    _write(cache, key, {**body, "code": {**body["code"], "both": both}})
    assert _invoke(TAMPER_ARGS, cache) == want
    assert _entry(cache) == (key, body)


@pytest.mark.parametrize(
    "source",
    [
        GOOD.replace("2*y]", "2*y + 0*9**9**9]"),
        "def f(x, y):\n    a0 = 3\n    a1 = a0**a0\n    a2 = a1**a1\n    a3 = a2**a2\n"
        "    return [x**2 + y**2 + 0*a3, 2*x, 2*y]\n",
    ],
    ids=["literal", "chain"],
)
def test_source_shape_refuses_huge_integer_powers(source: str) -> None:
    assert code.source_shape(source, _allowed()) is None  # checked only, never run


# --- keep() → recall() gives the same numbers, bit for bit -----------------------------------
_ATOMS = st.sampled_from(["x", "y", "x", "y", "2", "3", "1/3", "5/7", "pi", "E", "0.25"])
_FUNCTIONS = st.sampled_from(["sin", "cos", "exp", "log", "sqrt"])


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        st.tuples(inner, st.sampled_from(["2", "3"])).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(_FUNCTIONS, inner).map(lambda t: f"{t[0]}({t[1]})"),
    )


EXPRESSIONS = st.recursive(_ATOMS, _grow, max_leaves=5)
_AXIS = np.array([-2.5, -1.0, -0.3, 0.0, 0.7, 1.0, 3.2])
GRID = np.stack(np.meshgrid(_AXIS, _AXIS), axis=-1).reshape(-1, 2)


@pytest.mark.filterwarnings("ignore:Casting complex values to real")  # sqrt(-1): both paths
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(EXPRESSIONS)
def test_recalled_evaluators_equal_fresh_ones(text: str) -> None:
    from gradcli.errors import GradcliError
    from gradcli.expr import parse
    from gradcli.numeric import compile_function
    from gradcli.recalled import EVALUATORS, keep, recall

    try:
        fn = parse(text, vars="x,y")
    except GradcliError:  # a constant division by zero, say: nothing to compile
        return
    fresh = compile_function(fn)
    with np.errstate(all="ignore"):
        values, gradients, hessians = fresh.value(GRID), fresh.gradient(GRID), fresh.hessian(GRID)
        both = fresh.both(*GRID.T)
    sources = keep(fresh)
    assert sources is not None and set(sources) == set(EVALUATORS), text
    assert all(code.source_shape(s, _allowed()) is not None for s in sources.values())

    def parse_again() -> Any:
        raise AssertionError("a recalled evaluator asked for f's expression")

    printed = {"understood": fn.understood, "machine": fn.understood}
    made = recall(list(fn.names), text, printed, json.loads(json.dumps(sources)), parse_again)
    assert made is not None, text
    _, recalled = made
    with np.errstate(all="ignore"):
        assert np.array_equal(recalled.value(GRID), values, equal_nan=True), text
        assert np.array_equal(recalled.gradient(GRID), gradients, equal_nan=True), text
        assert np.array_equal(recalled.hessian(GRID), hessians, equal_nan=True), text
        again = recalled.both(*GRID.T)
    assert len(again) == len(both) == 3
    for a, b in zip(again, both):
        assert np.array_equal(
            np.broadcast_to(a, GRID.shape[:1]), np.broadcast_to(b, GRID.shape[:1]), equal_nan=True
        ), text
    assert recalled.fresh == set()


# --- merging: what a later run makes is added ------------------------------------------------
def test_evaluators_made_later_are_merged(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = "x**2+3*y**2-x*y"
    stream = ["descend", f, "--from", "3,1", "--steps", "3", "-f", "csv"]
    table = ["descend", f, "--from", "3,1", "--steps", "200"]  # converges: its end is classified
    assert _invoke(stream, cache) == _uncached(stream, cache)
    key, first = _entry(cache)
    assert set(first["code"]) == {"both"}
    want = _uncached(table, cache)
    assert "minimum" in want[1]
    assert _invoke(table, cache) == want  # recalls both, makes f and the Hessian afresh
    _, second = _entry(cache)
    assert second["code"]["both"] == first["code"]["both"]
    assert {"_hessian", "both"} <= set(second["code"])
    assert {k: v for k, v in second.items() if k != "code"} == {
        k: v for k, v in first.items() if k != "code"
    }
    with _no_sympy_work(monkeypatch) as called:
        assert _invoke(table, cache) == want
    assert called == []
    assert _entry(cache) == (key, second)


def test_a_constrained_run_leaves_the_entry_alone(cache: Path) -> None:
    plain = ["descend", "x**2+y**2", "--from", "3,1", "--steps", "4"]
    _invoke(plain, cache)
    before = _entry(cache)
    constrained = ["descend", "x**2+y**2", "--subject-to", "x+y=1", "--from", "3,1", "--steps", "4"]
    assert _invoke(constrained, cache) == _uncached(constrained, cache)
    assert _entry(cache) == before


# --- nothing kept from a run that ran out of time, failed, or was asked to keep off -----------
def test_nothing_kept_when_a_time_bound_ran_out(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = itertools.count()
    monkeypatch.setattr(fast, "expired_count", lambda: next(counter))  # one more at each look
    args = ["descend", "x**2+y**2", "--from", "3,1", "--steps", "4"]
    assert _invoke(args, cache) == _uncached(args, cache)
    assert next(counter) >= 2  # looked before and after the run
    assert _numeric(cache) == []


def test_nothing_kept_from_a_failed_run(cache: Path) -> None:
    args = ["descend", "x**2", "--from", "1", "--steps", "2", "--strict"]
    want = _uncached(args, cache)
    assert want[0] == 3
    assert _invoke(args, cache) == want
    assert _numeric(cache) == []


def test_nothing_kept_with_the_cache_off(cache: Path) -> None:
    args = ["descend", "x**2+y**2", "--from", "3,1", "--steps", "4"]
    want = _uncached(args, cache)
    assert not cache.exists()
    assert fast.answer([*args], True) is None  # what main() does with --no-cache
    assert _invoke(args, cache) == want
    assert not cache.exists() or _numeric(cache) == []


# --- real processes ----------------------------------------------------------------------------
BLOCK_SYMPY = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "sympy" or name.startswith("sympy."):
            raise ImportError("sympy is blocked in this run")
        return None
sys.meta_path.insert(0, Blocker())
from gradcli.cli import main
sys.argv = ["gradcli", *sys.argv[1:]]
main()
"""


def _process(args: list[str], cache: Path, *, block_sympy: bool = False) -> Outcome:
    head = ["-c", BLOCK_SYMPY] if block_sympy else ["-m", "gradcli"]
    return gradcli_process.run(args, {**ENV, "GRADCLI_CACHE_DIR": str(cache)}, head)


@pytest.mark.slow
def test_a_warm_process_imports_no_sympy(cache: Path) -> None:
    args = ["descend", "x^2 + 3y^2 + sin(x)", "--from", "3,1", "--from", "-1,2", "--steps", "300"]
    args += ["--bounds", "y=-0.5:"]  # a box is worded and parsed without sympy too
    want = _invoke(args, cache)  # cold, in this process: the same key as a process's
    assert want[0] == 0 and "y ≥ -0.5 (box)" in want[1]
    state = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert _process([*args, "--no-cache"], cache) == want
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == state  # not read: no touch
    assert _process(args, cache, block_sympy=True) == want


# --- plot: the same figure from a recalled f ----------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["plot", "x**2+y**2"],
        ["plot", "sin(x)*exp(-y**2/4)", "--math-font", "cm", "--from", "1,1", "--lr", "0.2"],
        ["plot", "x1**3 - x1"],
        ["descend", "x**2+3*y**2", "--from", "3,1", "--summary", "--plot"],
    ],
    ids=["bowl", "cm-title-and-a-run", "curve", "descend-plot"],
)
def test_a_warm_figure_is_byte_identical(
    args: list[str], cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PNG and the report cold, warm and uncached are the same bytes; the warm run parsed,
    differentiated and lambdified nothing (title, labels and evaluators were recalled)."""

    def run(name: str, **env: str) -> tuple[Outcome, bytes]:
        path = tmp_path / f"{name}.png"
        outcome = _invoke([*args, str(path)] if args[-1] == "--plot" else [*args, "-o", str(path)],
                          cache, **env)  # fmt: skip
        text = outcome[1].replace(str(path), "FIGURE")
        return (outcome[0], text, outcome[2]), path.read_bytes()

    cold = run("cold")
    assert cold[0][0] == 0, cold[0]
    with _no_sympy_work(monkeypatch) as called:
        warm = run("warm")
    assert called == []
    assert warm == cold
    assert run("bare", GRADCLI_NO_CACHE="1") == cold  # names of one length: one wrapping


@pytest.mark.slow
def test_a_warm_plot_process_imports_no_sympy(cache: Path, tmp_path: Path) -> None:
    """The in-process test above cannot see an import of sympy (the suite has it loaded): a real
    process that cannot import it draws the same figure from a warm cache."""
    cold, warm = tmp_path / "cold.png", tmp_path / "warm.png"
    args = ["plot", "x**2 + 3y^2", "--from", "2,1", "--lr", "0.1", "-o"]
    want = _invoke([*args, str(cold)], cache)
    assert want[0] == 0
    got = _process([*args, str(warm)], cache, block_sympy=True)
    assert got == (0, want[1].replace(str(cold), str(warm)), want[2])
    assert warm.read_bytes() == cold.read_bytes()
