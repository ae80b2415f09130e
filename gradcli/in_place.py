"""Lambdified code rewritten to evaluate in place: what a many-run descent steps with.

``in_place`` turns ``both`` (f and ∇f, lambdified with cse) into code whose every array operation
writes into a buffer allocated once; ``lambdified_def`` is the syntax tree every rewriter of
lambdified code (this one, ``optimize.bounds``) starts from.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple, cast

import numpy as np

Array = np.ndarray[Any, Any]


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
