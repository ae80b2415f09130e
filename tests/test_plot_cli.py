"""``gradcli plot`` as a user runs it: files written, JSON summary, exit codes, one real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gradcli.cli import app

SMALL = ["--grid", "40", "--dpi", "40"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plot", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("ext, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_the_bowl_in_every_format(tmp_path: Path, ext: str, magic: bytes) -> None:
    target = tmp_path / f"bowl.{ext}"
    code, out, err = run("x**2+y**2", "-o", str(target), *SMALL)
    assert code == 0, err
    assert target.read_bytes().startswith(magic)
    assert "wrote" in out and str(target) in "".join(out.split())  # a long path wraps in the table
    assert err == ""


def test_json_summary_of_tangents_in_1d(tmp_path: Path) -> None:
    target = tmp_path / "slope.png"
    code, out, _ = run("x**2", "--at", "3", "--at", "4", "-o", str(target), *SMALL, "-f", "json")
    assert code == 0
    record = json.loads(out)
    assert record["kind"] == "curve" and record["format"] == "png"
    assert [p["gradient"] for p in record["points"]] == [[6.0], [8.0]]
    assert record["range"]["x"][0] <= 0 and record["range"]["x"][1] > 4


@pytest.mark.slow
def test_same_command_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    for target in (first, second):
        assert run("x**2+y**2", "--at", "1,1", "-o", str(target), *SMALL)[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_three_variables_need_a_slice(tmp_path: Path) -> None:
    target = tmp_path / "f.png"
    code, _, err = run("x*y*z", "-o", str(target), *SMALL)
    assert code == 2 and err.startswith("gradcli: error:") and "--slice" in err
    assert not target.exists()
    code, out, _ = run("x*y*z", "--slice", "z=1", "-o", str(target), *SMALL, "-f", "json")
    assert code == 0 and json.loads(out)["slice"] == {"z": 1.0}
    assert target.exists()


@pytest.mark.parametrize(
    "name, extra",
    [
        ("f.jpg", []),
        ("f", []),
        ("f.gif", []),
        ("f.png", ["--animate"]),
        ("f.png", ["--theme", "x"]),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(tmp_path: Path, name: str, extra: list[str]) -> None:
    code, _, err = run("x**2+y**2", "-o", str(tmp_path / name), *SMALL, *extra)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("gradcli: error:")
    assert not list(tmp_path.iterdir())


def test_animate_without_a_descent_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("x**2+y**2", "--animate", "-o", str(tmp_path / "d.gif"), *SMALL)
    assert code == 2 and "--from" in err


def test_an_unwritable_target_exits_1(tmp_path: Path) -> None:
    code, _, err = run("x**2+y**2", "-o", str(tmp_path / "no" / "such" / "f.png"), *SMALL)
    assert code == 1 and "cannot write" in err


@pytest.mark.slow
def test_a_real_process_draws_a_pole_quietly(tmp_path: Path) -> None:
    target = tmp_path / "pole.png"
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "gradcli", "plot", "1/x", "-o", str(target), *SMALL],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0
    assert done.stderr == ""  # no RuntimeWarning about dividing by zero
    assert target.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pole.png"]


@pytest.mark.slow
def test_the_race_draws_two_labelled_paths_on_log_levels(tmp_path: Path) -> None:
    target = tmp_path / "race.png"
    args = ["(1-x)**2+100*(y-x**2)**2", "--from", "-1.2,1", "--method", "gd", "--method", "adam"]
    code, out, err = run(
        *args, "--lr", "0.001", "--steps", "300", "-o", str(target), *SMALL, "-f", "json"
    )
    assert code == 0, err
    record = json.loads(out)
    assert record["levels"] == "log"
    assert [(r["method"], r["lr"]) for r in record["runs"]] == [("gd", 0.001), ("adam", 0.001)]
    assert all(r["iterations"] == 300 for r in record["runs"])
    assert target.read_bytes().startswith(b"\x89PNG")


def test_descent_options_are_the_descend_ones(tmp_path: Path) -> None:
    target = tmp_path / "f.png"
    assert run("x**2+y**2", "--lr", "0.1", "-o", str(target), *SMALL)[0] == 2  # no --from
    code, _, err = run("x**2+y**2", "--from", "1,1", "--lr", "-1", "-o", str(target), *SMALL)
    assert code == 2 and "--lr" in err
    code, _, err = run("x**2+y**2", "--from", "1,1", "--method", "sgdd", "-o", str(target), *SMALL)
    assert code == 2 and "method" in err
    assert not target.exists()


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_animation_writes_a_gif(tmp_path: Path) -> None:
    target = tmp_path / "d.gif"
    args = ["x**2+3*y**2", "--from", "3,1", "--steps", "40", "--animate", "-o", str(target)]
    code, out, err = run(*args, *SMALL, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "animation"
    assert target.read_bytes().startswith(b"GIF89a")


@pytest.mark.slow  # half a second and more in-process: the fast tier stays under 30 s
def test_a_named_function_brings_its_window_and_marks_its_minima(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from gradcli.cli import app
    from gradcli.expr import parse
    from gradcli.plotting import PlotOptions, plot_function
    from gradcli.presets import get

    out = tmp_path / "h.png"
    result = CliRunner().invoke(
        app,
        ["plot", "@himmelblau", "-o", str(out), "--grid", "60", "--dpi", "50", "--format", "json"],
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["range"] == {"x": [-5.0, 5.0], "y": [-5.0, 5.0]}
    preset = get("himmelblau")
    plot = plot_function(
        parse(preset.formula), options=PlotOptions(minima=preset.minima, grid=40, dpi=50)
    )
    marked = [line for line in plot.figure.axes[0].lines if line.get_label() == "known minima"]
    assert len(marked) == 1 and len(marked[0].get_xdata()) == 4
