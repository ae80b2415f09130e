"""The f and ‖∇f‖ curves of descent runs, per step, as small figures for the terminal
(``gradcli descend --curve``): one line per run in the figures' run palette, ‖∇f‖ on a log
scale where it spans decades (a converging run's gradient shrinks geometrically: a straight line
there, its slope the rate)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gradcli.plotting.model import Plot, Track
from gradcli.plotting.terminal import DPI, TerminalFigure

QUANTITIES = (("value", "f"), ("norms", "‖∇f‖"))
LOG_SPAN = 100.0  # max/min over which a positive quantity is drawn on a log scale


def history_figures(runs: Sequence[Any], theme: str = "dark") -> list[TerminalFigure]:
    """A :class:`TerminalFigure` (kind "series") for f and one for ‖∇f‖ against the step."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gradcli.plotting import artists, style

    labels = artists.run_labels(runs)
    figures = []
    for attribute, name in QUANTITIES:
        fig = Figure(figsize=(4.0, 2.0), dpi=DPI)
        FigureCanvasAgg(fig)
        rc = style.theme_rc(theme)
        fig.set_facecolor(rc["figure.facecolor"])
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_facecolor(rc["axes.facecolor"])
        ax.set_axis_off()
        series = [
            (
                np.asarray(r.steps, float),
                np.asarray(getattr(r, attribute if attribute != "value" else "values"), float),
            )
            for r in runs
        ]
        finite = np.concatenate([y[np.isfinite(y)] for _, y in series] or [np.zeros(0)])
        log = bool(len(finite) and finite.min() > 0 and finite.max() / finite.min() > LOG_SPAN)
        tracks = []
        for i, ((steps, ys), label) in enumerate(zip(series, labels)):
            color = (
                style.PALETTE[(i + 3) % len(style.PALETTE)]
                if theme == "dark"
                else style.PALETTE_ON_WHITE[i % len(style.PALETTE_ON_WHITE)]
            )
            ys = np.where(np.isfinite(ys) & ((ys > 0) | (not log)), ys, np.nan)
            (line,) = ax.plot(steps, ys, color=color, linewidth=2.0, label=label)
            (end,) = ax.plot([], [])
            end.set_visible(False)
            tracks.append(Track(steps, ys, None, line, end, end))
        if log:
            ax.set_yscale("log")
        last = max((float(s[-1]) for s, _ in series if len(s)), default=1.0)
        ax.set_xlim(0.0, max(last, 1.0))
        if len(finite):
            lo, hi = float(finite.min()), float(finite.max())
            if log:
                ax.set_ylim(lo / 1.3, hi * 1.3)
            else:
                pad = 0.06 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
                ax.set_ylim(lo - pad, hi + pad)
        plot = Plot(fig, "series", {"step": (0.0, max(last, 1.0))}, False, tracks, [], rc)
        legend = [(label, str(t.line.get_color())) for label, t in zip(labels, tracks)]
        figures.append(TerminalFigure(plot, legend, None, False, [], y_name=name, log_y=log))
    return figures
