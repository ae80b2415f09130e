"""Slide-ready figures of a function, its gradient and descent runs (matplotlib; no pyplot).

Imported only by ``gradcli plot`` and ``gradcli descend --plot``. The public API:

- :func:`plot_function` builds a :class:`Plot` (``.figure`` is a ``matplotlib.figure.Figure``);
- :func:`write_figure` writes a figure atomically, the format following the extension;
- :func:`write_animation` writes a plot's descent runs drawing themselves as a GIF;
- :func:`descent_figure` is the one call behind ``descend --plot FILE``;
- :func:`slice_function` fixes extra variables (``--slice z=1``), :func:`figure_format` and
  :func:`check_writable` validate the target before any work is done.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from gradcli.function import Function
from gradcli.plotting.animate import write_animation
from gradcli.plotting.figures import Plot, PlotOptions, Run, plot_function
from gradcli.plotting.output import check_writable, figure_format, write_figure
from gradcli.plotting.slicing import slice_function

__all__ = [
    "Plot",
    "PlotOptions",
    "Run",
    "check_writable",
    "descent_figure",
    "figure_format",
    "plot_function",
    "slice_function",
    "write_animation",
    "write_figure",
]


def descent_figure(
    fn: Function,
    runs: Sequence[Run],
    path: str | os.PathLike[str],
    *,
    at: Sequence[Sequence[float]] = (),
    options: PlotOptions | None = None,
    animate: bool = False,
) -> Plot:
    """Draw ``runs`` over the contours of ``fn`` (1-D: over its curve) and write the figure to ``path``
    — the same figure ``gradcli plot --from ...`` draws. ``animate=True`` writes a GIF instead.

    Raises ``UsageError`` (exit 2) for an unknown extension or a function of 3+ variables, and
    ``OutputError`` (exit 1) when ``path`` cannot be written. Call :func:`figure_format` and
    :func:`check_writable` before running the descent to fail before the work, not after it.
    """
    figure_format(path, animate)
    check_writable(path)
    plot = plot_function(fn, at=at, runs=runs, options=options)
    if animate:
        write_animation(plot, path)
    else:
        write_figure(plot.figure, path)
    return plot
