"""How much does ``gradcli plot`` cost next to a hand-written matplotlib script drawing the same?

Both sides draw the default figure for x² + y² — 201×201 filled contours, labelled contour lines, a
15×15 gradient field, a colour bar, a math-text title, constrained layout, a 150 dpi PNG — in this one
process, after a warm-up, alternating so that machine load hits both alike. gradcli's side includes
everything the command does after start-up: parsing, differentiating and compiling the function,
finding stationary points to frame the view, choosing levels, masking, and the atomic write.

    python benchmarks/bench_plot.py            # 9 alternating pairs
    python benchmarks/bench_plot.py --pairs 21
    python benchmarks/bench_plot.py --process  # whole processes: start-up and imports included

Target (issue 4): the median ratio gradcli / hand-written within about 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def hand_written(path: Path) -> None:
    """What a careful person would write for the same slide, with no pyplot."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    x = np.linspace(-3, 3, 201)
    X, Y = np.meshgrid(x, x)
    Z = X**2 + Y**2
    fig = Figure(figsize=(8.4, 8.1), dpi=150, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    filled = ax.contourf(X, Y, Z, levels=12, cmap="viridis")
    lines = ax.contour(X, Y, Z, levels=filled.levels, colors="#101010", linewidths=0.8, alpha=0.55)
    ax.clabel(lines, list(lines.levels)[::2], inline=True, fontsize=11)
    a = -3 + (np.arange(15) + 0.5) * 6 / 15
    AX, AY = np.meshgrid(a, a)
    U, V = 2 * AX, 2 * AY
    norm = np.hypot(U, V)
    keep = norm > 0  # no direction at the minimum
    AX, AY, U, V, norm = AX[keep], AY[keep], U[keep], V[keep], norm[keep]
    scale = 0.8 * 0.4 * np.clip(norm / np.percentile(norm, 90), 0.5, 1.0) / norm
    ax.quiver(AX, AY, U * scale, V * scale, angles="xy", scale_units="xy", scale=1,
              pivot="middle", color="white", edgecolor="#111111", linewidth=0.7)  # fmt: skip
    fig.colorbar(filled, ax=ax, label="$f(x, y)$")
    ax.set_aspect("equal")
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title("$f(x, y) = x^{2} + y^{2}$")
    fig.savefig(path, format="png", metadata={"Software": None})


def gradcli_plot(path: Path) -> None:
    """The same figure through gradcli's library, as ``gradcli plot "x**2+y**2" -o PATH`` runs it."""
    from gradcli.expr import parse
    from gradcli.plotting import plot_function, write_figure

    write_figure(plot_function(parse("x**2+y**2")).figure, path)


def _in_process(pairs: int, out: Path) -> tuple[list[float], list[float]]:
    hand_written(out / "warm_a.png")  # imports, font cache, mathtext: paid once, not measured
    gradcli_plot(out / "warm_b.png")
    ours: list[float] = []
    theirs: list[float] = []
    for i in range(pairs):
        sides = [(gradcli_plot, ours), (hand_written, theirs)]
        for draw, times in sides if i % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            draw(out / f"{draw.__name__}.png")
            times.append(time.perf_counter() - start)
    return ours, theirs


def _processes(pairs: int, out: Path) -> tuple[list[float], list[float]]:
    """``gradcli plot`` as a user runs it against ``python script.py`` — start-up included, so
    gradcli also pays for importing sympy, which a numpy-only script does not need."""
    import inspect
    import subprocess
    import sys

    script = out / "script.py"
    source = inspect.getsource(hand_written)
    script.write_text(f"from pathlib import Path\n{source}\nhand_written(Path('script.png'))\n")
    commands = {
        "gradcli": [sys.executable, "-m", "gradcli", "plot", "x**2+y**2", "-o", "cli.png"],
        "script": [sys.executable, str(script)],
    }
    times: dict[str, list[float]] = {"gradcli": [], "script": []}
    for i in range(pairs + 1):
        order = ["gradcli", "script"] if i % 2 == 0 else ["script", "gradcli"]
        for name in order:
            start = time.perf_counter()
            subprocess.run(commands[name], cwd=out, check=True, capture_output=True)
            if i:  # the first pair warms the OS file cache
                times[name].append(time.perf_counter() - start)
    return times["gradcli"], times["script"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=9, help="alternating measurements per side")
    parser.add_argument("--process", action="store_true", help="time whole processes instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure = _processes if args.process else _in_process
        ours, theirs = measure(args.pairs, Path(folder))
    ratios = [a / b for a, b in zip(ours, theirs)]
    print("whole processes" if args.process else "in one process, after warm-up")
    print(f"pairs                 {args.pairs}")
    print(f"hand-written median   {statistics.median(theirs) * 1000:7.1f} ms")
    print(f"gradcli median        {statistics.median(ours) * 1000:7.1f} ms")
    print(f"ratio (median of pairs) {statistics.median(ratios):5.2f}  (target ≤ 1.2)")


if __name__ == "__main__":
    main()
