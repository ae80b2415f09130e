"""Knob lists: --schedule, --weight-decay, --clip-norm, --clip-value and --noise take several values,
so one table, CSV or figure compares a run with and without a knob.

Each listed run must be the very run its knob gives alone (the knobs themselves are checked step
for step against torch in tests/test_optimize_knobs.py), told apart by its name and, in CSV and
NDJSON, by one column per compared knob; without lists nothing changes. The product is capped, a
curvature method beside the lists runs once without the knobs, and plot refuses a descent option
without a start instead of ignoring it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.cli.descent_options import KNOB_COMBINATIONS_MAX, DescentArgs

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "100", "GRADCLI_NO_CACHE": "1"}
COSH = ["cosh(x)+cosh(y)", "--from", "6,4", "--lr", "0.5"]


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- the settings product ----------------------------------------------------------------------
def test_the_product_is_methods_then_lrs_then_each_knob_in_order() -> None:
    made = DescentArgs(
        method=["gd,adam"], lr=["0.1,0.2"], clip_norm=["none,1"], noise=["0", "0.5"]
    ).settings()
    assert len(made) == 2 * 2 * 2 * 2
    assert [(s.method, s.lr, s.clip_norm, s.noise) for s in made[:5]] == [
        ("gd", 0.1, None, 0.0),
        ("gd", 0.1, None, 0.5),
        ("gd", 0.1, 1.0, 0.0),
        ("gd", 0.1, 1.0, 0.5),
        ("gd", 0.2, None, 0.0),
    ]
    assert made[8].method == "adam"
    assert {s.compared for s in made} == {("clip_norm", "noise")}


def test_one_value_is_the_knob_as_before_and_python_callers_may_pass_numbers() -> None:
    (alone,) = DescentArgs(clip_norm=1.0, noise=0.5, weight_decay=0.1).settings()
    (listed,) = DescentArgs(clip_norm=["1"], noise=["0.5"], weight_decay=["0.1"]).settings()
    assert alone == listed and alone.compared == () == listed.compared
    assert alone.name == "gd (wd 0.1, clip-norm 1, noise 0.5)"


def test_names_say_a_compared_knob_is_off() -> None:
    names = [
        s.name
        for s in DescentArgs(
            schedule=["constant", "cosine"], clip_norm=["none,1"], noise=["0,0.5"]
        ).settings()
    ]
    assert names[0] == "gd (constant lr, no clipping, no noise)"
    assert names[-1] == "gd (cosine:1000, clip-norm 1, noise 0.5)"
    both = DescentArgs(clip_norm=["none,1"], clip_value=["none,2"]).settings()
    assert [s.name for s in both] == [
        "gd (no clipping)",
        "gd (clip-value 2, no clip-norm)",
        "gd (clip-norm 1, no clip-value)",
        "gd (clip-norm 1, clip-value 2)",
    ]
    # adamw's own default decay goes unsaid, but a compared one is said for adamw too
    adamw = DescentArgs(method=["adam,adamw"], weight_decay=["0,0.1"]).settings()
    assert [s.name for s in adamw] == [
        "adam (wd 0)",
        "adam (wd 0.1)",
        "adamw (wd 0)",
        "adamw (wd 0.1)",
    ]
    assert [s.name for s in DescentArgs(method=["adam,adamw"]).settings()] == ["adam", "adamw"]


# --- descend: tables, CSV, NDJSON ----------------------------------------------------------------
def test_clipping_with_and_without_in_one_table() -> None:
    code, out, _ = invoke("descend", *COSH, "--clip-norm", "none,1", "--summary")
    assert code == 0
    # the recorded runs (README): unclipped diverges at step 2, clipped converges in 33 steps
    assert "1     gd (no clipping)   0.5   (6, 4)   diverged    2       —" in out
    assert "2     gd (clip-norm 1)   0.5   (6, 4)   converged   33      minimum" in out
    assert "gd (no clipping)  x ← x − lr·∇f(x)   [lr = 0.5]" in out
    assert "clipping (--clip-norm 1) was active on 13 of 33 steps" in out


def test_each_listed_run_is_the_run_its_knob_gives_alone() -> None:
    args = ["descend", "x**2+10*y**2", "--from", "1,1", "--steps", "30"]
    code, listed, _ = invoke(*args, "--noise", "0,0.5", "--seed", "3", "--clip-norm", "none,1",
                             "--format", "csv")  # fmt: skip
    assert code == 0
    table = rows(listed)
    assert list(table[0])[-2:] == ["clip_norm", "noise"]
    for run, knobs in [("1", []), ("2", ["--noise", "0.5"]), ("3", ["--clip-norm", "1"]),
                       ("4", ["--noise", "0.5", "--clip-norm", "1"])]:  # fmt: skip
        seed = ["--seed", "3"] if "--noise" in knobs else []  # --seed alone is refused
        code, alone, _ = invoke(*args, *knobs, *seed, "--format", "csv")
        assert code == 0
        mine = [r for r in table if r["run"] == run]
        own = rows(alone)
        assert [r["x"] for r in mine] == [r["x"] for r in own]  # the same bits, step by step
        assert [r["grad_norm"] for r in mine] == [r["grad_norm"] for r in own]
        assert [r["status"] for r in mine] == [r["status"] for r in own]
        assert {(r["clip_norm"], r["noise"]) for r in mine} == {
            ("1.0" if "--clip-norm" in knobs else "", "0.5" if "--noise" in knobs else "0.0")
        }


def test_summary_csv_and_ndjson_name_the_compared_knobs() -> None:
    base = ["descend", "x**2+y**2", "--from", "3,1", "--steps", "20"]
    code, out, _ = invoke(*base, "--schedule", "constant", "--schedule", "exp:0.9", "--summary",
                          "--format", "csv")  # fmt: skip
    assert code == 0
    table = rows(out)
    assert [r["schedule"] for r in table] == ["constant", "exp:0.9"]
    assert list(table[0])[-1] == "schedule" and "lr_t" in table[0]
    code, out, _ = invoke(*base, "--clip-norm", "none,1", "--steps", "2", "--format", "ndjson")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert {(r["run"], r["clip_norm"]) for r in records} == {(1, None), (2, 1.0)}


def test_weight_decay_list_settles_nearer_zero_the_larger_the_decay() -> None:
    code, out, _ = invoke("descend", "(x-2)**2+(y-1)**2", "--from", "-1.5,2.5", "--weight-decay",
                          "0,1,4", "--summary", "--format", "csv")  # fmt: skip
    assert code == 0
    ends = [(float(r["x"]), float(r["y"]), r["weight_decay"]) for r in rows(out)]
    # ∇f + WD·x = 0: x = 2·(2, 1)/(2 + WD)
    for (x, y, wd), want in zip(ends, [(2, 1), (4 / 3, 2 / 3), (2 / 3, 1 / 3)]):
        assert (x, y) == pytest.approx(want, abs=1e-6), wd
    assert [e[2] for e in ends] == ["0.0", "1.0", "4.0"]


def test_without_lists_output_is_as_before() -> None:
    code, out, _ = invoke(
        "descend", "x**2+y**2", "--from", "3,1", "--steps", "1", "--format", "csv"
    )
    assert code == 0
    assert out.splitlines()[0] == "run,method,lr,step,x,y,f,grad_x,grad_y,grad_norm,status"
    code, out, _ = invoke("descend", *COSH, "--clip-norm", "1", "--summary", "--format", "csv")
    assert code == 0
    header = out.splitlines()[0]
    assert header.endswith(",status,start_x,start_y,classification")  # one value: no column
    code, out, _ = invoke("descend", *COSH, "--clip-norm", "1", "--summary")
    assert "1     gd (clip-norm 1)   0.5" in out and "no clipping" not in out


# --- curvature methods, the cap, bad values --------------------------------------------------------
def test_a_curvature_method_runs_once_without_the_knobs() -> None:
    made = DescentArgs(method=["gd,bfgs"], clip_norm=["none,1"], noise=["0,1"]).settings()
    assert [s.name for s in made][-1] == "bfgs"
    assert len(made) == 4 + 1
    code, _, err = invoke("descend", "x**2", "--from", "1", "--method", "gd,bfgs",
                          "--clip-norm", "1")  # fmt: skip
    assert code == 2
    assert "--clip-norm applies to the first-order methods, not to bfgs" in err


def test_the_product_is_capped_with_one_clear_line() -> None:
    many = ",".join(str(i / 10) for i in range(11))
    code, out, err = invoke("descend", "x**2", "--from", "1", "--noise", many,
                            "--weight-decay", "0,1,2,3,4,5,6,7,8,9")  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "the knob lists make 110 runs per method, lr and start" in err
    assert "10 --weight-decay × 11 --noise" in err and f"at most {KNOB_COMBINATIONS_MAX}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clip-norm", "1,x"], "--clip-norm: 'x' is not a number (or 'none')"),
        (["--noise", "0,-1"], "--noise must be a finite number ≥ 0, got -1.0"),
        (["--weight-decay", "none"], "--weight-decay: 'none' is not a number"),
        (["--schedule", "constant", "--schedule-steps", "9"], "--schedule-steps is the length"),
        (["--schedule", "bogus"], "--schedule"),
        (["--noise", "0", "--seed", "1"], "--seed draws the --starts and the --noise"),
    ],
)
def test_bad_knob_values_are_one_line_naming_the_flag(args: list[str], message: str) -> None:
    code, out, err = invoke("descend", "x**2", "--from", "1", "--steps", "2", *args)
    assert code == 2 and out == ""
    assert err.startswith("gradcli: error: ") and err.count("\n") == 1
    assert message in err


def test_noise_with_an_off_value_keeps_its_seed() -> None:
    code, out, _ = invoke("descend", "x**2", "--from", "1", "--steps", "2", "--noise", "0,1",
                          "--seed", "1", "--summary", "--format", "csv")  # fmt: skip
    assert code == 0 and len(rows(out)) == 2


# --- plot ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--clip-norm", "1"], "--clip-norm describes a descent: give its start with --from"),
        (["--noise", "0.5", "--steps", "9"], "--steps and --noise describe a descent"),
        (["--momentum", "0.5"], "--momentum describes a descent"),
        (["--method", "gd", "--lr", "0.1"], "--method and --lr describe a descent"),
    ],
)
def test_plot_refuses_descent_options_without_a_start(
    args: list[str], message: str, tmp_path: Path
) -> None:
    target = tmp_path / "f.png"
    code, _, err = invoke("plot", "x**2+y**2", *args, "-o", str(target))
    assert code == 2 and message in err
    assert not target.exists()


def test_legend_labels_tell_the_runs_apart() -> None:
    from gradcli import parse
    from gradcli.numeric import compile_function
    from gradcli.optimize import descend
    from gradcli.plotting.artists import run_labels

    settings = DescentArgs(lr=["0.5"], clip_norm=["none,1"]).settings()
    runs = descend(compile_function(parse("cosh(x)+cosh(y)")), [[6.0, 4.0]], settings)
    assert run_labels(runs, arrow=True) == [
        "gd (no clipping), lr = 0.5  (diverged ↗)",
        "gd (clip-norm 1), lr = 0.5",
    ]


@pytest.mark.slow  # draws a figure: about a second
def test_plot_draws_both_runs_and_its_table_names_them(tmp_path: Path) -> None:
    target = tmp_path / "clip.png"
    code, out, _ = invoke("plot", *COSH, "--clip-norm", "none,1", "--grid", "20", "--arrows", "0",
                          "--dpi", "30", "-o", str(target))  # fmt: skip
    assert code == 0 and target.stat().st_size > 0
    assert "1     gd (no clipping)   0.5   diverged" in out
    assert "2     gd (clip-norm 1)   0.5   converged   33" in out


def test_notes_name_the_run_as_the_summary_does() -> None:
    """A note beside a table that says 'gd (no clipping)' and 'gd (clip-norm 1)' names the same
    runs: the knob that tells them apart, then the lr (a schedule's commas kept inside its name)."""
    code, out, _ = invoke("descend", *COSH, "--clip-norm", "none,1", "--summary")
    assert code == 0
    notes = [line for line in out.splitlines() if line.startswith(("run 1 (", "run 2 ("))]
    assert notes[0].startswith("run 1 (gd, no clipping, lr 0.5): overshooting")
    assert any(n.startswith("run 2 (gd, clip-norm 1, lr 0.5): clipping") for n in notes)
    code, out, _ = invoke(
        "descend", "x**2+y**2", "--from", "3,1", "--noise", "0.5", "--seed", "1",
        "--schedule", "constant", "--schedule", "exp:0.99", "--steps", "500", "--summary",
    )  # fmt: skip
    notes = [line for line in out.replace("\n", " ").split("run ")[1:] if "noisy" in line]
    assert [n.split(":")[0] for n in notes] == [
        "1 (gd, constant lr, noise 0.5, lr 0.1)",
        "2 (gd, schedule exp",
    ]
