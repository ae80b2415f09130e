"""Fast numeric evaluation of a :class:`Function`, its gradient and Hessian, through ``lambdify``;
Hessian eigenvalues and the one stationary-point classification built on them — and, where f is
not smooth (abs, relu, max, …), the checks that tell a kink from a smooth point and classify it
without a Hessian.

Every evaluator is vectorised: it takes an array of points of shape ``(..., n)`` and returns values of
shape ``(...)``, gradients ``(..., n)`` and Hessians ``(..., n, n)``. Each is lambdified once and
cached, so a descent or a plot never re-derives or re-compiles anything inside its loop.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np

from gradcli.function import Function
from gradcli.symbolic import kink_sites, lambdify

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
    if not any(kink_sites(compiled.fn.expr)):  # the common case: smooth, nothing to look at
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


# --- in place -----------------------------------------------------------------------------------
# What a many-run descent steps with: ``both`` rewritten so that every array operation writes into a
# buffer allocated once (a ufunc's ``out=``), f and ∇f into rows the caller owns. The arithmetic is
# the lambdified code's own, operation for operation and in the same order (``a + b`` on arrays *is*
# ``np.add(a, b)``; ``a**2`` is ``np.square(a)``), so the numbers are bit for bit the same; only the
# allocations go. That matters more than it seems: a 10,000-run temporary is 80 KB, and until glibc
# raises its mmap threshold each one is an mmap, twenty page faults and an munmap (5x the time of
# the arithmetic). Anything the rewrite does not know (a function that is not a plain float ufunc,
# a constant it cannot type) is left as the lambdified code wrote it.
_BINARY = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide"}
_PREFIX = "_ip"  # the generated names; a lambdified function that already uses it is left alone


class _Value(NamedTuple):
    text: str  # how the generated code names it
    kind: str  # "arr": a float64 (R,) array; "num": a real Python/numpy scalar; "any": unknown
    owned: str | None  # the pool buffer holding it, freed once it is consumed


class _Lowering:
    """The body of ``both`` as ufunc calls into pooled buffers (see :func:`in_place`)."""

    def __init__(self, params: list[str], namespace: dict[str, Any]) -> None:
        self.kinds = dict.fromkeys(params, "arr")
        self.namespace = namespace
        self.lines: list[str] = []
        self.free: list[str] = []
        self.pool = 0
        self.bound: dict[str, str] = {}  # a cse name -> the pool buffer it lives in
        self.ufuncs: dict[str, np.ufunc] = {}  # what the code calls, under our own names

    def buffer(self) -> str:
        if self.free:
            return self.free.pop()
        self.pool += 1
        return f"{_PREFIX}{self.pool - 1}"

    def release(self, *values: _Value) -> None:
        for v in values:
            if v.owned is not None:
                self.free.append(v.owned)

    def value(self, node: ast.expr, out: str | None = None) -> _Value:
        """Emit the code computing ``node``; into ``out`` when given and the top is a ufunc."""
        if isinstance(node, ast.Name):
            if node.id in self.kinds:
                return _Value(node.id, self.kinds[node.id], None)
            known = self.namespace.get(node.id)
            real = isinstance(known, (int, float)) and not isinstance(known, bool)
            return _Value(node.id, "num" if real else "any", None)
        if isinstance(node, ast.Constant):
            real = type(node.value) in (int, float)
            return _Value(repr(node.value), "num" if real else "any", None)
        if isinstance(node, ast.BinOp):
            left = self.value(node.left)
            if isinstance(node.op, ast.Pow) and _is_two(node.right) and left.kind == "arr":
                return self.ufunc("square", [left], out)
            right = self.value(node.right)
            kinds = {left.kind, right.kind}
            if type(node.op) in _BINARY and "arr" in kinds and "any" not in kinds:
                return self.ufunc(_BINARY[type(node.op)], [left, right], out)
            op = ast.unparse(ast.BinOp(ast.Name("L"), node.op, ast.Name("R")))[2:-2]
            kind = "arr" if "arr" in kinds and "any" not in kinds else "any"
            if kinds == {"num"}:
                kind = "num"
            return self.opaque(f"({left.text}) {op} ({right.text})", kind, [left, right])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.value(node.operand)
            if inner.kind == "arr":
                return self.ufunc("negative", [inner], out)
            return self.opaque(f"-({inner.text})", inner.kind, [inner])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            fn = self.namespace.get(node.func.id)
            if isinstance(fn, np.ufunc) and fn.nout == 1 and len(node.args) == fn.nin:
                args = [self.value(a) for a in node.args]
                kinds = {a.kind for a in args}
                real = "d" * fn.nin + "->d" in fn.types
                if real and "arr" in kinds and "any" not in kinds:
                    return self.ufunc(fn.__name__, args, out, fn)
                text = f"{node.func.id}({', '.join(a.text for a in args)})"
                return self.opaque(text, "any", args)
        return self.opaque(ast.unparse(node), "any", [])

    def ufunc(
        self, name: str, args: list[_Value], out: str | None, fn: np.ufunc | None = None
    ) -> _Value:
        target = out
        if target is None:  # in place over a temporary it consumes, else a fresh buffer
            owned = [a.owned for a in args if a.owned is not None]
            target = owned[0] if owned else self.buffer()
        self.ufuncs[name] = fn if fn is not None else getattr(np, name)
        texts = ", ".join(_as_float(a.text) for a in args)
        self.lines.append(f"{_PREFIX}_{name}({texts}, {target})")
        self.release(*(a for a in args if a.owned != target))
        return _Value(target, "arr", None if out is not None else target)

    def opaque(self, text: str, kind: str, args: list[_Value]) -> _Value:
        """Python computes it as the lambdified code does (a new object each call)."""
        name = f"{_PREFIX}v{len(self.lines)}"
        self.lines.append(f"{name} = {text}")
        self.release(*args)
        return _Value(name, kind, None)


def _as_float(text: str) -> str:
    """An int literal as the float numpy makes of it next to a float64 array (``4`` → ``4.0``,
    exact up to 2⁵³), which a ufunc takes without converting a Python int each call."""
    if text.isdigit() and int(text) <= 2**53:
        return f"{int(text)}.0"
    return text


def _is_two(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == 2


def _fill(out: Array, value: Any) -> None:
    """An output the rewrite could not write in place: copied in, if the lambdified code would
    have given the same float64 numbers (else the caller steps without the rewrite)."""
    if isinstance(value, np.ndarray) and value.dtype != np.float64:
        raise TypeError("not a float64 array")
    if np.iscomplexobj(value):
        raise TypeError("complex")
    np.copyto(out, value)


def lambdified_def(fn: Callable[..., Any]) -> ast.FunctionDef | None:
    """The syntax tree of a lambdified function's one ``def`` (None when its source is not one):
    what the code rewriters (:func:`in_place`, ``optimize.bounds``) start from."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None
    func = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(func, ast.FunctionDef) or not func.body:
        return None
    return func


@lru_cache(maxsize=32)
def in_place(fn: Callable[..., Any], first: int = 0) -> Callable[[int], Callable[..., None]] | None:
    """For ``fn`` lambdified (with cse) into ``[e0, e1, ...]``: ``make(R)``, which allocates the
    buffers for R points and returns ``evaluate(*coordinates, *outs)`` writing e_i into ``outs[i]``
    (float64 arrays of shape (R,)), bit for bit what ``fn`` returns. None when ``fn``'s code is not
    of the shape lambdify writes. Cached: every batch of a descent steps with the same ``fn``.
    ``first=1``: e1, e2, … only (∇f without f), and nothing that only e0 needs is computed."""
    func = lambdified_def(fn)
    if func is None:
        return None
    args = func.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
        return None
    if any(isinstance(n, ast.Name) and n.id.startswith(_PREFIX) for n in ast.walk(func)):
        return None
    *assigns, ret = func.body
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, (ast.List, ast.Tuple))):
        return None
    outputs = ret.value.elts[first:]
    needed = {n.id for out in outputs for n in ast.walk(out) if isinstance(n, ast.Name)}
    kept = []
    for stmt in reversed(assigns):  # lambdify's cse assigns each name once, before its uses
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else None
        if not isinstance(target, ast.Name) or target.id in needed:
            kept.append(stmt)
            needed |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    assigns = kept[::-1]
    units: list[ast.AST] = [*assigns, *outputs]
    last: dict[str, int] = {}
    try:  # the lowering recurses down the tree: a sum of ~1,000 terms is too deep for it
        for k, unit in enumerate(units):
            for n in ast.walk(unit):
                if isinstance(n, ast.Name):
                    last[n.id] = k
        params = [a.arg for a in args.args]
        low = _Lowering(params, fn.__globals__)
        for k, unit in enumerate(units):
            if k < len(assigns):
                if not (
                    isinstance(unit, ast.Assign)
                    and len(unit.targets) == 1
                    and isinstance(unit.targets[0], ast.Name)
                    and not isinstance(unit.value, ast.Name)
                ):
                    return None
                name = unit.targets[0].id
                v = low.value(unit.value)
                low.lines.append(f"{name} = {v.text}")
                low.kinds[name] = v.kind
                if v.owned is not None:
                    low.bound[name] = v.owned
            else:
                out = f"{_PREFIX}o{k - len(assigns)}"
                v = low.value(cast("ast.expr", unit), out)
                if v.text != out:
                    low.lines.append(f"{_PREFIX}fill({out}, {v.text})")
                    low.release(v)
            for name, buffer in list(low.bound.items()):
                if last.get(name, -1) <= k:  # its last use is behind: its buffer is free
                    low.free.append(buffer)
                    del low.bound[name]
    except RecursionError:
        return None
    outs = [f"{_PREFIX}o{i}" for i in range(len(outputs))]
    pool = [f"    {_PREFIX}{i} = {_PREFIX}empty(R)" for i in range(low.pool)]
    body = [f"        {line}" for line in low.lines] or ["        pass"]
    source = "\n".join(
        [
            f"def {_PREFIX}make(R):",
            *pool,
            f"    def {_PREFIX}evaluate({', '.join([*params, *outs])}):",
            *body,
            f"    return {_PREFIX}evaluate",
        ]
    )
    namespace = {**fn.__globals__, f"{_PREFIX}empty": np.empty, f"{_PREFIX}fill": _fill}
    namespace.update({f"{_PREFIX}_{name}": u for name, u in low.ufuncs.items()})
    # our own generated code from lambdify's printed source, never text a user typed
    exec(compile(source, f"<in-place {func.name}>", "exec"), namespace)
    return cast("Callable[[int], Callable[..., None]]", namespace[f"{_PREFIX}make"])
