"""Slide-ready figures of a function, its gradient and descent runs (matplotlib; no pyplot).

Imported only by ``gradcli plot`` and ``gradcli descend --plot``. The public API:

- :func:`plot_function` builds a :class:`Plot` (``.figure`` is a ``matplotlib.figure.Figure``);
- :func:`write_plot` writes a built plot atomically, the format following the extension, with the
  options it was built with (``--transparent``, ``--editable-text``); :func:`write_figure` writes
  any figure;
- :func:`write_animation` writes a plot's descent runs drawing themselves: a GIF, an MP4, a
  multi-page PDF or numbered frames (see :mod:`gradcli.plotting.targets`);
- :func:`descent_figure` is the one call behind ``descend --plot FILE``;
- :func:`slice_function` fixes extra variables (``--slice z=1``), :func:`figure_format`,
  :func:`check_save_options` and :func:`check_writable` validate the target before any work is done.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gradcli.function import Function
from gradcli.plotting.animate import write_animation
from gradcli.plotting.figures import Plot, PlotOptions, Run, plot_function
from gradcli.plotting.output import check_save_options, check_writable, figure_format, write_figure
from gradcli.plotting.slicing import slice_function

if TYPE_CHECKING:
    from gradcli.numeric import Compiled

__all__ = [
    "Plot",
    "PlotOptions",
    "Run",
    "check_save_options",
    "check_writable",
    "descent_figure",
    "figure_format",
    "plot_function",
    "slice_function",
    "write_animation",
    "write_figure",
    "write_plot",
]


def descent_figure(
    fn: Function,
    runs: Sequence[Run],
    path: str | os.PathLike[str],
    *,
    at: Sequence[Sequence[float]] = (),
    options: PlotOptions | None = None,
    animate: bool = False,
    compiled: Compiled | None = None,
) -> Plot:
    """Draw ``runs`` over the contours of ``fn`` (1-D: over its curve) and write the figure to ``path``
    — the same figure ``gradcli plot --from ...`` draws. ``animate=True`` writes an animation
    instead (a .gif, .mp4, multi-page .pdf or numbered frames: the path says which).

    Raises ``UsageError`` (exit 2) for an unknown extension or a function of 3+ variables, and
    ``OutputError`` (exit 1) when ``path`` cannot be written. Call :func:`figure_format` and
    :func:`check_writable` before running the descent to fail before the work, not after it.
    ``compiled``: ``fn``'s evaluators when the caller has them (the ones the runs stepped with).
    """
    fmt = figure_format(path, animate)
    if options is not None:
        check_save_options(
            fmt, transparent=options.transparent, editable_text=options.editable_text
        )
    check_writable(path, animate)
    plot = plot_function(fn, at=at, runs=runs, options=options, compiled=compiled)
    write_plot(plot, path, animate=animate)
    return plot


def write_plot(
    plot: Plot, path: str | os.PathLike[str], *, animate: bool = False, frames: int | None = None
) -> str:
    """Write ``plot`` to ``path`` atomically — a still, or with ``animate`` its runs drawing
    themselves in at most ``frames`` frames — as the options it was built with say (transparent
    background, editable text, its fonts); returns the format."""
    if animate:
        fmt = figure_format(path, animate=True)
        write_animation(plot, path, frames)
        return fmt
    opts = plot.options
    if plot.settled and figure_format(path) == "png":
        # savefig would lay the figure out once more before painting it: the same Agg layout
        # that plot_function's last measuring draw made and left final (a fifth of the work of a
        # default plot). Vector formats measure text with their own renderer: laid out anew.
        plot.figure.set_layout_engine("none")
    return write_figure(
        plot.figure,
        path,
        transparent=opts.transparent,
        editable_text=opts.editable_text,
        rc=plot.rc,
    )
