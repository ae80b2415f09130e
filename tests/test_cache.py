"""The result cache (gradcli.cache, gradcli.cli.fast): the same bytes as the full path, and a
folder that is safe to keep.

In-process: the exact arithmetic against sympy, the cached documents against the real command
(every format, a property over functions and points), the folder's checks, corrupt entries, the
size cap, the bypass. Real processes (slow): the fast path itself on many commands and every
README example it can answer, and several processes writing one key at once.
"""

from __future__ import annotations

import io
import json
import os
import random
import shlex
import stat
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import gradcli_process
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gradcli.cache import answers, exact, store
from gradcli.cache.exact import Refused
from gradcli.cli import app, fast
from gradcli.views import cached
from gradcli.views.render import render

ROOT = Path(__file__).resolve().parent.parent
ENV = {"NO_COLOR": "1", "COLUMNS": "100"}
runner = CliRunner()


# --- exact arithmetic against sympy -------------------------------------------------------------------
def test_the_float_of_a_rational_is_sympys() -> None:
    import sympy

    rng = random.Random(13)
    for _ in range(1500):
        p = rng.randint(-(10 ** rng.randint(1, 40)), 10 ** rng.randint(1, 40))
        q = rng.randint(1, 10 ** rng.randint(1, 40))
        want = complex(sympy.N(sympy.Rational(p, q), 17)).real
        assert exact.sympy_float(Fraction(p, q)) == want, (p, q)


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_a_square_root_is_written_as_sympy_writes_it() -> None:
    import sympy

    from gradcli.views.printers import machine
    from gradcli.views.text import pretty

    rng = random.Random(7)
    answered = 0
    for k in range(800):
        a = rng.randint(1, 2 ** rng.randint(1, 34))
        b = rng.randint(1, 2 ** rng.randint(1, 34))
        if k % 3 == 0:
            a *= rng.randint(1, 300) ** 2
        if k % 5 == 0:
            a, b = a * a, b * b  # perfect squares of any size
        value = Fraction(a, b)
        try:
            c, z = exact.square_root(value)
        except Refused:
            assert max(value.numerator, value.denominator) >= exact.SURD_LIMIT
            continue
        answered += 1
        root = sympy.sqrt(sympy.Rational(a, b))
        shown = answers.Exact(c, z, float(root))
        assert cached.machine(shown) == machine(root), (a, b)
        assert cached.pretty(shown) == pretty(root), (a, b)
    assert answered > 500


def test_only_rational_functions_become_rational_trees() -> None:
    from gradcli.expr import parse

    fn = parse("x^2/(1+y) - 0.5x y^3")
    tree = exact.tree(fn.expr, fn.variables)
    assert tree is not None and exact.is_rational(tree)
    assert exact.evaluate(tree, [Fraction(2), Fraction(1)]) == Fraction(4, 2) - Fraction(1)
    # sin, √, π … are trees too (tests/test_cache_transcendental.py), not rational ones
    for text in ("sin(x) + y", "sqrt(x) + y", "x^y", "pi*x + y", "x^(1/2) + y"):
        fn = parse(text)
        tree = exact.tree(fn.expr, fn.variables)
        assert tree is not None and not exact.is_rational(tree), text
        with pytest.raises(Refused):
            exact.evaluate(tree, [Fraction(2), Fraction(1)])
    fn = parse("abs(x) + y")
    assert exact.tree(fn.expr, fn.variables) is None


def test_a_stored_tree_is_checked_not_trusted() -> None:
    point = [Fraction(1)]
    for bad in (["v", 3], ["n", 1, 0], ["call", "os.system"], ["^", ["v", 0], 10**6], "x", []):
        with pytest.raises(Refused):
            exact.evaluate(bad, point)
    with pytest.raises(Refused):  # 1/0 is the full path's to explain
        exact.evaluate(["^", ["+", ["v", 0], ["n", -1, 1]], -1], point)


# --- the cached documents are the command's bytes -------------------------------------------------------
def _rendered(doc: Any, fmt: str) -> str:
    out = io.StringIO()  # no encoding: rendered as for UTF-8, as CliRunner's stdout is
    render(doc, fmt, out)
    return out.getvalue()


def _invoke(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args, env=ENV)
    return result.exit_code, result.stdout


def _function_entry(command: str, expr: str, extra: list[str]) -> dict[str, Any] | None:
    """What the hook keeps for ``command expr``: run it in-process with a session listening."""

    session = fast.Session(store=None, environment="test")
    session.function_key = "key"
    fast._session = session
    try:
        code, _ = _invoke([command, expr, *extra])
    finally:
        fast._session = None
    return session.function if code == 0 else None


@st.composite
def rational_functions(draw: Any) -> str:
    atoms = st.sampled_from(["x", "y", "2", "0.5", "3x", "x*y", "(x - y)", "(1 + x^2)", "y^3"])
    ops = st.sampled_from(["+", "-", "*", "/"])
    text = draw(atoms)
    for _ in range(draw(st.integers(1, 4))):
        text = f"{text} {draw(ops)} {draw(atoms)}"
    return text


decimals = st.sampled_from(
    ["3", "1", "-2", "0.5", "3.125", "-1.25", "0.1", "2.75", "1e-3", "10", "-0.333", "7"]
)


@pytest.mark.slow
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    rational_functions(),
    st.lists(st.tuples(decimals, decimals), min_size=1, max_size=3),
    st.sampled_from(["table", "json", "ndjson", "csv"]),
    st.integers(1, 17),
)
def test_grad_from_the_cache_is_byte_identical(
    expr: str, points: list[tuple[str, str]], fmt: str, precision: int
) -> None:
    ats = [f"{a},{b}" for a, b in points]
    args = [f"--at={p}" for p in ats] + ["-f", fmt, "-p", str(precision), "--vars", "x,y"]
    code, want = _invoke(["grad", expr, *args])
    entry = _function_entry("grad", expr, ["--vars", "x,y", "--at", ats[0]])
    if code != 0 or entry is None:
        return  # undefined somewhere, or not a rational function after all: the full path's
    try:
        rows = [
            answers.grad_at(entry["f"], entry["gradient"], answers.coordinates(p, 2))  # type: ignore[arg-type]
            for p in ats
        ]
    except Refused:
        return  # stationary, or past the exact path's sizes
    doc = cached.gradient_document(
        entry["head"], rows, precision, streamed=fmt in ("ndjson", "csv")
    )
    assert _rendered(doc, fmt) == want


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(
    rational_functions(),
    st.lists(st.tuples(decimals, decimals), min_size=1, max_size=2),
    st.sampled_from(["table", "json", "csv"]),
    st.sampled_from([["--wrt", "x"], ["--wrt", "y", "--wrt", "x"], ["-w", "y", "-n", "2"]]),
)
@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_partial_from_the_cache_is_byte_identical(
    expr: str, points: list[tuple[str, str]], fmt: str, wrt: list[str]
) -> None:
    ats = [f"{a},{b}" for a, b in points]
    extra = [*wrt, "--vars", "x,y"]
    code, want = _invoke(["partial", expr, *extra, *(f"-a{p}" for p in ats), "-f", fmt])
    entry = _function_entry("partial", expr, [*extra, "--at", ats[0]])
    if code != 0 or entry is None:
        return
    try:
        rows = [
            answers.partial_at(entry["f"], entry["derivative"], answers.coordinates(p, 2))  # type: ignore[arg-type]
            for p in ats
        ]
    except Refused:
        return
    doc = cached.partial_document(entry["head"], rows, 6, streamed=fmt == "csv")
    assert _rendered(doc, fmt) == want


def test_the_property_answers_most_of_what_it_draws() -> None:
    # The identity tests above skip what the exact path refuses; make sure that is not everything.
    entry = _function_entry("grad", "x^2 + y^2", ["--at", "3,1"])
    assert entry is not None
    row = answers.grad_at(entry["f"], entry["gradient"], answers.coordinates("3.125,1", 2))  # type: ignore[arg-type]
    text = _rendered(cached.gradient_document(entry["head"], [row], 6, streamed=False), "table")
    assert "√689/4 ≈ 6.5622" in text
    assert "689/64 ≈ 10.7656" in text
    with pytest.raises(Refused):  # a stationary point is classified by the full path
        answers.grad_at(entry["f"], entry["gradient"], answers.coordinates("0,0", 2))  # type: ignore[arg-type]
    assert answers.coordinates("pi,1", 2) is None
    assert answers.coordinates("x=3,y=1", 2) is None


# --- the folder -----------------------------------------------------------------------------------------
def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"GRADCLI_CACHE_DIR": str(tmp_path / "cache"), **more}


def test_the_folder_is_created_private(tmp_path: Path) -> None:
    opened = store.Store.open(_env(tmp_path))
    assert opened is not None
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    opened.close()


def test_xdg_and_home_locations() -> None:
    assert store.location({"XDG_CACHE_HOME": "/x/y"}) == "/x/y/gradcli"
    assert store.location({"XDG_CACHE_HOME": "relative"}) != "relative/gradcli"
    assert store.location({"GRADCLI_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == "/c"


@pytest.mark.parametrize("mode", [0o770, 0o777, 0o722])
def test_a_folder_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(mode)
    assert store.Store.open(_env(tmp_path)) is None


def test_a_folder_of_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cache").mkdir(mode=0o700)
    monkeypatch.setattr(store.os, "geteuid", lambda: os.getuid() + 1)
    assert store.Store.open(_env(tmp_path)) is None


def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(real)
    assert store.Store.open(_env(tmp_path)) is None


def _opened(tmp_path: Path, **more: str) -> store.Store:
    opened = store.Store.open(_env(tmp_path, **more))
    assert opened is not None
    return opened


def _entry(tmp_path: Path, kind: str, key: str) -> Path:
    return tmp_path / "cache" / f"{kind}-{key}.json"


def test_an_entry_round_trips(tmp_path: Path) -> None:
    s = _opened(tmp_path)
    assert s.write("reply", "k1", {"code": 0, "output": [[1, "∇f ≈ 6\n"]]})
    assert s.read("reply", "k1") == {"code": 0, "output": [[1, "∇f ≈ 6\n"]]}
    assert s.read("reply", "k2") is None
    assert stat.S_IMODE(_entry(tmp_path, "reply", "k1").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "damage",
    ["truncate", "flip", "schema", "key", "not json", "symlink", "folder", "foreign owner"],
)
def test_a_damaged_entry_is_ignored_and_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    s = _opened(tmp_path)
    body = {"code": 0, "output": [[1, "answer\n"]]}
    s.write("reply", "k", body)
    path = _entry(tmp_path, "reply", "k")
    data = path.read_bytes()
    head, _, payload = data.partition(b"\n")
    if damage == "truncate":
        path.write_bytes(data[: len(data) - 5])
    elif damage == "flip":
        path.write_bytes(head + b"\n" + payload.replace(b"answer", b"answeR"))
    elif damage == "schema":
        path.write_bytes(head.replace(b"gradcli-cache-1", b"gradcli-cache-0") + b"\n" + payload)
    elif damage == "key":
        other = _entry(tmp_path, "reply", "other")
        other.write_bytes(data)  # an entry moved to another key's name
        assert s.read("reply", "other") is None
    elif damage == "not json":
        path.write_bytes(b"\x00\xff garbage")
    elif damage == "symlink":
        target = tmp_path / "elsewhere.json"
        target.write_bytes(data)
        path.unlink()
        path.symlink_to(target)
    elif damage == "folder":
        path.unlink()
        path.mkdir()
    elif damage == "foreign owner":
        monkeypatch.setattr(store.os, "geteuid", lambda: os.getuid() + 1)
    if damage != "key":
        assert s.read("reply", "k") is None
    monkeypatch.undo()
    if damage == "folder":
        path.rmdir()
    assert s.write("reply", "k", body)  # the next full run puts it right
    assert s.read("reply", "k") == body


def test_an_entry_past_the_cap_is_not_kept(tmp_path: Path) -> None:
    s = _opened(tmp_path)
    assert not s.write("reply", "big", {"output": "x" * (store.MAX_ENTRY_BYTES + 1)})
    assert s.names() == []


def test_the_folder_is_trimmed_least_recently_used_first(tmp_path: Path) -> None:
    s = _opened(tmp_path)
    for k in range(8):
        assert s.write("reply", f"k{k}", {"output": str(k) * 400})
        os.utime(_entry(tmp_path, "reply", f"k{k}"), (1000 + k, 1000 + k))
    size = _entry(tmp_path, "reply", "k0").stat().st_size
    capped = store.Store(s.fd, s.path, max_bytes=8 * size + size // 2)  # room for 8, not 9
    assert capped.read("reply", "k0") is not None  # a hit makes k0 the most recently used
    capped.write("reply", "k8", {"output": "8" * 400})
    names = capped.names()
    total = sum((tmp_path / "cache" / n).stat().st_size for n in names)
    assert total <= capped.max_bytes * store.TRIM_TO
    assert "reply-k0.json" in names and "reply-k8.json" in names
    assert "reply-k1.json" not in names  # the oldest untouched one went first
    assert "reply-k7.json" in names


def test_stale_temp_files_are_removed(tmp_path: Path) -> None:
    s = _opened(tmp_path)
    stale = tmp_path / "cache" / ".tmp-1-dead"
    stale.write_bytes(b"half")
    os.utime(stale, (1000, 1000))
    fresh = tmp_path / "cache" / ".tmp-2-busy"
    fresh.write_bytes(b"half")
    s.write("reply", "k", {"output": "x"})
    assert not stale.exists() and fresh.exists()


def test_no_cache_by_environment_or_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert store.Store.open(_env(tmp_path, GRADCLI_NO_CACHE="1")) is None
    assert store.Store.open(_env(tmp_path, GRADCLI_NO_CACHE="0")) is not None
    monkeypatch.setenv("GRADCLI_CACHE_DIR", str(tmp_path / "flag"))
    monkeypatch.delenv("GRADCLI_NO_CACHE", raising=False)
    assert fast.answer(["grad", "x^2", "--at", "3"], no_cache=True) is None
    assert not (tmp_path / "flag").exists()  # not even created
    assert fast.strip_no_cache(["grad", "--no-cache", "x", "--at", "1"]) == (
        ["grad", "x", "--at", "1"],
        True,
    )
    assert fast.strip_no_cache(["grad", "x", "--", "--no-cache"]) == (
        ["grad", "x", "--", "--no-cache"],
        False,
    )


def test_nothing_is_kept_after_a_time_bound_ran_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradcli import limits

    s = _opened(tmp_path)
    session = fast.Session(s, "env")
    session.reply_key = "k"
    session.record(1, "a load-dependent answer\n")
    monkeypatch.setattr(limits, "EXPIRED", ["simplify"])
    fast._session = session
    fast.finish(0)
    assert s.names() == []
    monkeypatch.setattr(limits, "EXPIRED", [])
    for code in (1, 2, 130):
        fast._session = session
        fast.finish(code)
        assert s.names() == []
    fast._session = session
    fast.finish(0)
    assert s.names() == ["reply-k.json"]


def test_the_fast_path_reads_only_what_it_understands() -> None:
    parsed = fast._parse(["grad", "x^2+y^2", "-a3,1", "--at=1,2", "-f", "JSON", "-p", "4"])
    assert parsed is not None and parsed.values["at"] == ["3,1", "1,2"]
    for argv in (
        ["grad", "x^2", "--at", "3", "--hessian"],
        ["grad", "x^2", "--at", "-"],
        ["grad", "-x^2", "--at", "3"],
        ["grad", "x^2", "-p", "0"],
        ["grad", "x^2", "-p", "18"],
        ["grad", "x^2", "-f", "svg"],
        ["grad", "x^2", "y"],
        ["grad", "x^2", "--at"],
        ["partial", "x^2", "-n", "21"],
        ["grad", "x^2", "--wrt", "x"],
    ):
        assert fast._parse(argv) is None, argv


# --- real processes ---------------------------------------------------------------------------------------
def _run(args: list[str], cache: Path | None, *, bypass: bool = False) -> tuple[int, str, str]:
    env = dict(ENV)
    if cache is not None:
        env["GRADCLI_CACHE_DIR"] = str(cache)
    if bypass or cache is None:
        env["GRADCLI_NO_CACHE"] = "1"
    return gradcli_process.run(args, env)


def _in_process(args: list[str]) -> tuple[int, str, str]:
    """What :func:`_run` gives without the cache, computed in this process (the uncached path is
    the same code either way; a process costs a second of start-up on a busy machine)."""
    result = runner.invoke(app, args, env={**ENV, "GRADCLI_NO_CACHE": "1"})
    return result.exit_code, result.stdout, result.stderr


def _state(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


CASES = [
    ["grad", "x**2+y**2", "--at", "3,1"],
    ["grad", "x^2 + y^2", "--at", "1/3,1", "--at", "-2,-2"],
    ["grad", "x**2", "--at", "3", "--at", "4", "-f", "json"],
    ["grad", "x**2 - y**2", "--at", "0,0", "--hessian"],
    ["grad", "x*y", "--at", "1,2", "--dir", "1,1", "--check"],
    ["grad", "xy + x^2", "--at", "1,2"],  # a note on stderr about 'xy'
    ["partial", "x**3*y**2", "--wrt", "x", "--wrt", "y", "--at", "1,2", "-f", "csv"],
    ["partial", "sin(x)", "--order", "4", "--at", "1"],
    ["critical", "x^2 + y^2 - 2x"],
    ["level", "x^2 + y^2", "--at", "3,4"],
    ["grad", "1/x + y", "--at", "0,1"],  # undefined: an error, never kept
]


@pytest.mark.slow
@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a)[:40])
def test_the_cached_command_is_byte_identical(args: list[str], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    want = _in_process(args)  # the uncached answer: no interpreter to start for it
    assert _run(args, cache) == want  # the first call fills the cache
    assert _run(args, cache) == want  # the second replays it
    if want[0] != 0:
        assert not any(n.startswith("reply-") for n in os.listdir(cache))


@pytest.mark.slow
def test_new_points_are_answered_from_the_stored_function(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _run(["grad", "x^2*y - y/(1+x^2)", "--at", "1,1", "-f", "json"], cache)
    for at, fmt in [("2.5,-1", "table"), ("0.1,3", "json"), ("7,0.25", "csv"), ("-3,2", "ndjson")]:
        args = ["grad", "x^2*y - y/(1+x^2)", "--at", at, "-f", fmt]
        assert _run(args, cache) == _in_process(args)
    # ... without sympy: the run imports none of it
    env_args = ["-X", "importtime", "-m", "gradcli", "grad", "x^2*y - y/(1+x^2)", "--at", "4,5"]
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT), "GRADCLI_CACHE_DIR": str(cache)}
    env.pop("GRADCLI_NO_CACHE", None)
    proc = subprocess.run([sys.executable, *env_args], capture_output=True, text=True, env=env)
    assert proc.returncode == 0
    imported = proc.stderr
    assert "sympy" not in imported and "numpy" not in imported and "typer" not in imported


@pytest.mark.slow
def test_bypass_reads_and_writes_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    args = ["grad", "x**2+y**2", "--at", "3,1"]
    want = _run(args, cache)
    before = _state(cache)
    assert before  # filled
    assert _run(args, cache, bypass=True) == want
    assert _run([*args, "--no-cache"], cache) == want
    assert _run(["--no-cache", "grad", "x**2+y**2", "--at", "5,1"], cache)[0] == 0
    assert _state(cache) == before  # no entry read (a hit touches it) or written


@pytest.mark.slow
def test_an_unsafe_folder_is_left_alone(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    args = ["grad", "x**2+y**2", "--at", "3,1"]
    assert _run(args, cache) == _in_process(args)
    assert list(cache.iterdir()) == []


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for line in text.splitlines():
        if not line.startswith("$ gradcli "):
            continue
        words = shlex.split(line[2:], comments=True)
        if any(c in line for c in "|<>;&") or "-" in words or words[1] not in fast.REPLAYED:
            continue
        found.append(words[1:])
    return found


def test_the_readme_has_cacheable_examples() -> None:
    assert len(readme_commands()) >= 5


@pytest.mark.slow
@pytest.mark.parametrize("args", readme_commands(), ids=lambda args: " ".join(args)[:50])
def test_every_cacheable_readme_example_is_byte_identical(args: list[str], tmp_path: Path) -> None:
    # The first call computes and fills the cache; the second is answered from it. That a call
    # that fills the cache prints what an uncached one does is held for every kind of command by
    # test_the_cached_command_is_byte_identical.
    cache = tmp_path / "cache"
    want = _run(args, cache)
    assert _run(args, cache) == want, args


WRITER = """
import sys
from gradcli.cache.store import Store
s = Store.open()
me = sys.argv[1]
seen = set()
for k in range(150):
    s.write("reply", "shared", {"writer": me, "k": k, "output": me * 2000})
    body = s.read("reply", "shared")
    if body is None or body["output"] != body["writer"] * 2000:
        print("TORN", body and body.get("writer"))
        sys.exit(1)
    seen.add(body["writer"])
print("OK", len(seen))
"""


@pytest.mark.slow
def test_several_processes_writing_one_key(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADCLI_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("GRADCLI_NO_CACHE", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, letter], stdout=subprocess.PIPE, text=True, env=env
        )
        for letter in "abcde"
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert all(o.startswith("OK") for o in outputs), outputs
    assert [n for n in os.listdir(tmp_path / "cache")] == ["reply-shared.json"]  # no temp left
    body = json.loads((tmp_path / "cache" / "reply-shared.json").read_text().split("\n", 1)[1])
    assert body["output"] == body["writer"] * 2000
