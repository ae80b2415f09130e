"""``gradcli plot``: slide-ready figures — contours with the gradient field, tangents, paths, surfaces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from gradcli.cli.app import app
from gradcli.cli.descent_options import DESCENT, DescentArgs, FromOpt, descent_options
from gradcli.cli.inputs import emit, load_points, stdin_users
from gradcli.cli.options import (
    AtOpt,
    BoundsOpt,
    ExprArg,
    FormatOpt,
    LetOpt,
    SubjectToOpt,
    ThemeOpt,
    VarsOpt,
)
from gradcli.cli.terminal_options import TermOpt

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.optimize.projection import Projection

MATH_FONTS = ("cm", "stix", "dejavu")


def _math_font(value: str | None) -> str | None:
    if value is not None and value.lower() not in MATH_FONTS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(MATH_FONTS)}")
    return value.lower() if value is not None else None


@app.command()
@descent_options
def plot(
    expr: ExprArg,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The figure: .png, .svg or .pdf. With --animate: .gif, .mp4 (needs ffmpeg), "
            "a multi-page .pdf, or numbered frames: a folder (frames/) or a pattern "
            "(frame-%03d.png). Written atomically. Without it, on a terminal, the figure is "
            "drawn there (see --term); -o - means the same.",
            show_default=False,
        ),
    ] = None,
    at: AtOpt = None,
    starts: FromOpt = None,
    descent: DescentArgs = DESCENT,
    surface: Annotated[
        bool, typer.Option("--surface", help="A 3-D surface (paths lifted onto it).")
    ] = False,
    animate: Annotated[
        bool,
        typer.Option("--animate", help="The descent drawing itself, step by step (needs --from)."),
    ] = False,
    frames: Annotated[
        int | None,
        typer.Option(
            "--frames",
            metavar="N",
            help="At most N frames for --animate (default 60; 2 to 120).",
            show_default=False,
        ),
    ] = None,
    plot_range: Annotated[
        str | None,
        typer.Option(
            "--range",
            "-r",
            metavar="R",
            help="'-3:3' for every axis or 'x=-4:4,y=-2:2' "
            "(default: fitted to the points, stationary points and runs, or -3:3).",
            show_default=False,
        ),
    ] = None,
    slice_at: Annotated[
        str | None,
        typer.Option(
            "--slice",
            metavar="z=1",
            help="Fix variables to draw a function of 3+ variables (or a 1-D cut of 2).",
            show_default=False,
        ),
    ] = None,
    grid: Annotated[
        int | None,
        typer.Option(
            "--grid",
            min=10,
            max=1500,
            help="Samples along the longer axis (default 201; 81 for --surface; 1201 in 1-D).",
            show_default=False,
        ),
    ] = None,
    levels: Annotated[
        str | None,
        typer.Option(
            "--levels",
            metavar="N|a,b,..",
            help="How many contour bands, or the exact levels.",
            show_default=False,
        ),
    ] = None,
    log_levels: Annotated[
        bool | None,
        typer.Option(
            "--log-levels/--linear-levels",
            help="Log-spaced contour levels (default: chosen from the function's dynamic range).",
            show_default=False,
        ),
    ] = None,
    arrows: Annotated[
        int | None,
        typer.Option(
            "--arrows",
            min=0,
            max=100,
            help="Gradient arrows along the longer axis (default 15; 0 for none).",
            show_default=False,
        ),
    ] = None,
    descent_arrows: Annotated[
        bool,
        typer.Option("--descent-arrows", help="Draw −∇f (downhill) instead of ∇f (uphill)."),
    ] = False,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Streamlines of the gradient flow beside the arrows (--arrows 0: instead of them).",
        ),
    ] = False,
    cmap: Annotated[
        str, typer.Option("--cmap", metavar="NAME", help="Any matplotlib colormap.")
    ] = "viridis",
    dpi: Annotated[
        int | None,
        typer.Option(
            "--dpi",
            min=20,
            max=1200,
            help="Resolution (default 150; 100 for --animate).",
            show_default=False,
        ),
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(
            "--size",
            metavar="WxH",
            help="Figure size in inches (8x6) or pixels (1920x1080px).",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", help="Title (default: the function).", show_default=False),
    ] = None,
    theme: ThemeOpt = "light",
    math_font: Annotated[
        str | None,
        typer.Option(
            "--math-font",
            metavar="cm|stix|dejavu",
            callback=_math_font,
            help="Formulas and text in Computer Modern (as LaTeX), STIX (Times-like) or DejaVu "
            "(default: your matplotlibrc's fonts).",
            show_default=False,
        ),
    ] = None,
    transparent: Annotated[
        bool | None,
        typer.Option(
            "--transparent/--opaque",
            help="No background, for any slide colour (default: your matplotlibrc's "
            "savefig.transparent, else opaque).",
            show_default=False,
        ),
    ] = None,
    editable_text: Annotated[
        bool,
        typer.Option(
            "--editable-text",
            help="SVG text as <text>, editable in Inkscape or PowerPoint (the fonts must be "
            "installed where it is opened). PDF text is always TrueType.",
        ),
    ] = False,
    subject_to: SubjectToOpt = None,
    bounds: BoundsOpt = None,
    vars: VarsOpt = None,
    let: LetOpt = None,
    fmt: FormatOpt = "table",
    term: TermOpt = None,
) -> None:
    """A figure for slides: filled contours with labelled level curves and the gradient field
    (arrows uphill, perpendicular to the level curves); with --at, the point's level curve, its
    gradient and the tangent; in 1-D, the curve and the tangent at each --at with its slope.
    With --from, the descent runs (same options and engine as descend) drawn as paths.

    With --subject-to, the Lagrange picture: the constraint curve, each constrained stationary
    point (as critical --subject-to finds it) with the level curve of f through it, tangent to the
    constraint there, and ∇f ∥ ∇g drawn at it (plot "x+y" --subject-to "x^2+y^2=1" -o l.png);
    --from paths are then projected onto a circle or a line.

    Examples:

    \b
      gradcli plot "x**2+y**2" -o bowl.png
      gradcli plot "x**2" --at 3 --at 4 -o slope.png
      gradcli plot "x**2+y**2" --at 1,1 -o point.png
      gradcli plot "(1-x)**2+100*(y-x**2)**2" --from -1.2,1 --method gd --method adam --lr 0.001 --steps 2000 -o race.png
      gradcli plot "sin(x)*cos(y)" --surface -o surface.png
      gradcli plot "x**2+3*y**2" --from 3,1 --animate -o descent.gif
      gradcli plot "x**2-y**2" --stream --math-font cm --transparent -o saddle.pdf
      gradcli plot "x*y*z" --slice z=1 -o slice.pdf
    """
    from gradcli import plotting
    from gradcli.cli import figure_options as spec
    from gradcli.cli.terminal import plot_mode, show_plot
    from gradcli.errors import UsageError
    from gradcli.views.projection import feasible_label

    if output == "-":  # standard output: on a terminal that is the picture, as with no -o
        output = None
    drawing = plot_mode(term, output, fmt, animate, surface)  # in the terminal: None if not
    if frames is not None and not animate:
        raise UsageError("--frames counts an animation's frames: add --animate")
    from gradcli.plotting.animate import check_frames

    check_frames(frames)
    animated = plotting.figure_format(output, animate) if output is not None else ""
    if output is not None:
        plotting.check_save_options(animated, transparent=transparent, editable_text=editable_text)
        plotting.check_writable(output, animate)
    stdin_users(expr, at, starts)
    given = descent.given()
    if given and not (starts or descent.start_spec):
        # without a start there is no descent: a knob left unused would look like it did nothing
        if set(given) <= {"--method", "--lr"}:
            raise UsageError("--method and --lr describe a descent: give its start with --from")
        named = " and ".join([", ".join(given[:-1]), given[-1]] if len(given) > 1 else given)
        raise UsageError(
            f"{named} {'describe' if len(given) > 1 else 'describes'} a descent: give its "
            "start with --from 3,1 (or --starts N)"
        )
    if bounds is not None and not (starts or descent.start_spec):
        raise UsageError(
            "--bounds is the box a descent stays in: give its start with --from",
            hint="--from 0,0 --bounds -1:1",
        )
    if bounds is not None and subject_to:
        raise UsageError(
            "--subject-to and --bounds together: the nearest point of their intersection has no "
            "simple formula; give one of them"
        )
    if animate and not (starts or descent.start_spec):
        raise UsageError("--animate draws a descent: give its start with --from", hint="--from 3,1")
    settings = descent.settings()
    from gradcli.cli import recall

    with recall.function(expr, vars, let) as (fn, compiled):
        recalled_fn = fn
        lagrange, projection, window = _constrained(
            fn, subject_to, vars, let, slice_at, bool(starts)
        )
        if lagrange is not None:
            fn = lagrange.fn
        boxed = _boxed(fn, bounds, slice_at)
        projection = boxed or projection
        fixed = spec.parse_slice(slice_at, fn.names)
        drawn = plotting.slice_function(fn, fixed) if fixed else fn
        if drawn is not recalled_fn:  # a slice, or the Lagrange picture's f: its own evaluators
            from gradcli.numeric import compile_function

            compiled = compile_function(drawn)
        _check_dimension(drawn, fixed)
        points = load_points(at, drawn)
        origins = load_points(starts, drawn, option="--from")
        from gradcli.cli.starts import generated_starts, note_seed

        generated = generated_starts(
            descent.start_spec, descent.seed, drawn, expr, plot_range, descent.noisy
        )
        if generated is not None and descent.seed is None and generated.seed is not None:
            note_seed(generated.seed)
        # A named function brings its suggested window and its known minima (marked on the figure).
        from gradcli.presets import lookup

        preset = lookup(expr.strip()) if not fixed else None
        count, level_values = spec.parse_levels(levels)
        resolution = dpi or (100 if animate else 150)
        figure_size = spec.parse_size(size, resolution)
        if (
            animate and figure_size is not None
        ):  # every frame is held in memory: refuse before the work
            from gradcli.plotting.animate import FRAME_PIXELS_MAX

            spec.check_pixels(*figure_size, resolution, FRAME_PIXELS_MAX)
        options = plotting.PlotOptions(
            ranges=spec.parse_ranges(plot_range, drawn.names)
            or (dict(zip(drawn.names, preset.range)) if preset else {})
            or window,
            grid=grid,
            levels=count,
            level_values=level_values,
            log_levels=log_levels,
            arrows=arrows,
            descent_arrows=descent_arrows,
            cmap=cmap,
            dpi=resolution,
            size=figure_size,
            title=title,
            theme=theme,
            surface=surface,
            fixed={name: float(value) for name, value in fixed.items()},
            minima=preset.minima if preset else (),
            stream=stream,
            math_font=math_font,
            transparent=transparent,
            editable_text=editable_text,
            lagrange=lagrange,
            feasible=boxed,
            feasible_label=feasible_label(boxed, fn.names) if boxed is not None else "",
        )
        runs: list[Any] = []
        starts_xy = [p.values for p in origins] + (generated.points.tolist() if generated else [])
        if starts_xy:
            from gradcli.optimize import descend

            # A figure cannot show more than a few thousand points per path: record a subsample of
            # long runs (the engine always keeps each run's last step).
            every = max(1, descent.steps // 5000)
            runs = descend(compiled, starts_xy, settings, record_every=every, projection=projection)
        if drawing is not None:
            show_plot(drawing, drawn, fn, points, runs, options)
        if output is None:
            return
        figure = plotting.plot_function(
            drawn,
            at=[p.values for p in points],
            runs=runs,
            options=options,
            title_fn=fn,
            exact_at=points,
            compiled=compiled,
            interest=[p.values for p in lagrange.points] if lagrange is not None else (),
        )
        plotting.write_plot(figure, output, animate=animate, frames=frames)
        from gradcli.views.figure import figure_document

        doc = figure_document(fn, drawn, fixed, points, runs, figure, output, animated)
        if boxed is not None:  # the box the runs stayed in: a heading line, a JSON key, a note
            from gradcli.views.projection import add_projection

            doc = add_projection(doc, boxed, fn.names)
        emit(doc, fmt, "plot")


def _boxed(fn: Function, bounds: str | None, slice_at: str | None) -> Projection | None:
    """The box of ``--bounds`` over f's variables, or None."""
    if bounds is None:
        return None
    if slice_at is not None:
        from gradcli.errors import UsageError

        raise UsageError("--bounds keeps a descent in a box of f's variables: not with --slice")
    from gradcli.cli.constraints import load_projection

    return load_projection(fn, (), bounds)


def _constrained(
    fn: Function,
    subject_to: list[str] | None,
    vars: str | None,
    let: str | None,
    slice_at: str | None,
    descending: bool,
) -> tuple[Any, Any, dict[str, tuple[float, float]]]:
    """--subject-to: the Lagrange result to draw, with --from the projection of the runs, and
    the window a circle fills (centre ± 1.8 r; else the usual framing)."""
    from gradcli.errors import GradcliError, UsageError, few_names

    if not subject_to:
        return None, None, {}
    if slice_at:
        raise UsageError("--subject-to draws a constraint in the plane of f's two variables: "
                         "it cannot go with --slice")  # fmt: skip
    from gradcli.calculus.lagrange import lagrange_points
    from gradcli.cli.constraints import load_constraints, load_projection

    fn, constraints = load_constraints(fn, subject_to, vars, let)
    if len(fn.variables) != 2:
        raise UsageError(
            f"--subject-to draws the constraint curve of a function of two variables; with the "
            f"constraint there are {len(fn.variables)} ({few_names(fn.names, count=False)})",
            hint="critical --subject-to answers in any number of variables",
        )
    result = lagrange_points(fn, constraints)  # first: an empty constraint set is exit 1
    projection = load_projection(fn, constraints, None) if descending else None
    window: dict[str, tuple[float, float]] = {}
    try:
        circle = projection or load_projection(fn, constraints[:1], None)
    except GradcliError:  # not a circle: the usual framing
        circle = None
    if circle is not None and circle.kind == "sphere" and len(circle.indices) == 2:
        r = 1.8 * circle.radius
        window = {fn.names[i]: (c - r, c + r) for i, c in zip(circle.indices, circle.centre)}
    return result, projection, window


def _check_dimension(drawn: Function, fixed: dict[str, Any]) -> None:
    from gradcli.errors import UsageError, few_names

    n = len(drawn.names)
    if n in (1, 2):
        return
    if n == 0 and fixed:
        raise UsageError("--slice fixes every variable: nothing is left to draw")
    if n == 0:
        raise UsageError(
            "f is a constant: there is no variable to draw it against",
            hint="--vars x draws it as a function of x",
        )
    # A few names and the count, not all 500: the line stays one readable line at any size.
    free = few_names(drawn.names, count=False)
    extra = ",".join(f"{name}=0" for name in drawn.names[2:5])
    if n > 5:
        extra += f",… (all but two of the {n})"
    raise UsageError(
        f"a figure shows 1 or 2 variables, and f has {n} free ({free})",
        hint=f"fix the others with --slice, e.g. --slice {extra}",
    )
