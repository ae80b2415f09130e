"""``plot --subject-to``: the Lagrange picture over the contours of f.

The constraint curve g = c (its zero set, a distinct white-edged line in the legend), each
constrained stationary point marked, the level curve of f through it — tangent to the constraint
there — and ∇f and ∇g drawn at it as arrows of one length: parallel (or opposite), which is the
multiplier rule ∇f = λ∇g seen. It joins "level curves ⟂ gradient" with optimisation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gradcli.plotting import artists, grid
from gradcli.views.text import decimal, pretty

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from gradcli.calculus.lagrange import ConstrainedPoint, LagrangeResult

CURVE = "#ffffff"  # the constraint: white with a dark edge reads on every colormap
CURVE_EDGE = "#1a1a1a"
GRAD_F = "#d62728"
GRAD_G = "#1f3fbf"
KINDS = {  # marker, colour, words
    "minimum": ("o", "#2ca02c", "constrained min"),
    "maximum": ("^", "#ff7f0e", "constrained max"),
    "saddle": ("s", "#9467bd", "saddle on the constraint"),
    "degenerate": ("D", "#8c564b", "degenerate"),
    "isolated": ("P", "#17becf", "isolated point"),
    "singular": ("X", "#e377c2", "∇g = 0 (LICQ fails)"),
}
ARROW_SHARE = 0.16  # arrow length: this share of the shorter axis


def draw(
    ax: Axes,
    sample: grid.Sample2D,
    compiled: Any,
    result: LagrangeResult,
    xr: tuple[float, float],
    yr: tuple[float, float],
) -> None:
    """Everything of the lesson, on the axes of a 2-D contour plot of f."""
    from gradcli.symbolic import lambdify

    variables = result.fn.variables
    for c in result.constraints:
        g = lambdify(variables, [c.expr])
        with np.errstate(all="ignore"):
            values = np.broadcast_to(np.real(g(sample.X, sample.Y)[0]), sample.X.shape)
        edge = ax.contour(
            sample.X, sample.Y, values, levels=[0.0], colors=[CURVE_EDGE], linewidths=5.0, zorder=4
        )
        ax.contour(
            sample.X, sample.Y, values, levels=[0.0], colors=[CURVE], linewidths=3.0, zorder=4
        )
        del edge
        ax.plot(
            [],
            [],
            color=CURVE,
            linewidth=3,
            path_effects=artists.outlined(CURVE, 3),
            label=f"constraint {pretty(c.left)} = {pretty(c.right)}",
        )
    span = min(xr[1] - xr[0], yr[1] - yr[0])
    seen: set[str] = set()
    shown = [p for p in [*result.points, *result.singular] if _inside(p.values, xr, yr)]
    # One legend entry per kind and value: x² − y² on the circle has two minima of f = −1.
    groups: dict[tuple[str, str], list[ConstrainedPoint]] = {}
    for p in shown:
        key = (p.classification, decimal(p.value.value, 4, typographic=True))
        groups.setdefault(key, []).append(p)
    for (kind, value_text), members in groups.items():
        marker, color, words = KINDS.get(kind, ("o", "#7f7f7f", kind))
        value = members[0].value.value
        if math.isfinite(value):
            level = ax.contour(
                sample.X,
                sample.Y,
                sample.Z,
                levels=[value],
                colors=[color],
                linewidths=2.2,
                linestyles="--",
                zorder=5,
            )
            level.set_path_effects(artists.outlined(color, 2.2))
        where = ", ".join(_point(p) for p in members[:3]) + (" …" if len(members) > 3 else "")
        ax.plot(
            [p.values[0] for p in members],
            [p.values[1] for p in members],
            marker=marker,
            markersize=12,
            color=color,
            markeredgecolor="black",
            markeredgewidth=1.5,
            linestyle="none",
            zorder=9,
            label=f"{words}: f = {value_text} at {where}",
        )
        for p in members:
            if p.multipliers:
                _arrows(ax, compiled, result, p, ARROW_SHARE * span, seen)
    if shown and math.isfinite(shown[0].value.value):
        ax.plot(
            [], [], color="#555555", linestyle="--", linewidth=2.2, label="level of f through it"
        )


def _arrows(
    ax: Axes,
    compiled: Any,
    result: LagrangeResult,
    p: ConstrainedPoint,
    length: float,
    seen: set[str],
) -> None:
    """∇f and ∇g at the point, each scaled to ``length``: they lie on one line (∇f = λ∇g)."""
    from gradcli.symbolic import lambdify

    x = np.asarray(p.values, dtype=float)
    gf = compiled.gradient(x[None])[0]
    c = result.constraints[0]
    grad_g = lambdify(result.fn.variables, [c.expr.diff(v) for v in result.fn.variables])
    gg = np.array([float(np.real(v)) for v in grad_g(*x)])
    for vec, color, name in ((gf, GRAD_F, "∇f"), (gg, GRAD_G, "∇g")):
        norm = float(np.hypot(*vec))
        if not (math.isfinite(norm) and norm > 0):
            continue
        tip = x + vec / norm * length * (1.0 if name == "∇f" else 0.7)
        arrow = ax.annotate(
            "",
            xy=(float(tip[0]), float(tip[1])),
            xytext=(float(x[0]), float(x[1])),
            zorder=8,
            annotation_clip=False,
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "linewidth": 2.6,
                "mutation_scale": 22,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        arrow.arrow_patch.set_path_effects(artists.outlined(color, 2.6))  # type: ignore[union-attr]
        if name not in seen:
            seen.add(name)
            words = "∇f (uphill)" if name == "∇f" else "∇g, normal to the constraint"
            ax.plot(
                [],
                [],
                linestyle="none",
                marker=r"$\rightarrow$",
                markersize=20,
                color=color,
                label=words + ("  —  ∇f = λ∇g: parallel" if name == "∇g" else ""),
            )


def _point(p: ConstrainedPoint) -> str:
    if p.exact is not None:
        return "(" + ", ".join(pretty(c).replace("-", "−") for c in p.exact) + ")"
    return "(" + ", ".join(decimal(v, 3, typographic=True) for v in p.values) + ")"


def _inside(values: Sequence[float], xr: tuple[float, float], yr: tuple[float, float]) -> bool:
    return xr[0] <= values[0] <= xr[1] and yr[0] <= values[1] <= yr[1]
