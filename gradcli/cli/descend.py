"""``gradcli descend``: gradient descent (or ascent) runs, step by step, compared side by side.

The command validates its options, runs :mod:`gradcli.optimize` and turns the runs into one
:class:`~gradcli.views.render.Document`. ``--format csv``/``ndjson`` stream: each row is written as the
step is computed, so ``| head`` stops the work early. Tables and JSON are built once the runs end
(with a progress bar on a terminal); Ctrl-C still shows what ran, then exits 130.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gradcli.cli.app import app
from gradcli.cli.descend_batches import batched, constrained, table_width
from gradcli.cli.descent_options import DESCENT, DescentArgs, FromOpt, descent_options
from gradcli.cli.inputs import emit, stdin_users
from gradcli.cli.options import (
    BoundsOpt,
    ExprArg,
    FormatOpt,
    LetOpt,
    PrecisionOpt,
    SubjectToOpt,
    VarsOpt,
)
from gradcli.errors import NotConverged, UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.numeric import Compiled
    from gradcli.optimize import Descent, DescentRun, Settings
    from gradcli.optimize.lane import Keep
    from gradcli.optimize.projection import Projection

FORMATS = ("table", "json", "ndjson", "csv")
SUMMARY_PATHS_MAX = 100  # runs of a --summary whose paths --plot steps again to draw


@app.command()
@descent_options
def descend(
    expr: ExprArg,
    starts: FromOpt = None,
    descent: DescentArgs = DESCENT,
    every: Annotated[
        int | None,
        typer.Option(
            "--every",
            metavar="K",
            help="Record every K-th step (and each run's last).",
            show_default=False,
        ),
    ] = None,
    all_steps: Annotated[
        bool,
        typer.Option("--all", help="Table: every step (default: the first and last few)."),
    ] = False,
    summary: Annotated[
        bool, typer.Option("--summary", help="Record only each run's final state.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 3 if any run did not converge.")
    ] = False,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            metavar="FILE",
            help="Also draw the runs over the contours: .png, .svg, .pdf (.gif animates).",
            show_default=False,
        ),
    ] = None,
    subject_to: SubjectToOpt = None,
    bounds: BoundsOpt = None,
    vars: VarsOpt = None,
    let: LetOpt = None,
    fmt: FormatOpt = "table",
    precision: PrecisionOpt = 6,
    curve: Annotated[
        bool,
        typer.Option(
            "--curve",
            help="After the table, draw f and ‖∇f‖ per step (in the terminal; plain text on a pipe).",
        ),
    ] = False,
    start_range: Annotated[
        str | None,
        typer.Option(
            "--range",
            metavar="LO:HI",
            help="Where --starts draws: '-3:3' or 'x=-4:4,y=-2:2' (default: a named function's "
            "window, else -3:3).",
            show_default=False,
        ),
    ] = None,
    no_progress: Annotated[
        bool,
        typer.Option(
            "--no-progress", help="No progress bar (shown on a terminal for a long descent)."
        ),
    ] = False,
) -> None:
    """Gradient descent: step against the gradient, x ← x − lr·∇f(x), and watch the learning rate
    decide between crawling, converging and overshooting. --from, --lr and --method repeat; the runs
    are their product, computed together. Optimizers follow torch.optim's update rules and defaults
    (gd, momentum, nesterov, adagrad, rmsprop, adam, adamw), and so do the training-loop knobs:
    --schedule (torch.optim.lr_scheduler), --weight-decay, --clip-norm/--clip-value and --noise
    with --seed; newton, bfgs, lbfgs and cg use curvature and a strong-Wolfe line search instead
    of a learning rate. A run stops as converged (‖∇f‖ ≤ --tol), max_steps or diverged; exit 0
    either way (3 with --strict unless all converged).

    --subject-to "x^2+y^2=1" (a circle or sphere, centred anywhere), --subject-to "x+y=1" (a line
    or plane) or --bounds (a box) make it projected gradient descent: x ← P(x − lr·∇f), the start
    projected too, converged when the projected gradient (∇f along the set) is below --tol. Other
    constraints are refused.

    Examples:

    \b
      gradcli descend "x**2+y**2" --from 3,1
      gradcli descend "x**2+10*y**2" --from 1,1 --lr 0.01 --lr 0.05 --lr 0.11
      gradcli descend "(1-x)**2+100*(y-x**2)**2" --from -1.2,1 --method adam --lr 0.02 --steps 5000
      gradcli descend "x**2+y**2" --from 3,1 --method momentum --method adam --summary
      gradcli descend @rosenbrock --from -1.2,1 --method gd --method bfgs --method newton --summary
      printf '0,0\\n-1,1\\n' | gradcli descend "(x**2+y-11)**2+(x+y**2-7)**2" --from - --summary --format csv
      gradcli descend @himmelblau --starts 200 --seed 1 --lr 0.01 --summary --format csv
      gradcli descend @rosenbrock --from -1.2,1 --method all --lr 0.001,0.01
      gradcli descend "x**2" --from 1 --lr 1.5
      gradcli descend "x**2+y**2" --from 3,1 --method nesterov --lr 0.05 --strict
      gradcli descend "x**2+y**2" --from 3,1 --plot path.png
      gradcli descend "x+y" --subject-to "x^2+y^2=1" --from 1,0
      gradcli descend "x^2+y^2" --subject-to "x+y=1" --from 2,0
      gradcli descend "(x-2)**2+(y-2)**2" --bounds -1:1 --from 0,0
      gradcli descend "cosh(x)+cosh(y)" --from 6,4 --lr 0.5 --clip-norm 1 --summary
      gradcli descend "x**2+10*y**2" --from 1,1 --method adam --schedule warmup:10,cosine:190 --steps 200
    """
    from gradcli.views.render import check_format

    fmt = fmt.lower()
    check_format(fmt, FORMATS, "descend")
    _check_view(every, all_steps, summary)
    stdin_users(expr, starts)
    if not starts and descent.start_spec is None:
        raise UsageError(
            "descend needs a start",
            hint="e.g. --from 3,1 (repeatable; '-' reads stdin) or --starts 100",
        )
    if start_range is not None and descent.start_spec is None:
        raise UsageError("--range says where --starts draws: add --starts N")
    settings = descent.settings()
    from gradcli.cli import recall

    with recall.function(expr, vars, let) as (fn, compiled):
        from gradcli.cli.constraints import load_constraints, load_projection
        from gradcli.numeric import compile_function

        constrained_fn, constraints = load_constraints(fn, subject_to, vars, let)
        if constrained_fn is not fn:  # the constraint's variables joined f's
            fn, compiled = constrained_fn, compile_function(constrained_fn)
        projection = load_projection(fn, constraints, bounds)
        if projection is not None:
            from gradcli.optimize.projection import refuse_curvature

            refuse_curvature([s.method for s in settings])  # before any output
        if plot is not None:
            _check_plot(plot, fn)
        from gradcli.cli.progress import for_descent
        from gradcli.cli.starts import add_starts_field, generated_starts, load_starts, note_seed

        drawn = generated_starts(
            descent.start_spec, descent.seed, fn, expr, start_range, descent.noisy
        )
        points = load_starts(starts, fn, option="--from")
        if drawn is not None:
            import numpy as np

            points = np.concatenate([points.reshape(-1, drawn.points.shape[1]), drawn.points])
            if fmt != "table" and descent.seed is None and drawn.seed is not None:
                note_seed(drawn.seed)  # tables show it in their heading
        if len(points) == 0:
            raise UsageError("descend needs at least one start and one setting")
        if projection is not None:  # the starts as the runs see them (the engine projects them too)
            points = projection.oriented([s.ascent for s in settings]).points(points)

        from gradcli.optimize.curvature import check_settings

        check_settings(len(points), settings, len(fn.names))  # newton's n, runs stepped one by one
        streaming = fmt in ("csv", "ndjson")
        # --summary records final states only: the figure's paths come from the same runs again
        redo = (points, settings) if summary and plot is not None else None
        if curve and fmt != "table":  # machine formats stay clean: a note, no picture
            from gradcli.cli.terminal import show_curves

            show_curves([], fmt)
            curve = False
        if plot is None and not curve and not (streaming and not summary):
            # run-ordered output (JSON, tables, --summary): computed in batches, in bounded memory
            progress = for_descent(fmt, no_progress, len(points) * len(settings), settings)
            batched(fn, compiled, points, settings, fmt, every, all_steps, summary, strict, precision,
                     progress, drawn, projection)  # fmt: skip
            return
        from gradcli.optimize import Descent

        keep: Keep = (
            "recorded" if (plot or curve or fmt == "json" or every or all_steps) else "ends"
        )
        progress = for_descent(fmt, no_progress, len(points) * len(settings), settings)
        running = Descent(
            compiled,
            points,
            settings,
            record_every=every or 1,
            summary_only=summary,
            keep="final" if streaming and not plot else keep,  # a stream keeps nothing it wrote
            notes=not streaming,
            step_sizes=fmt != "csv",  # CSV has no step-length column
            on_step=progress,
            projection=projection,
        )
        if progress is not None:
            progress.follow(running)
        if streaming:
            from gradcli.views.descent_stream import stream_document

            try:
                emit(stream_document(fn, running, fmt), fmt, "descend")
            finally:
                if progress is not None:
                    progress.close()
            if strict:
                _check_strict_statuses(running)
            if plot is not None:
                _draw(fn, compiled, running.runs(annotate=False), plot, projection, redo)
            return
        interrupted = False
        try:
            running.drain()
        except KeyboardInterrupt:
            interrupted = True  # show what ran, then let the funnel exit 130
        finally:
            if progress is not None:
                progress.close()
        runs = running.runs()
        if plot is not None and not interrupted:
            _draw(fn, compiled, runs, plot, projection, redo)
        from gradcli.views.descent import ENDS, descent_document

        view = None if (every or all_steps) else ENDS
        doc = descent_document(fn, runs, precision, ends=view, plot=plot, width=table_width(fmt))
        add_starts_field(doc, drawn)
        emit(constrained(doc, projection, fn), fmt, "descend")
        if curve and not interrupted:
            from gradcli.cli.terminal import show_curves

            show_curves(runs, fmt)
        if interrupted:
            raise KeyboardInterrupt
        if strict:
            _check_strict(runs)


# --- checks -------------------------------------------------------------------------------------
def _check_view(every: int | None, all_steps: bool, summary: bool) -> None:
    if every is not None and every < 1:
        raise UsageError(f"--every must be a whole number ≥ 1, got {every}")
    chosen = [name for name, on in (("--every", every), ("--all", all_steps)) if on]
    if summary and chosen:
        raise UsageError(f"--summary records final states only; it cannot go with {chosen[0]}")
    if len(chosen) == 2:
        raise UsageError("--all shows every step; it cannot go with --every")


def _check_plot(path: str, fn: Function) -> None:
    from gradcli import plotting

    if len(fn.names) > 2:
        raise UsageError(
            "--plot draws functions of one or two variables",
            hint="use gradcli plot --slice to draw a cut of a function of more",
        )
    plotting.figure_format(path, path.lower().endswith(".gif"))
    plotting.check_writable(path)


def _draw(
    fn: Function,
    compiled: Compiled,
    runs: Sequence[DescentRun],
    path: str,
    projection: Projection | None,
    redo: tuple[Any, list[Settings]] | None = None,
) -> None:
    """The runs drawn over f's contours. ``redo`` (starts, settings): the runs recorded final
    states only (--summary), and up to SUMMARY_PATHS_MAX of them are stepped again, recording
    their paths for the figure (the same numbers: nothing in a run depends on the others)."""
    from gradcli import plotting

    if redo is not None and len(runs) <= SUMMARY_PATHS_MAX:
        from gradcli.optimize import descend

        starts, settings = redo
        every = max(1, max(s.steps for s in settings) // 5000)  # as plot --from records them
        runs = descend(
            compiled, starts, settings, record_every=every, notes=False, projection=projection
        )
    options = None
    if projection is not None:  # the circle or box the runs stayed in, drawn under them
        from gradcli.views.projection import feasible_label

        label = feasible_label(projection, fn.names)
        options = plotting.PlotOptions(feasible=projection, feasible_label=label)
    plotting.descent_figure(
        fn, runs, path, animate=path.lower().endswith(".gif"), options=options, compiled=compiled
    )


def _check_strict(runs: Sequence[DescentRun]) -> None:
    failed = [r for r in runs if r.status != "converged"]
    if failed:
        first = failed[0]
        raise NotConverged(
            f"{len(failed)} of {len(runs)} run{'s' if len(runs) != 1 else ''} did not converge "
            f"(run {first.number}: {first.status}, {first.reason})"
        )


def _check_strict_statuses(descent: Descent) -> None:
    """--strict after a stream: the statuses are enough (no DescentRun objects needed)."""
    statuses = descent.statuses()
    failed = [k for k, status in enumerate(statuses) if status != "converged"]
    if failed:
        final = descent.final(failed[0])
        raise NotConverged(
            f"{len(failed)} of {len(statuses)} run{'s' if len(statuses) != 1 else ''} did not "
            f"converge (run {failed[0] + 1}: {final.status}, {final.reason})"
        )


# --- machine formats, streamed --------------------------------------------------------------------
