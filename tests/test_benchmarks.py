"""benchmarks/run.py builds every case of issue 13's table, its baselines exist and compile, and its
checks tell equal work from different work. Nothing here runs a process or times anything."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASELINES = ROOT / "benchmarks" / "baselines"


def load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


run = load_run()

# every row issue 13 asks for, by key
EXPECTED = {
    "import-sympy",
    "help",
    "grad-help",
    "grad",
    "partial",
    "partial-qalc",
    "partial-maxima",
    "descend-csv",
    "descend-many",
    "plot",
    "descend-many-warm",
    "plot-warm",
    "critical",
    "squares-500",
    "squares-1000",
    "warm-new-point",
    "warm-same",
    "warm-new-point-qalc",
    "warm-new-point-3dp-qalc",
    "warm-same-qalc",
    "no-cache",
    "no-cache-qalc",
}


@pytest.fixture(params=[False, True], ids=["full", "quick"])
def cases(request: pytest.FixtureRequest, tmp_path: Path) -> list:
    return run.cases(request.param, tmp_path)


def test_every_row_of_the_issue_is_built_once(tmp_path: Path) -> None:
    keys = [case.key for case in run.cases(False, tmp_path)]
    assert len(keys) == len(set(keys))
    assert set(keys) == EXPECTED
    quick = {case.key for case in run.cases(True, tmp_path)}
    assert quick == (EXPECTED - {"squares-500", "squares-1000"}) | {"squares-50", "squares-100"}


def baseline_files(case: object) -> list[Path]:
    return [Path(arg) for arg in case.theirs if arg.startswith(str(BASELINES))]  # type: ignore[attr-defined]


def test_each_baseline_file_exists_and_compiles(cases: list) -> None:
    used = set()
    for case in cases:
        for path in baseline_files(case):
            assert path.is_file(), path
            used.add(path.name)
            if path.suffix == ".py":
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
            else:
                assert path.read_text(encoding="utf-8").strip()
    # each script-like case has a real file behind it, not an inline program
    assert {"grad_sympy.py", "partial_sympy.py", "critical_newton.py", "derivative.qalc"} <= used


def test_each_case_names_gradcli_and_a_target_where_the_issue_sets_one(cases: list) -> None:
    for case in cases:
        if case.ours is None:
            assert case.key == "import-sympy"
            continue
        first, second = case.ours(0), case.ours(1)
        assert first[1:3] == ["-m", "gradcli"]
        if case.key.startswith("warm-new-point"):
            assert first != second  # a new point on every call
        else:
            assert first == second
        if case.key.startswith(("no-cache", "partial-")):
            assert case.target is None
        else:
            assert case.target is not None
        assert case.cache in ("cold", "warm", "off")


def test_list_prints_every_case_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--list"]) == 0
    out = capsys.readouterr().out
    for key in EXPECTED:
        assert f"\n{key}\t" in f"\n{out}"


def test_only_selects_by_key(tmp_path: Path) -> None:
    chosen = run.select(run.cases(False, tmp_path), "grad-help,critical")
    assert [c.key for c in chosen] == ["grad-help", "critical"]
    assert [c.key for c in run.select(run.cases(False, tmp_path), "help")] == ["help"]
    assert [c.key for c in run.select(run.cases(False, tmp_path), "qalc")] == [
        "partial-qalc",
        "warm-new-point-qalc",
        "warm-new-point-3dp-qalc",
        "warm-same-qalc",
        "no-cache-qalc",
    ]


def test_the_checks_accept_equal_work_and_reject_different_work() -> None:
    grad = json.dumps({"points": [{"gradient": [6.0, 2.0]}]})
    sympy_out = "grad f = [2*x, 2*y]\nat (3, 1): [6, 2] norm 2*sqrt(10) 6.324555320336759\n"
    assert run.grad_sympy_check(grad, sympy_out) is None
    assert run.grad_sympy_check(grad, sympy_out.replace("[6, 2]", "[6, 3]")) is not None

    partial = json.dumps({"points": [{"derivative": 10.645499116836094}]})
    assert run.slope_check(partial, "10.64549912\n") is None  # qalc's ten digits
    assert run.slope_check(partial, "x = 1.3\ndf/dx = 10.6455\n") is not None
    assert (
        run.constant_slope_check(json.dumps({"points": [{"gradient": [10.6455]}]}), "") is not None
    )

    ours = (
        "run,x,y,f,status\n1,3.0,2.0,0.0,max_steps\n2,-2.805118086952745,3.131312518250573,0.0,\n"
    )
    theirs = "run,x,y,f,grad_norm\n0,np.float64(3.0),np.float64(2.0),0.0,0.0\n1,-2.805118086952745,3.131312518250573,0,0\n"
    assert run.many_check(ours, theirs) is None
    assert run.many_check(ours, theirs.replace("3.131312518250573", "3.2")) is not None

    critical = json.dumps({"points": [{"at": {"x": 3.0, "y": 2.0}, "classification": "minimum"}]})
    newton = "x,y,f,eigenvalue_1,eigenvalue_2,classification\n3.0,2.0,0.0,25.7,82.3,minimum\n"
    assert run.critical_check(critical, newton) is None
    assert run.critical_check(critical, newton.replace("minimum", "saddle")) is not None


def test_markdown_marks_targets_refusals_and_numbered_notes() -> None:
    rows = [
        run.Row("a", "`a` vs b", "≤ 1.2×", ours=1.0, theirs=1.0, ratio=1.0, ok=True),
        run.Row("b", "`b` vs c", "≤ 1×", ours=2.0, theirs=1.0, ratio=2.0, ok=False, notes=["n1"]),
        run.Row("c", "`c`", "< 3 s", theirs=9.0, ok=False, status="refused", notes=["n1", "n2"]),
        run.Row("d", "`d` vs qalc", "—", status="skipped", notes=["qalc is not installed"]),
    ]
    text = run.markdown(rows, "header")
    lines = text.splitlines()
    assert lines[0] == "header"
    assert "| `a` vs b | 1.000 s | 1.000 s | 1.00 | ≤ 1.2× | ✓ |" in lines
    assert "| `b` vs c [1] | 2.000 s | 1.000 s | 2.00 | ≤ 1× | ✗ |" in lines
    assert "| `c` [1] [2] | refused | 9.000 s | — | < 3 s | ✗ |" in lines
    assert "| `d` vs qalc [3] | skipped | — | — | — |  |" in lines
    assert lines[-3:] == ["1. n1", "2. n2", "3. qalc is not installed"]


def test_targets_read_as_ratios_or_seconds() -> None:
    assert run.Target(1.2).met(ours=5.0, ratio=1.2)
    assert not run.Target(1.2).met(ours=0.1, ratio=1.21)
    assert run.Target(3.0, seconds=True).met(ours=2.9, ratio=50.0)
    assert not run.Target(3.0, seconds=True).met(ours=3.0, ratio=0.5)
    assert run.Target(3.0, seconds=True).text() == "< 3 s"
    assert run.Target(1.0).text() == "≤ 1.0×"


def test_a_saved_json_run_renders_as_the_same_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = {
        "date": "2026-01-01T12:00+00:00",
        "tree": "/src at abc1234",
        "python": "3.11.7",
        "cores": 2,
        "load_before": [1.5, 1.0, 1.0],
        "load_after": [2.0, 1.0, 1.0],
        "repeats": 9,
        "quick": False,
    }
    rows = [run.Row("a", "`a` vs b", "≤ 1.2×", ours=1.25, theirs=1.0, ratio=1.25, ok=False)]
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({**meta, "rows": [vars(r) for r in rows]}), encoding="utf-8")
    assert run.main(["--render", str(saved)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == run.markdown(rows, run.header(meta)).strip()
    assert "load average 1.50 at the start and 2.00 at the end" in out
    assert "| `a` vs b | 1.250 s | 1.000 s | 1.25 | ≤ 1.2× | ✗ |" in out
