"""Fast numeric evaluation of a :class:`Function`, its gradient and Hessian, through ``lambdify``;
Hessian eigenvalues and the one stationary-point classification built on them — and, where f is
not smooth (abs, relu, max, …), the checks that tell a kink from a smooth point and classify it
without a Hessian.

Every evaluator is vectorised: it takes an array of points of shape ``(..., n)`` and returns values of
shape ``(...)``, gradients ``(..., n)`` and Hessians ``(..., n, n)``. Each is lambdified once and
cached, so a descent or a plot never re-derives or re-compiles anything inside its loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from gradcli.function import Function
from gradcli.symbolic import kink_sites, lambdify, sigmoid_arguments

if TYPE_CHECKING:
    import sympy

Array = np.ndarray[Any, Any]


class Compiled:
    """Numeric twins of a function: ``value``, ``gradient`` and ``hessian`` over arrays of points."""

    def __init__(self, fn: Function) -> None:
        self.fn = fn
        self.n = len(fn.variables)

    # Derivatives go through the bounded differentiate, like every symbolic command: a
    # descent or a plot must not grind for minutes on a formula that cannot be differentiated.
    @cached_property
    def gradient_exprs(self) -> list[sympy.Expr]:
        from gradcli.symbolic import differentiate

        return [differentiate(self.fn.expr, v, f"∂f/∂{v.name}") for v in self.fn.variables]

    @cached_property
    def numeric_gradient_exprs(self) -> list[sympy.Expr]:
        """∇f as :attr:`both` computes it: the same derivatives with a number left outside the
        sum it multiplies (:func:`~gradcli.symbolic.differentiate_each`, ``expand=False``), so
        that ``cse`` finds the sums f is made of in ∇f too. Mathematically :attr:`gradient_exprs`;
        never displayed."""
        from gradcli.symbolic import differentiate

        return [
            differentiate(self.fn.expr, v, f"∂f/∂{v.name}", expand=False) for v in self.fn.variables
        ]

    @cached_property
    def hessian_exprs(self) -> list[list[sympy.Expr]]:
        from gradcli.symbolic import differentiate

        g = self.gradient_exprs
        return [[differentiate(gi, v, "the Hessian") for v in self.fn.variables] for gi in g]

    @cached_property
    def _value(self) -> Callable[..., Any]:
        return lambdify(self.fn.variables, [self.fn.expr])

    @cached_property
    def both(self) -> Callable[..., Any]:
        """``[f, ∂f/∂x1, ...]`` in one call, one argument per coordinate (floats or arrays): the
        common subexpressions of f and ∇f computed once (lambdify's ``cse``, over the unexpanded
        derivatives: :attr:`numeric_gradient_exprs`). What a descent steps with, on either lane."""
        return lambdify(self.fn.variables, [self.fn.expr, *self.numeric_gradient_exprs])

    @property
    def value_only(self) -> Callable[..., Any]:
        """``[f]`` in one call (a line search's trial points need no gradient)."""
        return self._value

    @cached_property
    def _gradient(self) -> Callable[..., Any]:
        return lambdify(self.fn.variables, self.gradient_exprs)

    @cached_property
    def _hessian(self) -> Callable[..., Any]:
        flat = [h for row in self.hessian_exprs for h in row]
        return lambdify(self.fn.variables, flat)

    def _call(self, func: Callable[..., Any], points: Array, count: int) -> Array:
        pts = np.asarray(points, dtype=float)
        shape = pts.shape[:-1]
        with np.errstate(all="ignore"):  # overflow and 0/0 become inf/nan; callers judge them
            parts = func(*np.moveaxis(pts, -1, 0))
        # A constant component (d/dx of 2x is 2) comes back as a scalar: broadcast it.
        out = np.empty((*shape, count), dtype=float)
        for i, part in enumerate(parts):
            out[..., i] = np.real_if_close(part) if np.iscomplexobj(part) else part
        return out

    def value(self, points: Array) -> Array:
        """f at each point: ``(..., n) -> (...)``."""
        return self._call(self._value, points, 1)[..., 0]

    def gradient(self, points: Array) -> Array:
        """∇f at each point: ``(..., n) -> (..., n)``."""
        return self._call(self._gradient, points, self.n)

    def hessian(self, points: Array) -> Array:
        """The Hessian at each point: ``(..., n) -> (..., n, n)``."""
        flat = self._call(self._hessian, points, self.n * self.n)
        return flat.reshape((*flat.shape[:-1], self.n, self.n))

    @cached_property
    def kinky(self) -> bool:
        """Whether f has abs, relu, max, min, sign or heaviside in it: where it may not be smooth."""
        return bool(kink_sites(self.fn.expr))

    @cached_property
    def sigmoids(self) -> tuple[int, Callable[..., Any]] | None:
        """The arguments u of f's sigmoids 1/(1 + e^(−u)) (how many, and one evaluator of
        ``[u1, u2, …]``), or None: f has none. How saturated a sigmoid is says why a gradient
        vanished."""
        args = sigmoid_arguments(self.fn.expr)
        return (len(args), lambdify(self.fn.variables, args)) if args else None

    def smoothness(self, point: Sequence[float] | Array) -> int:
        """How often f is differentiable at ``point``: 0 (a kink of f, like |x| at 0), 1 (a kink
        of ∇f, like x·|x| at 0, where the Hessian does not exist) or 2 (f is smooth enough for the
        Hessian test). Cheap when f has no abs, relu, max, min, sign or heaviside in it."""
        variables = self.fn.variables
        if on_kink(variables, self.fn.expr, point) and jumps(variables, self.gradient_exprs, point):
            return 0
        flat = [h for row in self.hessian_exprs for h in row]
        if any(on_kink(variables, g, point) for g in self.gradient_exprs) and jumps(
            variables, flat, point
        ):
            return 1
        return 2


def compile_function(fn: Function) -> Compiled:
    """Numeric evaluators for ``fn``; derivatives are taken and lambdified on first use only."""
    return Compiled(fn)


def eigenvalues(matrix: Sequence[Sequence[float]]) -> tuple[float, ...]:
    """The eigenvalues of a symmetric matrix (a Hessian), ascending."""
    return tuple(float(e) for e in np.linalg.eigvalsh(np.array(matrix, dtype=float)))


def classify(eigenvalues: Sequence[float] | Array, scale: float = 1.0) -> str:
    """minimum / maximum / saddle / degenerate from the Hessian's eigenvalues.

    An eigenvalue counts as zero below 1e-9 × max(1, ``scale``, the largest |eigenvalue|), so the
    verdict does not flip on round-off; a non-finite eigenvalue makes the point degenerate.
    """
    return classify_many(np.asarray(eigenvalues, dtype=float).reshape(1, -1), scale)[0]


def classify_many(eigenvalues: Array, scale: float = 1.0) -> list[str]:
    """:func:`classify` for each row of a ``(k, n)`` array of eigenvalues, at once."""
    ev = np.asarray(eigenvalues, dtype=float)
    with np.errstate(invalid="ignore"):
        zero = 1e-9 * np.maximum(max(1.0, scale), np.max(np.abs(ev), axis=1, keepdims=True))
        positive, negative = ev > zero, ev < -zero
    kinds = np.select(
        [
            ~np.all(np.isfinite(ev), axis=1),
            positive.all(axis=1),
            negative.all(axis=1),
            positive.any(axis=1) & negative.any(axis=1),
        ],
        ["degenerate", "minimum", "maximum", "saddle"],
        "degenerate",
    )
    return cast("list[str]", kinds.tolist())


def classify_points(compiled: Compiled, points: Array, eigenvalues: Array) -> list[str]:
    """:func:`classify_many`, except at points where f is not twice differentiable (a kink of f
    or of ∇f): there the Hessian the evaluators give (δ = 0) says nothing, and f is compared with
    its values around the point instead (:func:`neighbourhood_kind`)."""
    kinds = classify_many(eigenvalues)
    if not compiled.kinky:  # the common case: smooth, nothing to look at
        return kinds
    for i, point in enumerate(np.asarray(points, dtype=float).reshape(-1, compiled.n)):
        if compiled.smoothness(point) < 2:
            kinds[i] = neighbourhood_kind(compiled.fn.variables, compiled.fn.expr, point)
    return kinds


# --- kinks --------------------------------------------------------------------------------------
KINK_TOLERANCE = 1e-12  # |u| below this × max(1, |point|) is u = 0: a float cannot place it closer
SIDE_STEP = 1e-6  # sample radius around a kink (× max(1, |point|)), and 1/100 of it
JUMP_SHARE = 0.5  # a spread that does not shrink with the radius is a jump, not a slope
NEIGHBOURHOOD_RADII = (1e-2, 1e-3, 1e-4)  # × max(1, |point|): where f is compared with f(point)


@lru_cache(maxsize=8)
def _directions(n: int) -> Array:
    """Fixed unit directions around a point: ± each axis, and 24 more spread over the sphere
    (from a fixed seed) so that a kink along any line through the point has samples on both sides."""
    axes = np.vstack([np.eye(n), -np.eye(n)])
    more = np.random.default_rng(0).normal(size=(24, n))
    more /= np.linalg.norm(more, axis=1, keepdims=True)
    return np.vstack([axes, more])


@lru_cache(maxsize=256)
def _compiled(variables: tuple[Any, ...], exprs: tuple[Any, ...]) -> Callable[..., Any]:
    return lambdify(variables, list(exprs))


def _values(variables: Sequence[Any], exprs: Sequence[Any], points: Array) -> Array:
    """Each of ``exprs`` at each point: ``(k, n) -> (k, len(exprs))``."""
    func = _compiled(tuple(variables), tuple(exprs))
    out = np.empty((len(points), len(exprs)), dtype=float)
    with np.errstate(all="ignore"):
        parts = func(*points.T)
    for i, part in enumerate(parts):
        out[:, i] = np.real(part) if np.iscomplexobj(part) else part
    return out


def on_kink(variables: Sequence[Any], expr: Any, point: Sequence[float] | Array) -> bool:
    """Whether an argument of abs, relu, sign, heaviside or δ in ``expr`` is 0 at the point, or
    two arguments of a max or min tie there (within :data:`KINK_TOLERANCE`)."""
    sites = kink_sites(expr)
    if not sites:
        return False
    p = np.asarray(point, dtype=float).reshape(1, -1)
    u = _values(variables, [site[2] for site in sites], p)[0]
    scale = max(1.0, float(np.max(np.abs(p)))) if p.size else 1.0
    return bool(np.any(np.abs(u) <= KINK_TOLERANCE * scale))


def jumps(variables: Sequence[Any], exprs: Sequence[Any], point: Sequence[float] | Array) -> bool:
    """Whether ``exprs`` (a derivative) take different values on different sides of the point —
    so the function they are the derivative of has a kink there.

    The spread of the samples around the point is measured at two radii: a smooth derivative's
    spread shrinks with the radius, a jump's does not.
    """
    p = np.asarray(point, dtype=float)
    if not len(exprs):
        return False
    scale = max(1.0, float(np.max(np.abs(p)))) if p.size else 1.0
    dirs = _directions(len(p))
    spreads = []
    for radius in (SIDE_STEP * scale, SIDE_STEP * scale / 100):
        values = _values(variables, exprs, p + radius * dirs)
        values = values[np.all(np.isfinite(values), axis=1)]
        if len(values) < 2:
            return False
        size = 1.0 + float(np.max(np.abs(values)))
        spreads.append((float(np.max(np.ptp(values, axis=0))), size))
    (wide, _), (narrow, size) = spreads
    return narrow > 1e-8 * size and narrow > JUMP_SHARE * wide


def neighbourhood_kind(variables: Sequence[Any], expr: Any, point: Sequence[float] | Array) -> str:
    """minimum / maximum / saddle / unclassified from f around the point, where the Hessian test
    cannot be used: f at three radii in each of :func:`_directions` compared with f(point).

    A minimum: f is nowhere lower and somewhere higher (|x| + y² at 0, relu at 0); a maximum the
    reverse; a saddle: both higher and lower (|x| − |y|); unclassified: no difference seen.
    """
    p = np.asarray(point, dtype=float)
    scale = max(1.0, float(np.max(np.abs(p)))) if p.size else 1.0
    dirs = _directions(len(p))
    around = np.vstack([p + r * scale * dirs for r in NEIGHBOURHOOD_RADII])
    values = _values(variables, [expr], np.vstack([p.reshape(1, -1), around]))[:, 0]
    if not np.all(np.isfinite(values)):
        return "unclassified"
    diffs = values[1:] - values[0]
    noise = 1e-12 * max(1.0, abs(float(values[0])))
    higher, lower = bool(np.any(diffs > noise)), bool(np.any(diffs < -noise))
    if higher and lower:
        return "saddle"
    if higher:
        return "minimum"
    if lower:
        return "maximum"
    return "unclassified"
