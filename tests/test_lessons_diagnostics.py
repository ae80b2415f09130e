"""Issue 12, "Diagnostics that tell the truth": each note is checked on a run where it must appear
and on one where it must not, through the CLI as a student would run it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from gradcli.cli import app

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "100"}
SIGMOID4 = "sigmoid(sigmoid(sigmoid(sigmoid(w))))"
L1 = "x**2+abs(y)"
# a logistic-regression loss in one weight: λmax = 5 at w = 0 (2/λmax = 0.4), less at the minimum
LOGISTIC = "log(1+exp(-4*w))+log(1+exp(2*w))"


def runs(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(app, ["descend", *args, "--summary", "--format", "json"], env=ENV)
    assert result.exit_code in (0, 3), result.output
    return list(json.loads(result.stdout)["runs"])


def only(*args: str) -> dict[str, Any]:
    (run,) = runs(*args)
    return run


def notes(*args: str) -> str:
    return " | ".join(only(*args)["notes"])


# --- a plateau is not a saddle --------------------------------------------------------------------
def test_plateau_start_is_a_plateau_not_a_saddle() -> None:
    run = only("@plateau", "--from", "3,3")
    assert run["status"] == "converged" and run["iterations"] == 0
    assert run["classification"] == "plateau"
    text = " ".join(run["notes"])
    assert "saddle" not in text
    assert text.startswith("plateau (vanishing gradient)")
    assert "not a stationary point" in text and "tiny" in text
    # every number it quotes is the run's: ‖∇f‖ and f at (3, 3)
    assert "‖∇f‖ = 1.3e-07 ≤ tol = 1e-06" in text and "f = 1 here" in text


def test_plateau_note_in_the_table_too() -> None:
    result = runner.invoke(app, ["descend", "@plateau", "--from", "3,3", "--summary"], env=ENV)
    assert result.exit_code == 0
    assert "saddle" not in result.stdout and "plateau" in result.stdout


def test_the_plateau_remedy_works() -> None:
    # the note's advice — a smaller --tol with adam — does cross the plateau to the minimum
    run = only("@plateau", "--from", "3,3", "--tol", "1e-12", "--method", "adam")
    assert run["status"] == "converged" and run["classification"] == "minimum"
    assert not any("exploding" in n for n in run["notes"])  # leaving a plateau is not explosion


@pytest.mark.parametrize(
    ("expr", "start", "kind"),
    [("x**2-y**2", "1,0", "saddle"), ("x**3-3*x*y**2", "0,0", "degenerate")],
)
def test_true_stationary_points_stay_what_they_are(expr: str, start: str, kind: str) -> None:
    run = only(expr, "--from", start)
    assert run["classification"] == kind
    assert not any("plateau" in n for n in run["notes"])


def test_a_plain_minimum_has_no_note() -> None:
    assert only("x**2+y**2", "--from", "3,1")["notes"] == []


# --- a saturated sigmoid ----------------------------------------------------------------------------
def test_saturated_sigmoid_says_the_gradient_vanished_and_why() -> None:
    run = only(SIGMOID4, "--from", "5", "--lr", "0.5")
    assert run["status"] == "max_steps"
    text = " ".join(run["notes"])
    assert text.startswith("vanishing gradient: ‖∇f‖ stayed at or below 6.6e-05 for all 1,000")
    assert "sigmoid is saturated" in text and "all 4 sigmoids" in text
    assert "0.662566 → 0.662563" in text  # f before and after, as the run has them
    assert "too small" not in text and "slow" not in text


def test_saturated_sigmoid_remedy_works() -> None:
    run = only(SIGMOID4, "--from", "5", "--lr", "0.5", "--method", "adam")
    assert run["final"]["point"]["w"] < 0  # adam walks off the saturated shoulder


def test_unsaturated_sigmoid_has_no_vanishing_note() -> None:
    text = notes(SIGMOID4, "--from", "0", "--lr", "0.5", "--steps", "50")
    assert "vanishing" not in text and "saturated" not in text


# --- oscillation is not a zig-zag that still descends ------------------------------------------------
def test_lr_one_on_x_squared_oscillates_and_says_f_did_not_fall() -> None:
    run = only("x**2", "--from", "3", "--lr", "1")
    assert run["final"]["value"] == 9.0
    text = " ".join(run["notes"])
    assert "still fell" not in text
    assert text.startswith("oscillation:") and "did not fall (9 at the start, 9 now)" in text
    assert "lr < 2/λmax = 1" in text and "slow" not in text


def test_a_real_zig_zag_still_says_f_fell() -> None:
    run = only("x**2", "--from", "3", "--lr", "0.9")
    assert run["status"] == "converged"
    (text,) = run["notes"]
    assert text.startswith("zig-zag:") and "though f still fell (from 9 to" in text


# --- the steps-to-tol estimate is kept ------------------------------------------------------------
PROMISE = re.compile(r"(reaches tol after about|needs at least) ([\d,]+) more")


def _promise(expr: str, *args: str) -> tuple[int, str, int]:
    run = runs(expr, *args)[0]
    result = runner.invoke(app, ["descend", expr, *args], env=ENV)
    match = PROMISE.search(" ".join(result.stdout.split()))
    assert match, result.stdout
    return run["iterations"], match.group(1), int(match.group(2).replace(",", ""))


@pytest.mark.parametrize(
    ("expr", "args", "kind"),
    [
        ("x**2+y**2", ("--from", "3,1", "--steps", "3"), "reaches tol after about"),
        (
            "x**2+y**2",
            ("--from", "3,1", "--lr", "0.01", "--steps", "100"),
            "reaches tol after about",
        ),
        ("x**2+10*y**2", ("--from", "1,1", "--lr", "0.01", "--steps", "200"), "needs at least"),
        ("x**2+10*y**2", ("--from", "1,1", "--lr", "0.01", "--steps", "30"), "needs at least"),
        # the valley slows the run further: 17,471 steps in all was promised before, 32,076 needed
        ("@rosenbrock", ("--from", "-1.2,1", "--lr", "0.001", "--steps", "2000"), "needs at least"),
        ("@rosenbrock", ("--from", "-1.2,1", "--lr", "0.001", "--steps", "6000"), "needs at least"),
    ],
)
def test_steps_to_tol_estimate_holds_when_the_run_is_continued(
    expr: str, args: tuple[str, ...], kind: str
) -> None:
    done, said, more = _promise(expr, *args)
    assert said == kind
    steps = args[args.index("--steps") + 1]
    longer = [a if a != steps else str(done + 3 * more) for a in args]
    run = only(expr, *longer)
    assert run["status"] == "converged"
    needed = run["iterations"] - done
    if kind == "needs at least":
        assert needed >= more - 1, (needed, more)
    else:
        assert abs(needed - more) <= max(2, 0.02 * needed), (needed, more)


# --- each note true for its run ---------------------------------------------------------------------
def test_kink_is_named_and_no_lr_or_curvature_advice() -> None:
    for method in ("gd", "adam", "momentum"):
        text = notes(L1, "--from", "1,1", "--method", method)
        assert text.startswith("kink:"), (method, text)
        assert "too small" not in text and "2/λmax" not in text and "slow" not in text


def test_smooth_minimum_next_to_a_kink_has_no_kink_note() -> None:
    run = only("(x-1)**2+abs(x)", "--from", "3")
    assert run["status"] == "converged" and run["notes"] == []


def test_too_small_lr_is_still_called_too_small() -> None:
    text = notes("x**2+y**2", "--from", "3,1", "--lr", "1e-7", "--steps", "100")
    assert "lr = 1e-07 is too small" in text


def test_momentum_wording_only_for_momentum_methods() -> None:
    adam = notes(
        "@rosenbrock", "--from", "-1.2,1", "--method", "adam", "--lr", "0.01", "--steps", "5000"
    )
    assert "occasional overshoot, which momentum makes near curves" in adam
    gd = notes(LOGISTIC, "--from", "0", "--lr", "0.45")
    assert "occasional overshoot" in gd and "momentum" not in gd


def test_stability_limit_only_where_lr_passes_it_and_the_run_failed() -> None:
    converged = only(LOGISTIC, "--from", "0", "--lr", "0.45")  # lr > 2/λmax(start) = 0.4
    assert converged["status"] == "converged"
    assert not any("2/λmax" in n for n in converged["notes"])
    failed = only(LOGISTIC, "--from", "0", "--lr", "0.5")
    assert failed["status"] == "max_steps"
    text = " ".join(failed["notes"])
    assert "plain gd is stable only for lr < 2/λmax = 0.4" in text
    assert "raise --steps or --lr" not in text  # more lr would not help a bouncing run
    below = notes(L1, "--from", "1,1", "--lr", "0.1")  # the bounce is the kink's; 2/λmax = 1
    assert "2/λmax" not in below


def test_divergence_keeps_its_limit() -> None:
    (_, _, third) = runs(
        "x**2+10*y**2", "--from", "1,1", "--lr", "0.01", "--lr", "0.05", "--lr", "0.11"
    )
    text = " ".join(third["notes"])
    assert third["status"] == "diverged" and "lr < 2/λmax = 0.1" in text and "exploding" in text


def test_ascent_plateau_points_up_the_gradient() -> None:
    run = only("--ascent", "exp(-(x**2+y**2))", "--from", "3,3")
    assert run["classification"] == "plateau"
    text = " ".join(run["notes"])
    assert "along +∇f" in text and "saddle" not in text


def test_slow_note_is_the_same_whatever_rows_are_kept() -> None:
    args = ["x**2+10*y**2", "--from", "1,1", "--lr", "0.01", "--steps", "200"]
    summary = only(*args)["notes"]
    table = runner.invoke(app, ["descend", *args, "--format", "json"], env=ENV)
    assert json.loads(table.stdout)["runs"][0]["notes"] == summary
    assert "needs at least 519 more" in " ".join(summary)
