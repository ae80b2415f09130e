"""The training-loop knobs: lr schedules, weight decay, AdamW, gradient clipping and gradient noise.

The reference numbers were recorded with torch 2.13.0 (CPU wheel, float64): the optimizer and
scheduler named beside each case, the loss (1-x)² + 100(y-x²)² + sin(3xy) from (-1.2, 1),
``backward()``, ``clip_grad_*_`` where named, the lr read from ``param_groups`` before each
``step()``, then ``scheduler.step()``. torch is not a dependency: the live check skips without it.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pytest
import sympy
from typer.testing import CliRunner

from gradcli.cli import app
from gradcli.function import Function
from gradcli.numeric import compile_function
from gradcli.optimize import Settings, descend
from gradcli.optimize.knobs import gaussian, gaussian_steps, start_keys
from gradcli.optimize.schedules import parse_schedule

runner = CliRunner()
x, y = sympy.symbols("x y")
TORCH_F = (1 - x) ** 2 + 100 * (y - x**2) ** 2 + sympy.sin(3 * x * y)
START = [-1.2, 1.0]


def compiled(expr: Any) -> Any:
    return compile_function(Function(expr, (x, y)))


# --- step for step against torch -------------------------------------------------------------------
TORCH: dict[str, tuple[Settings, list[list[float]]]] = {
    "sgd_step": (  # SGD(lr=1e-3), StepLR(step_size=2, gamma=0.5)
        Settings(lr=1e-3, schedule="step:2:0.5"),
        [[-0.9817097247509975, 1.084771669701197], [-1.0220182901564154, 1.057627170055152],
         [-1.0210968102547036, 1.0547913999643004], [-1.019981682063775, 1.0520506201232276],
         [-1.0193771826634461, 1.0507035380180474], [-1.018761281634625, 1.0493622789667028]],
    ),
    "adam_cosine": (  # Adam(lr=0.02), CosineAnnealingLR(T_max=4, eta_min=0.001): past T_max too
        Settings("adam", lr=0.02, schedule="cosine:4:0.001"),
        [[-1.180000000000916, 1.0199999999976408], [-1.1629282131472887, 1.037076902315894],
         [-1.1526591139959546, 1.047350170349755], [-1.1490118619120708, 1.0509982542980225],
         [-1.1480576234441693, 1.0519524797166024], [-1.1444724541349116, 1.055536892117518],
         [-1.1345918031238384, 1.0654125105749341], [-1.118619913054017, 1.0813624594759377],
         [-1.1005876619483477, 1.0993241505577847], [-1.085777133822458, 1.1139883767464958]],
    ),
    "momentum_warmup_cosine": (  # SGD(lr=1e-3, momentum=0.9), SequentialLR([LinearLR(
        # start_factor=0.25, total_iters=3), CosineAnnealingLR(T_max=5)], milestones=[3])
        Settings("momentum", lr=1e-3, schedule="warmup:3:0.25,cosine:5"),
        [[-1.1454274311877493, 1.0211929174252992], [-0.9770012801302497, 1.0868178677697757],
         [-0.7829906721213791, 1.1533724583618297], [-0.7126895739940028, 1.1230455288481687],
         [-0.8087232564215378, 0.9856540233828606], [-0.937694285503277, 0.8516069863861752],
         [-0.9933935363384047, 0.7891219413805317], [-0.9992071893473847, 0.7771541169164374],
         [-0.9992071893473847, 0.7771541169164374], [-0.9868547893961057, 0.7751148050190716]],
    ),
    "sgd_wd": (  # SGD(lr=1e-3, weight_decay=0.1)
        Settings(lr=1e-3, weight_decay=0.1),
        [[-0.9815897247509976, 1.084671669701197], [-1.021847983977056, 1.057391836620055],
         [-1.0199486731076486, 1.0515921274768192], [-1.0172700146498874, 1.0461766157668655]],
    ),
    "nesterov_wd": (  # SGD(lr=1e-3, momentum=0.9, nesterov=True, weight_decay=0.1)
        Settings("nesterov", lr=1e-3, weight_decay=0.1),
        [[-0.7850204770268954, 1.1608761724322745], [-0.9200293633259243, 1.0181764994083706],
         [-1.0008985353156656, 0.9194216362939315], [-0.9476219132487971, 0.889724843067958]],
    ),
    "adagrad_wd": (  # Adagrad(lr=0.05, weight_decay=0.1)
        Settings("adagrad", lr=0.05, weight_decay=0.1),
        [[-1.1500000000000228, 1.049999999999941], [-1.1240580324307838, 1.0759225272324477],
         [-1.1071906251519623, 1.0923430897417215], [-1.095315240894645, 1.1033510215965148]],
    ),
    "rmsprop_wd": (  # RMSprop(lr=0.01, weight_decay=0.1)
        Settings("rmsprop", lr=0.01, weight_decay=0.1),
        [[-1.1000000000457855, 1.0999999998818968], [-1.0752033547528728, 1.121973483925405],
         [-1.0654345889746994, 1.126438827851961], [-1.0605199652904067, 1.1249947968813279]],
    ),
    "adam_wd": (  # Adam(lr=0.02, weight_decay=0.1)
        Settings("adam", lr=0.02, weight_decay=0.1),
        [[-1.1800000000009156, 1.019999999997638], [-1.1601691467393627, 1.0398363232164072],
         [-1.1406599040168703, 1.0593513029043031], [-1.1216592613162188, 1.0783398376567894]],
    ),
    "adam_wd_ascent": (  # Adam(lr=0.02, weight_decay=0.1, maximize=True)
        Settings("adam", lr=0.02, weight_decay=0.1, ascent=True),
        [[-1.2199999999990832, 0.9800000000023565], [-1.2400205298724054, 0.9599776752080387],
         [-1.2600805646507305, 0.9399133694210364], [-1.2802001247435264, 0.9197870710759005]],
    ),
    "adamw": (  # AdamW(lr=0.02): torch's default weight_decay 0.01
        Settings("adamw", lr=0.02),
        [[-1.179760000000916, 1.0197999999976408], [-1.1596948943979504, 1.0394312742463385],
         [-1.1399587836472254, 1.058735018015162], [-1.120740712935434, 1.0775045887774723]],
    ),
    "adamw_exp": (  # AdamW(lr=0.02, weight_decay=0.5), ExponentialLR(gamma=0.9)
        Settings("adamw", lr=0.02, weight_decay=0.5, schedule="exp:0.9"),
        [[-1.168000000000916, 1.0099999999976408], [-1.1397184824987163, 1.0186919669698782],
         [-1.1148468859769465, 1.02609575133632], [-1.0930906924892294, 1.0322437585287714]],
    ),
    "sgd_clip_norm": (  # SGD(lr=1e-3), clip_grad_norm_(max_norm=1.0) before each step
        Settings(lr=1e-3, clip_norm=1.0),
        [[-1.1990678237859427, 1.0003620048306376], [-1.1981356877824627, 1.0007241131879292],
         [-1.1972035914682795, 1.0010863236963832], [-1.1962715343110684, 1.001448634953431]],
    ),
    "sgd_clip_value": (  # SGD(lr=1e-3), clip_grad_value_(clip_value=5.0) before each step
        Settings(lr=1e-3, clip_value=5.0),
        [[-1.195, 1.005], [-1.1900000000000002, 1.0099999999999998],
         [-1.1850000000000003, 1.0149999999999997], [-1.1800000000000004, 1.0199999999999996]],
    ),
}  # fmt: skip
# the lr torch's optimizer used at each of 12 steps (16 for the last), from lr 0.1 (0.3)
TORCH_LRS: dict[str, list[float]] = {
    "step:3:0.5": [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125],
    "step:4": [0.1, 0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002],
    "exp:0.9": [0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002, 0.03138105960900001],
    "cosine:4:0.01": [0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01, 0.023180194846605363, 0.05500000000000002, 0.08681980515339469, 0.10000000000000006, 0.0868198051533947, 0.05500000000000005, 0.023180194846605412],
    "cosine:5": [0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.009549150281252633, 0.0, 0.009549150281252628, 0.03454915028125265, 0.06545084971874741, 0.09045084971874744, 0.10000000000000006, 0.09045084971874746],
    "linear:4": [0.1, 0.07500000000000001, 0.05000000000000001, 0.025000000000000005, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "linear:6:0.5": [0.1, 0.09166666666666667, 0.08333333333333334, 0.07500000000000001, 0.06666666666666668, 0.05833333333333335, 0.05000000000000002, 0.05000000000000002, 0.05000000000000002, 0.05000000000000002, 0.05000000000000002, 0.05000000000000002],
    "warmup:3:0.25": [0.025, 0.05, 0.07500000000000001, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    "warmup:4": [0.03333333333333333, 0.05, 0.06666666666666668, 0.08333333333333334, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    "warmup:3:0.25,cosine:5": [0.025, 0.05, 0.07500000000000001, 0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.009549150281252633, 0.0, 0.009549150281252628, 0.03454915028125265, 0.06545084971874741],
    "warmup:3:0.25,step:2:0.5": [0.025, 0.05, 0.07500000000000001, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.00625],
    "warmup:3:0.25,exp:0.9": [0.025, 0.05, 0.07500000000000001, 0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024],
    "warmup:3:0.25,linear:4": [0.025, 0.05, 0.07500000000000001, 0.1, 0.07500000000000001, 0.05000000000000001, 0.025000000000000005, 0.0, 0.0, 0.0, 0.0, 0.0],
    "warmup:3:0.25,cosine:4:0.01": [0.075, 0.15, 0.22499999999999998, 0.3, 0.25753048327204936, 0.155, 0.05246951672795062, 0.01, 0.0524695167279506, 0.15500000000000003, 0.25753048327204947, 0.3000000000000001, 0.25753048327204947, 0.15500000000000008, 0.05246951672795075, 0.01],
}  # fmt: skip


def _steps(s: Settings, count: int) -> Settings:
    return Settings(**{**s.__dict__, "steps": count, "tol": 0.0})


@pytest.mark.parametrize("name", sorted(TORCH))
def test_each_knob_steps_as_torch_in_both_lanes(name: str) -> None:
    s, expected = TORCH[name]
    s = _steps(s, len(expected))
    fn = compiled(TORCH_F)
    one = descend(fn, [START], [s])[0]  # the scalar lane
    np.testing.assert_allclose(one.path[1:], expected, rtol=1e-15, atol=0)  # a few ulp (fma)
    for run in descend(fn, [START] * 5, [s]):  # the vector lane: the same bits
        np.testing.assert_array_equal(run.path, one.path)


@pytest.mark.parametrize("spec", sorted(TORCH_LRS))
def test_schedules_give_torchs_lr_to_the_last_bit(spec: str) -> None:
    expected = TORCH_LRS[spec]
    base = 0.3 if spec.endswith("cosine:4:0.01") and spec.startswith("warmup") else 0.1
    lrs = parse_schedule(spec).resolved(100).lrs(base)
    assert [next(lrs) for _ in expected] == expected


def test_schedules_match_live_torch() -> None:
    torch = pytest.importorskip("torch")
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.7)
    warm = LinearLR(opt, start_factor=0.1, total_iters=7)
    sched = SequentialLR(opt, [warm, CosineAnnealingLR(opt, T_max=9, eta_min=0.05)], [7])
    seen = []
    for _ in range(40):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    lrs = parse_schedule("warmup:7:0.1,cosine:9:0.05").lrs(0.7)
    assert [next(lrs) for _ in seen] == seen


def test_the_scheduled_lr_column_is_the_lr_the_run_used() -> None:
    # gd on x²/2 from 1: x_{t+1} = x_t − lr_t·x_t, so lr_t = 1 − x_{t+1}/x_t on every row
    out = runner.invoke(app, ["descend", "x^2/2", "--from", "1", "--schedule", "step:2:0.5",
                              "--lr", "0.5", "--steps", "5", "--format", "csv"])  # fmt: skip
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0] == "run,method,lr,step,x,f,grad_x,grad_norm,lr_t,status"
    rows = [line.split(",") for line in lines[1:]]
    xs, lrs = [float(r[4]) for r in rows], [float(r[8]) for r in rows]
    assert lrs == [0.5, 0.5, 0.25, 0.25, 0.125, 0.125]  # StepLR(2, 0.5), row t: the lr applied
    assert [1 - b / a for a, b in itertools.pairwise(xs)] == pytest.approx(lrs[:-1], rel=1e-12)
    assert {r[2] for r in rows} == {"0.5"}  # the run's lr column stays its base lr


def test_schedule_spec_and_schedule_steps_say_the_same() -> None:
    base = ["descend", "x^2+y^2", "--from", "3,1", "--steps", "6", "--format", "ndjson"]
    one = runner.invoke(app, [*base, "--schedule", "cosine:6"])
    two = runner.invoke(app, [*base, "--schedule", "cosine", "--schedule-steps", "6"])
    three = runner.invoke(app, [*base, "--schedule", "cosine"])  # the run's --steps
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout == three.stdout
    records = [json.loads(line) for line in one.stdout.splitlines()]
    # torch's formula on Python floats (math.cos: numpy's own cos may differ in the last bit)
    assert [r["lr_t"] for r in records][:2] == [0.1, 0.1 * (1 + math.cos(math.pi / 6)) / 2]
    assert records[-1]["lr_t"] < 1e-17 and records[-1]["status"] == "max_steps"


def test_without_knobs_the_outputs_are_unchanged() -> None:
    s = Settings()
    assert s.knobs is None and s.hyperparameters() == {"lr": 0.1} and s.name == "gd"
    assert s.rule() == "x ← x − lr·∇f(x)"
    out = runner.invoke(app, ["descend", "x^2+y^2", "--from", "3,1", "--steps", "1",
                              "--format", "json"])  # fmt: skip
    run = json.loads(out.stdout)["runs"][0]
    assert "schedule" not in run and "clipped_steps" not in run
    assert all("lr_t" not in step for step in run["steps"])


# --- the knobs in the documents ---------------------------------------------------------------------
def test_json_states_every_knob_and_the_clipping() -> None:
    out = runner.invoke(app, ["descend", "cosh(x)+cosh(y)", "--from", "6,4", "--lr", "0.5",
                              "--clip-norm", "1", "--method", "adamw", "--method", "gd",
                              "--schedule", "warmup:2,exp:0.99", "--noise", "0.01", "--seed", "3",
                              "--steps", "100", "--summary", "--format", "json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    adamw, gd = json.loads(out.stdout)["runs"]
    assert adamw["hyperparameters"] == {
        "lr": 0.5, "beta1": 0.9, "beta2": 0.999, "eps": 1e-08, "weight_decay": 0.01,
        "clip_norm": 1.0, "noise": 0.01, "seed": 3,
    }  # fmt: skip
    assert gd["schedule"] == {
        "spec": "warmup:2,exp:0.99",
        "torch": "SequentialLR([LinearLR(total_iters=2), ExponentialLR(gamma=0.99)], "
        "milestones=[2])",
    }
    assert "x ← (1 − lrₜ·weight_decay)·x" in adamw["rule"] and "+ noise·ξ" in gd["rule"]
    assert gd["clipped_steps"] > 5  # the noise keeps ‖∇f‖ above tol: it runs all its steps
    (note,) = [n for n in gd["notes"] if n.startswith("clipping")]
    assert note.startswith(f"clipping (--clip-norm 1) was active on {gd['clipped_steps']} of 100")
    assert "without it the same run diverges (f is not finite at step 2)" in note
    assert not any("2/λmax" in n for n in gd["notes"])  # the limit is no reason with clipping


def test_the_table_header_names_the_knobs_and_torchs_schedule() -> None:
    out = runner.invoke(app, ["descend", "x^2+y^2", "--from", "3,1", "--steps", "3",
                              "--schedule", "warmup:2:0.5,cosine:1", "--weight-decay", "0.1",
                              "--clip-value", "2"], env={"COLUMNS": "200"})  # fmt: skip
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert "gd (warmup:2:0.5,cosine:1, wd 0.1, clip-value 2)" in text
    assert "lr = 0.1, weight_decay = 0.1, clip_value = 2" in text
    assert (
        "SequentialLR([LinearLR(start_factor=0.5, total_iters=2), CosineAnnealingLR(T_max=1)]"
        in text
    )
    assert "lrₜ" in text.split("step length")[1].splitlines()[0]  # the step table's lr column


def test_clipping_counts_per_run_in_the_vector_lane() -> None:
    # five starts: one vector lane; the far starts clip more often than the near ones
    starts = [[6, 4], [5, 5], [1, 0], [0.1, 0.1], [-6, 2]]
    runs = descend(compiled(sympy.cosh(x) + sympy.cosh(y)), starts, [Settings(lr=0.5, clip_norm=1)])
    alone = [descend(compiled(sympy.cosh(x) + sympy.cosh(y)), [p], [runs[0].settings])[0]
             for p in starts]  # fmt: skip
    assert [r.clipped for r in runs] == [r.clipped for r in alone]
    assert runs[0].clipped > runs[2].clipped > 0 and runs[3].clipped == 0
    assert all(r.status == "converged" for r in runs)


# --- noise: reproducible, the same in either lane, however runs are batched ------------------------
def test_the_noise_generator_is_pinned_and_normal() -> None:
    keys = start_keys(0, np.array([[1.0, 2.0], [-1.2, 1.0]]))
    # a change of generator changes every noisy run: it must be deliberate. Within 2 ulp, not
    # bit for bit: numpy's log and cos differ in the last bit between versions (1.24 and 2.x)
    np.testing.assert_allclose(
        gaussian(keys, 1, 2),
        [[-0.32162871665296344, 0.22034331439313698], [-0.404552115970028, 1.0975107954015693]],
        rtol=5e-16,
        atol=0,
    )
    many = start_keys(7, np.random.default_rng(0).uniform(-5, 5, (4000, 2)))
    z = np.concatenate([gaussian(many, t, 2).ravel() for t in range(1, 6)])
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.01
    assert 0.0015 < np.mean(np.abs(z) > 3) < 0.004  # N(0, 1): 0.27% beyond 3σ
    one = gaussian(many[17:18], 4, 3)
    assert np.array_equal(one[:, 0], gaussian(many, 4, 3)[:, 17])  # any R, the same bits
    block = gaussian_steps(many[17:18], 2, 5, 3)  # the scalar lane's blocks of steps, too
    assert all(np.array_equal(block[:, j], gaussian(many, 2 + j, 3)[:, 17]) for j in range(5))


def test_noisy_runs_agree_in_both_lanes_and_across_batches() -> None:
    # no power in f: a Python float's ** is libm's pow, numpy's may differ in the last bit (see
    # optimize/lane.py), and 300 noisy steps would find such a point
    fn = compiled(sympy.cosh(x) + sympy.cos(y) * x / 4 + sympy.exp(y) / 5 - y)
    knobs = {"noise": 0.5, "seed": 11, "clip_norm": 3.0, "weight_decay": 0.01, "steps": 300,
             "schedule": "warmup:3,cosine", "tol": 0.0}  # fmt: skip
    settings = [Settings("momentum", lr=0.01, **knobs), Settings("momentum", lr=0.02, **knobs)]
    starts = [[-1.2, 1.0], [0.5, -0.5], [2.0, 2.0]]
    together = descend(fn, starts, settings)  # six runs, one vector lane, per-run lr schedules
    for run in together:
        alone = descend(fn, [run.start], [run.settings])[0]  # the scalar lane
        np.testing.assert_array_equal(run.path, alone.path)
    # the noise is keyed by the start, not the run's place: same start, same seed, same noise
    gd = Settings("gd", lr=0.01, **knobs)
    a = descend(fn, [starts[1]], [gd])[0]
    b = descend(fn, starts, [gd])[1]
    np.testing.assert_array_equal(a.path, b.path)
    other = descend(fn, [starts[1]], [Settings(**{**gd.__dict__, "seed": 12})])[0]
    assert not np.array_equal(a.path, other.path)


def test_runs_that_end_early_leave_the_knobs_of_the_others_right() -> None:
    # runs converge at different steps: the vector lane drops them before the update of that step
    fn = compiled(sympy.cosh(x) + sympy.cosh(y))
    knobs = {"clip_value": 1.0, "weight_decay": 0.01, "schedule": "exp:0.999", "noise": 0.01,
             "seed": 2, "tol": 0.05, "steps": 300}  # fmt: skip
    settings = [Settings(lr=0.3, **knobs), Settings(lr=0.5, **knobs)]
    starts = [[6, 4], [0.5, 0.2], [-3, 1], [2, -5]]
    together = descend(fn, starts, settings)
    assert len({r.iterations for r in together}) > 3 and all(r.converged for r in together)
    for run in together:
        alone = descend(fn, [run.start], [run.settings])[0]
        np.testing.assert_array_equal(run.path, alone.path)
        assert run.clipped == alone.clipped


def test_noise_through_the_cli_is_reproducible_and_seeded() -> None:
    base = ["descend", "x^2+y^2", "--from", "3,1", "--steps", "20", "--noise", "0.5",
            "--format", "csv"]  # fmt: skip
    first = runner.invoke(app, [*base, "--seed", "1"])
    again = runner.invoke(app, [*base, "--seed", "1"])
    other = runner.invoke(app, [*base, "--seed", "2"])
    default = runner.invoke(app, base)
    assert first.exit_code == 0 and first.stdout == again.stdout != other.stdout
    assert default.stdout == runner.invoke(app, [*base, "--seed", "0"]).stdout
    # a seed with nothing to seed (no --noise, no --starts) is a mistake worth saying
    quiet = runner.invoke(app, [*base[:-4], "--format", "csv", "--seed", "5"])
    assert quiet.exit_code == 2 and "--seed draws the --starts and the --noise" in quiet.stderr


def test_plot_from_draws_a_run_with_knobs(tmp_path: Any) -> None:
    out = runner.invoke(app, ["plot", "cosh(x)+cosh(y)", "--from", "6,4", "--lr", "0.5",
                              "--clip-norm", "1", "--dpi", "40", "--format", "json",
                              "-o", str(tmp_path / "c.png")])  # fmt: skip
    assert out.exit_code == 0, out.output
    (run,) = json.loads(out.stdout)["runs"]
    assert run["hyperparameters"]["clip_norm"] == 1.0 and run["status"] == "converged"
    assert (tmp_path / "c.png").stat().st_size > 0


# --- bad values: exit 2, one line naming the flag ----------------------------------------------------
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--schedule", "cosin"], "--schedule 'cosin': 'cosin' is no schedule (did you mean cosine?)"),
        (["--schedule", "exp"], "exp needs its gamma"),
        (["--schedule", "step"], "step needs its step size"),
        (["--schedule", "warmup:0"], "its total_iters must be a whole number ≥ 1"),
        (["--schedule", "linear:5:2"], "its end_factor must be a finite number in [0, 1]"),
        (["--schedule", "cosine:10,warmup:5"], "a warm-up comes first"),
        (["--schedule", "cosine:10", "--schedule-steps", "20"], "already says 10 steps"),
        (["--schedule", "exp:0.9", "--schedule-steps", "5"], "--schedule-steps sets the length"),
        (["--schedule-steps", "5"], "--schedule-steps is the length of a schedule"),
        (["--weight-decay", "-1"], "--weight-decay must be a finite number ≥ 0"),
        (["--clip-norm", "0"], "--clip-norm must be a finite number > 0"),
        (["--clip-value", "nan"], "--clip-value must be a finite number > 0"),
        (["--noise", "-0.5"], "--noise must be a finite number ≥ 0"),
        (["--seed", "-1"], "--seed must be a whole number from 0"),
        (["--line-search", "--clip-norm", "1"], "it cannot go with --clip-norm"),
    ],
)  # fmt: skip
def test_a_bad_knob_is_one_line_and_exit_2(args: list[str], says: str) -> None:
    out = runner.invoke(app, ["descend", "x^2+y^2", "--from", "3,1", *args])
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradcli: error:"), out.stderr
    assert says in lines[0]


def test_weight_decay_and_noise_explain_why_tol_was_not_met() -> None:
    base = ["descend", "(x-3)^2", "--from", "0", "--steps", "300", "--summary", "--format", "json"]
    decayed = json.loads(runner.invoke(app, [*base, "--weight-decay", "0.5"]).stdout)["runs"][0]
    assert decayed["final"]["point"]["x"] == pytest.approx(2.4)  # argmin (x−3)² + 0.25·x²
    (note,) = decayed["notes"]  # not "lr is too small" or "slow": the goal moved
    assert note.startswith("weight decay: x settled where ∇f + 0.5·x = 0")
    noisy = json.loads(runner.invoke(app, [*base, "--noise", "0.5"]).stdout)["runs"][0]
    (note,) = noisy["notes"]  # no overshooting read into the noise
    assert note.startswith("noisy gradient: with noise 0.5 added to ∇f the steps never settle")
