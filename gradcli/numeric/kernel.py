"""f and ∇f for many points at once, written into preallocated arrays: the in-place twin of a
lambdified ``[f, ∂f/∂x1, ...]`` that a many-run descent evaluates on every step.

A descent of 10,000 runs evaluates f and ∇f on rows of 10,000 numbers hundreds of times; numpy
allocating a fresh array for every intermediate result costs as much as the arithmetic. The
rewrite here takes the code lambdify generated (its common subexpressions already shared by
``cse``) and gives each operation an ``out=`` array, reused once its value is dead.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

Array = np.ndarray[Any, Any]


class Kernel:
    """A lambdified ``[f, ∂f/∂x1, ...]`` rewritten so that every elementwise operation writes into a
    preallocated float array (``numpy.multiply(a, b, out=buf)``) instead of allocating its result:
    a many-run descent evaluates f and ∇f thousands of times on rows of the same length.

    The rewrite keeps every operation, its operands and their order exactly as lambdify printed
    them (only where each result is stored changes), so its numbers are bit-for-bit those of the
    lambdified function; :meth:`matches` checks that on real points before a lane relies on it.
    Anything it does not rewrite (a ``select``, a comparison, gradcli's extra functions) runs as
    lambdify wrote it.
    """

    def __init__(self, func: Callable[..., Any], temporaries: int, outputs: int) -> None:
        self.func = func
        self.temporaries = temporaries
        self.outputs = outputs

    def buffers(self, count: int) -> list[Array]:
        """The scratch arrays for rows of ``count`` points."""
        return [np.empty(count) for _ in range(self.temporaries)]

    def __call__(self, x: Sequence[Array], scratch: list[Array], out: Array) -> None:
        """f and ∇f at the points whose coordinates are the rows ``x``, into the rows of ``out``
        (``(outputs, count)``). A TypeError means some value is not real: use the original."""
        self.func(*x, scratch, out)

    def matches(
        self, original: Callable[..., Any], x: Sequence[Array], scratch: list[Array]
    ) -> bool:
        """Whether the kernel gives exactly the bytes ``original`` gives at the points ``x``
        (float64 results, the same bits, NaN payloads and signed zeros included)."""
        count = len(x[0]) if len(x) else 1
        out = np.empty((self.outputs, count))
        with np.errstate(all="ignore"):
            try:
                self(x, scratch, out)
            except TypeError:
                return False
            expected = original(*x)
        for row, value in zip(out, expected):
            value = np.asarray(value)
            if value.ndim == 0 and value.dtype.kind in "iuf":  # a constant: lanes broadcast it
                value = np.full(count, float(value))
            if value.dtype != np.float64:
                return False
            if np.broadcast_to(value, (count,)).tobytes() != row.tobytes():
                return False
        return True


_PREFIX = "_gk_"  # names the rewrite adds; a function whose code already has one is left alone
_BINARY: dict[type, Any] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
}
if int(np.__version__.split(".")[0]) >= 2:
    # numpy 2's a ** b is power(a, b), fast paths included; numpy 1's array ** 2 or ** 0.5 takes
    # square or sqrt, whose bits power need not give: there a ** b stays as lambdify wrote it
    _BINARY[ast.Pow] = np.power


class _Operand:
    """A value in the rewritten code: its expression, the scratch array holding it (if any), and
    whether it is a float64 array the rewrite made (else a parameter, a scalar or unknown)."""

    __slots__ = ("expr", "kind", "pinned", "slot")

    def __init__(self, expr: ast.expr, kind: str, slot: int | None = None) -> None:
        self.expr = expr
        self.kind = kind  # "float" (a float64 row), "scalar" (no variable in it) or "other"
        self.slot = slot
        self.pinned = False  # referenced by code the rewrite leaves alone: never reused


class _Rewriter:
    def __init__(self, namespace: dict[str, Any], params: list[str], uses: dict[str, int]) -> None:
        self.namespace = namespace
        self.names: dict[str, _Operand] = {
            p: _Operand(ast.Name(p, ast.Load()), "float") for p in params
        }
        self.uses = uses  # remaining reads of each assigned name
        self.free: list[int] = []
        self.slots = 0
        self.ufuncs: dict[str, Any] = {}
        self.code: list[ast.stmt] = []

    # scratch arrays, reused once their value is dead
    def take(self) -> int:
        if self.free:
            return self.free.pop()
        self.slots += 1
        return self.slots - 1

    def release(self, op: _Operand, name: str | None = None) -> None:
        if op.slot is None or op.pinned or (name is not None and self.uses[name] > 0):
            return
        if op.slot not in self.free and op not in self.names.values():
            self.free.append(op.slot)

    def resolve(self, node: ast.expr) -> Any:
        """The object a name or dotted name of the code stands for (never evaluated as text)."""
        if isinstance(node, ast.Name):
            if node.id in self.namespace:
                return self.namespace[node.id]
            return getattr(builtins, node.id, None)
        if isinstance(node, ast.Attribute):
            owner = self.resolve(node.value)
            return getattr(owner, node.attr, None) if owner is not None else None
        return None

    def ufunc(self, func: Any) -> ast.expr:
        name = f"{_PREFIX}u{len(self.ufuncs)}"
        for known, value in self.ufuncs.items():
            if value is func:
                name = known
        self.ufuncs[name] = func
        return ast.Name(name, ast.Load())

    def apply(self, func: Any, args: list[_Operand], target: ast.expr | None) -> _Operand:
        for a in args:
            self.release(a)
        slot = None
        if target is None:
            slot = self.take()
            target = ast.Name(f"{_PREFIX}b{slot}", ast.Load())
        call = ast.Call(self.ufunc(func), [a.expr for a in args], [ast.keyword("out", target)])
        self.code.append(ast.Expr(call))
        return _Operand(target, "float", slot)

    def opaque(self, node: ast.expr, kinds: list[str] | None = None) -> _Operand:
        """Code left as lambdify wrote it, its names replaced by the values they hold. ``kinds``:
        those of operands already rewritten into ``node`` (their scratch arrays are never reused:
        the result may be one of them)."""
        seen: list[str] = list(kinds or [])

        outer = self

        class Swap(ast.NodeTransformer):
            def visit_Name(self, name: ast.Name) -> ast.expr:
                op = outer.names.get(name.id)
                if op is None:
                    return name
                outer.uses[name.id] = outer.uses.get(name.id, 0) - 1
                op.pinned = True
                seen.append(op.kind)
                return op.expr

        expr = Swap().visit(node)
        kind = "scalar" if all(k == "scalar" for k in seen) else "other"
        if kind == "scalar":
            return _Operand(expr, kind)
        name = f"{_PREFIX}v{len(self.code)}"
        self.code.append(ast.Assign([ast.Name(name, ast.Store())], expr))
        return _Operand(ast.Name(name, ast.Load()), kind)

    def emit(self, node: ast.expr, target: ast.expr | None = None) -> _Operand:
        if isinstance(node, ast.Name) and node.id in self.names:
            op = self.names[node.id]
            if node.id in self.uses:
                self.uses[node.id] -= 1
                if self.uses[node.id] == 0 and op.slot is not None and not op.pinned:
                    return _Operand(op.expr, op.kind, op.slot)  # its last read: reusable after
            return _Operand(op.expr, op.kind)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.emit(node.left), self.emit(node.right)
            kinds = {left.kind, right.kind}
            if "other" not in kinds and "float" in kinds:
                return self.apply(_BINARY[type(node.op)], [left, right], target)
            return self.opaque(ast.BinOp(left.expr, node.op, right.expr), [*kinds])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.emit(node.operand)
            if inner.kind == "float":
                return self.apply(np.negative, [inner], target)
            return self.opaque(ast.UnaryOp(node.op, inner.expr), [inner.kind])
        if isinstance(node, ast.Call) and not node.keywords:
            func = self.resolve(node.func)
            simple = not any(isinstance(a, ast.Starred) for a in node.args)
            if (
                isinstance(func, np.ufunc)
                and simple
                and func.nout == 1
                and func.nin == len(node.args)
                and "d" * func.nin + "->d" in func.types  # float64 in, float64 out
            ):
                args = [self.emit(a) for a in node.args]
                kinds = {a.kind for a in args}
                if "other" not in kinds and "float" in kinds:
                    return self.apply(func, args, target)
                call = ast.Call(node.func, [a.expr for a in args], [])
                return self.opaque(call, [*kinds])
        return self.opaque(node)


def build_kernel(func: Callable[..., Any], outputs: int) -> Kernel | None:
    """The in-place :class:`Kernel` of a lambdified list of ``outputs`` expressions, or None where
    its code is not the straight-line ``x0 = ...; return [...]`` lambdify writes."""
    try:
        tree = ast.parse(inspect.getsource(func))
    except (OSError, TypeError, SyntaxError):
        return None
    fdef = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(fdef, ast.FunctionDef) or not fdef.body:
        return None
    params = [a.arg for a in fdef.args.args]
    *steps, last = fdef.body
    if not (
        isinstance(last, ast.Return)
        and isinstance(last.value, (ast.List, ast.Tuple))
        and len(last.value.elts) == outputs
        and all(
            isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
            for s in steps
        )
        and not any(isinstance(n, ast.Name) and n.id.startswith(_PREFIX) for n in ast.walk(fdef))
        and not fdef.args.vararg
        and not fdef.args.kwonlyargs
    ):
        return None
    uses: dict[str, int] = {}
    for s in steps:
        uses[cast("ast.Name", cast("ast.Assign", s).targets[0]).id] = 0
    for n in ast.walk(fdef):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in uses:
            uses[n.id] += 1
    rewriter = _Rewriter(func.__globals__, params, uses)
    for s in steps:
        assign = cast("ast.Assign", s)
        name = cast("ast.Name", assign.targets[0]).id
        if name in rewriter.names or isinstance(assign.value, ast.Name):
            return None  # a name reassigned or aliased: not lambdify's form
        op = rewriter.emit(assign.value)
        rewriter.names[name] = _Operand(op.expr, op.kind, op.slot)
        if uses[name] == 0:
            rewriter.release(rewriter.names[name])
    out_names = [f"{_PREFIX}o{i}" for i in range(outputs)]
    copy = rewriter.ufunc(np.copyto)
    for i, elt in enumerate(cast("ast.List", last.value).elts):
        target = ast.Name(out_names[i], ast.Load())
        op = rewriter.emit(elt, target)
        if op.expr is not target:
            rewriter.code.append(ast.Expr(ast.Call(copy, [target, op.expr], [])))
    store: list[ast.expr] = [ast.Name(f"{_PREFIX}b{i}", ast.Store()) for i in range(rewriter.slots)]
    prologue: list[ast.stmt] = [
        ast.Assign([ast.Tuple(store, ast.Store())], ast.Name(f"{_PREFIX}scratch", ast.Load())),
        ast.Assign(
            [
                ast.Tuple(
                    [cast("ast.expr", ast.Name(o, ast.Store())) for o in out_names], ast.Store()
                )
            ],
            ast.Name(f"{_PREFIX}out", ast.Load()),
        ),
    ]
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(p) for p in [*params, f"{_PREFIX}scratch", f"{_PREFIX}out"]],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    kernel = ast.FunctionDef(f"{_PREFIX}kernel", arguments, prologue + rewriter.code, [])
    module = ast.fix_missing_locations(ast.Module([kernel], []))
    # The code compiled here is lambdify's own (itself generated by sympy from a parsed, checked
    # expression) with its operations given out= arrays: no text from the user is evaluated.
    namespace = {**func.__globals__, **rewriter.ufuncs}
    exec(compile(module, "<gradcli kernel>", "exec"), namespace)
    return Kernel(namespace[f"{_PREFIX}kernel"], rewriter.slots, outputs)
