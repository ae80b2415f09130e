"""Issue 14, live progress: a transient bar on stderr for a long descent on a terminal — step, f
and ‖∇f‖ for one run; runs done, running and the best f for many — never off a terminal, never
with --no-progress, never where rows stream onto the same terminal. One real pseudo-terminal
(slow); the rest in-process."""

from __future__ import annotations

import io
import os
import re
import sys
from typing import Any

import numpy as np
import pytest
from ptyrun import interrupt_when_shown
from typer.testing import CliRunner

import gradcli.cli.progress as progress
from gradcli.cli import app
from gradcli.expr import parse
from gradcli.numeric import compile_function
from gradcli.optimize import Descent, Settings


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


PIPE = io.StringIO()


@pytest.mark.parametrize(
    ("streams", "off", "stderr", "stdout", "shown"),
    [
        (False, False, Terminal(), Terminal(), True),  # a table: written after the runs
        (True, False, Terminal(), PIPE, True),  # CSV to a file, the bar on the terminal
        (True, False, Terminal(), Terminal(), False),  # rows on the same terminal: they are it
        (False, True, Terminal(), Terminal(), False),  # --no-progress
        (False, False, PIPE, Terminal(), False),  # stderr is not a terminal
        (True, False, PIPE, PIPE, False),  # a pipeline
    ],
)
def test_the_bar_is_wanted_only_where_a_person_watches_stderr(
    streams: bool, off: bool, stderr: Any, stdout: Any, shown: bool
) -> None:
    assert progress.wanted(streams=streams, off=off, stderr=stderr, stdout=stdout) is shown


def _descent(starts: list[list[float]], **options: Any) -> Descent:
    compiled = compile_function(parse("x**2+y**2"))
    return Descent(compiled, np.array(starts, dtype=float), [Settings(lr=0.1, **options)])


def test_one_run_shows_its_step_f_and_gradient_norm_then_clears(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress, "AFTER", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    screen = Terminal()
    bar = progress.Progress(1, 20, stream=screen)
    descent = _descent([[3.0, 4.0]], steps=20, tol=0)
    descent.on_step = bar
    bar.follow(descent)
    descent.drain()
    drawn = screen.getvalue()
    # after step 0: f(3, 4) = 25, ‖∇f‖ = 10 — the last redraw shows step 19's numbers
    assert "descending" in drawn and "step 19/20" in drawn
    f, norm = 25 * 0.64**19, 10 * 0.8**19
    assert f"f {f:.4g}" in drawn and f"‖∇f‖ {norm:.3g}" in drawn
    bar.close()
    assert screen.getvalue().endswith("\x1b[2K") or "\x1b[2K" in screen.getvalue()[len(drawn) :]


def test_many_runs_show_runs_done_running_and_the_best_f(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "AFTER", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    screen = Terminal()
    # runs from farther away take longer: by the last steps some have converged, some go on
    starts = [[0.01 * (k + 1), 0.0] for k in range(4)] + [[30.0 * (k + 1), 0.0] for k in range(4)]
    bar = progress.Progress(8, 1000, stream=screen)
    descent = _descent(starts)
    descent.on_step = bar
    bar.follow(descent)
    descent.drain()
    bar.close()
    assert "runs done" in screen.getvalue() and "best f" in screen.getvalue()
    assert "4/8 runs done · 4 running" in screen.getvalue()


def test_the_engine_reports_the_best_f_of_the_runs_still_going() -> None:
    descent = _descent([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0], [5.0, 0.0]], steps=3)
    assert np.isnan(descent.progress()[0])  # nothing evaluated yet
    seen: list[tuple[float, float]] = []
    descent.on_step = lambda step, active: seen.append(descent.progress())
    descent.drain()
    # gd lr 0.1 on x²+y²: x_t = 0.8^t·x_0, the best run starts at 1: f = 0.64^t, ‖∇f‖ = 2·0.8^t
    assert seen[1] == pytest.approx((0.64, 1.6)) and seen[2] == pytest.approx((0.64**2, 2 * 0.64))


def test_no_bar_off_a_terminal_even_for_a_long_descent(monkeypatch: pytest.MonkeyPatch) -> None:
    """CliRunner's stderr is no terminal: whatever the timing, nothing but the result is written."""
    monkeypatch.setattr(progress, "AFTER", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    for fmt in ("table", "csv", "json"):
        result = CliRunner().invoke(
            app, ["descend", "x**2", "--from", "1", "--from", "2", "--steps", "300", "--tol", "0",
                  "--format", fmt],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.stderr == "" and "descending" not in result.stdout


def test_no_progress_is_accepted_and_changes_nothing_else() -> None:
    args = ["descend", "x**2+y**2", "--from", "1,1", "--steps", "20", "--format", "csv"]
    plain = CliRunner().invoke(app, args)
    quiet = CliRunner().invoke(app, [*args, "--no-progress"])
    assert quiet.exit_code == 0 and quiet.stdout == plain.stdout


@pytest.mark.slow
def test_a_long_descent_on_a_terminal_shows_the_bar_and_ctrl_c_exits_130() -> None:
    """A real pseudo-terminal as stderr, the table on a pipe: the bar appears (waited for, never
    slept on), shows the step and f, is cleared at Ctrl-C, and the command exits 130."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "GRADCLI_NO_CACHE": "1"}
    command = [sys.executable, "-m", "gradcli", "descend", "x^2+y^2", "--from", "1,1",
               "--lr", "1e-9", "--tol", "0", "--steps", "100000000"]  # fmt: skip
    proc = interrupt_when_shown(command, "‖∇f‖".encode(), env)
    out, terminal = proc.stdout, proc.terminal
    assert proc.returncode == 130
    assert re.search(r"descending .*step [\d,]+/100,000,000 · f \S+ · ‖∇f‖ 2\.83", terminal)
    # transient: the bar's line is erased before the last words, and stdout has the result only
    tail = terminal[terminal.rindex("descending") :]
    assert "\x1b[2K" in tail and tail.rstrip().endswith("gradcli: interrupted")
    assert "interrupted" in out.decode() and "descending" not in out.decode()
