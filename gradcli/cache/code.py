"""Numeric code kept in the cache: the source ``lambdify`` wrote for f, ∇f or the Hessian, checked
before it is run again.

The cache is private (0700, ours, each entry hashed), and still an entry is treated as text that
may have been tampered with: :func:`load` runs a stored function only if its syntax tree is of the
shape gradcli's own generated code has — one ``def`` taking as many arguments as f has variables,
whose body assigns names and returns as many values as the evaluator has outputs, all arithmetic
on its parameters, those names, numbers and calls of functions the caller allows (numpy's ufuncs,
with exactly their number of inputs, and constants), and no integer computed from constants alone
past :data:`MAX_CONSTANT_BITS`. Anything else (an attribute, an import, a keyword, a string, a call
of anything not allowed, 9**9**9) is refused, and the full path computes the function afresh. The
text a user typed never gets here: only code printed from gradcli's own parsed expression.
"""

from __future__ import annotations

import ast
import itertools
import linecache
from collections.abc import Callable
from typing import Any

MAX_SOURCE = 400_000  # characters of one stored function (a few hundred variables' Hessian)
# Bits a number computed from constants alone may have: generated code folds its constants (2**(1/3),
# 1/3), so this is generous; what it stops is 9**9**9 or a chain of squarings, exact integer
# arithmetic that would run for hours. Anything computed from an argument is a float (or a float
# array): its time is bounded whatever its value.
MAX_CONSTANT_BITS = 4096
FLOAT = -1  # the kind of a value that is not a Python int: bounded arithmetic
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
_counter = itertools.count()

# allowed(name): None (not allowed), 0 (a constant: used as a value) or k ≥ 1 (a function of k
# arguments, called with exactly k: a numpy ufunc's nin, so no ``out`` can be passed).
Allowed = Callable[[str], "int | None"]


def source_shape(
    source: str, allowed: Allowed, *, params: int | None = None, outputs: int | None = None
) -> ast.FunctionDef | None:
    """The one ``def`` of ``source`` if it is of generated code's shape, else None.

    ``allowed`` says which free names (neither a parameter nor assigned) may be used, and how;
    ``params`` and ``outputs``, when given, are how many arguments the def must take and how many
    values it must return (a stored evaluator must fit the function it is recalled for)."""
    if not isinstance(source, str) or len(source) > MAX_SOURCE:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    func = tree.body[0]
    args = func.args
    if func.decorator_list or func.returns or args.vararg or args.kwarg or args.kwonlyargs:
        return None
    if args.defaults or args.posonlyargs or any(a.annotation for a in args.args):
        return None
    if params is not None and len(args.args) != params:
        return None
    kinds = {a.arg: FLOAT for a in args.args}  # every argument is a float or a float array
    *assigns, ret = func.body
    for stmt in assigns:
        if not (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            return None
        kind = _kind(stmt.value, kinds, allowed)
        if kind is None:
            return None
        kinds[stmt.targets[0].id] = kind
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, (ast.List, ast.Tuple))):
        return None
    if outputs is not None and len(ret.value.elts) != outputs:
        return None
    if any(_kind(e, kinds, allowed) is None for e in ret.value.elts):
        return None
    return func


def _kind(node: ast.expr, kinds: dict[str, int], allowed: Allowed) -> int | None:
    """None unless ``node`` is numbers, names and allowed calls joined by arithmetic; else
    :data:`FLOAT`, or for a Python int made of constants alone, how many bits it may have (kept
    under :data:`MAX_CONSTANT_BITS`). Iterative, in post-order: a long sum is a deep tree."""
    done: dict[int, int] = {}
    todo: list[tuple[ast.expr, bool]] = [(node, False)]
    while todo:
        n, ready = todo.pop()
        children = _children(n)
        if children is None:
            return None
        if not ready:
            todo.append((n, True))
            todo += [(c, False) for c in children]
            continue
        kind = _combine(n, [done[id(c)] for c in children], kinds, allowed)
        if kind is None:
            return None
        done[id(n)] = kind
    return done[id(node)]


def _children(n: ast.expr) -> list[ast.expr] | None:
    """The operands of an allowed node, or None for a node of any other type."""
    if isinstance(n, ast.BinOp) and isinstance(n.op, _ARITHMETIC):
        return [n.left, n.right]
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, _ARITHMETIC):
        return [n.operand]
    if isinstance(n, ast.Call):
        if n.keywords or not isinstance(n.func, ast.Name):
            return None
        if any(isinstance(a, ast.Starred) for a in n.args):
            return None
        return list(n.args)
    if isinstance(n, (ast.Constant, ast.Name)):
        return []
    return None


def _combine(n: ast.expr, parts: list[int], kinds: dict[str, int], allowed: Allowed) -> int | None:
    """The kind of ``n`` from its operands' kinds (see :func:`_kind`)."""
    if isinstance(n, ast.Constant):
        if type(n.value) is int:
            return _bits(n.value.bit_length())
        return FLOAT if type(n.value) in (float, complex) else None
    if isinstance(n, ast.Name):
        if not isinstance(n.ctx, ast.Load):
            return None
        if n.id in kinds:
            return kinds[n.id]
        return FLOAT if allowed(n.id) == 0 else None
    if isinstance(n, ast.Call):
        assert isinstance(n.func, ast.Name)
        if allowed(n.func.id) != len(n.args) or not n.args:
            return None
        # numpy turns an int past 64 bits into an object array, computed with Python ints
        return FLOAT if all(k == FLOAT or k < 64 for k in parts) else None
    if isinstance(n, ast.UnaryOp):
        return parts[0]
    assert isinstance(n, ast.BinOp)
    left, right = parts
    if left == FLOAT or right == FLOAT or isinstance(n.op, ast.Div):
        return FLOAT
    if isinstance(n.op, (ast.Add, ast.Sub)):
        return _bits(max(left, right) + 1)
    if isinstance(n.op, ast.Mult):
        return _bits(left + right)
    # an int to an int power: a negative exponent gives a float; a positive one up to 2**right
    if right >= 32:
        return None
    return _bits(max(left, 1) << right)


def _bits(bits: int) -> int | None:
    return bits if bits <= MAX_CONSTANT_BITS else None


def load(
    source: str,
    namespace: dict[str, Any],
    allowed: Allowed,
    *,
    params: int | None = None,
    outputs: int | None = None,
) -> Callable[..., Any] | None:
    """The function ``source`` defines, run in ``namespace`` (its globals, as lambdify's were),
    or None if the source is not of generated code's shape, or does not take ``params`` arguments
    and return ``outputs`` values (:func:`source_shape`).

    The source is registered with :mod:`linecache`, as lambdify registers its own, so that the
    rewriters that read a lambdified function's source (``inspect.getsource``) read this one."""
    func = source_shape(source, allowed, params=params, outputs=outputs)
    if func is None:
        return None
    filename = f"<gradcli-recalled-{next(_counter)}>"
    try:
        code = compile(ast.Module(body=[func], type_ignores=[]), filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    found: dict[str, Any] = {}
    # checked above: gradcli's generated arithmetic over allowed names only
    exec(code, namespace, found)
    made = found.get(func.name)
    return made if callable(made) else None
