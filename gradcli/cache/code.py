"""Numeric code kept in the cache: the source ``lambdify`` wrote for f, ∇f or the Hessian, checked
before it is run again.

The cache is private (0700, ours, each entry hashed), and still an entry is treated as text that
may have been tampered with: :func:`load` runs a stored function only if its syntax tree is of the
shape gradcli's own generated code has — one ``def`` whose body assigns names and returns a list
of arithmetic on its parameters, those names, numbers and calls of functions the caller allows
(numpy's ufuncs and constants). Anything else (an attribute, an import, a keyword, a string, a
call of anything not allowed) is refused, and the full path computes the function afresh. The
text a user typed never gets here: only code printed from gradcli's own parsed expression.
"""

from __future__ import annotations

import ast
import itertools
import linecache
from collections.abc import Callable
from typing import Any

MAX_SOURCE = 400_000  # characters of one stored function (a few hundred variables' Hessian)
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
_counter = itertools.count()


def source_shape(source: str, allowed: Callable[[str], bool]) -> ast.FunctionDef | None:
    """The one ``def`` of ``source`` if it is of generated code's shape, else None.

    ``allowed(name)`` says whether a free name (neither a parameter nor assigned) may be used."""
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
    local = {a.arg for a in args.args}
    *assigns, ret = func.body
    for stmt in assigns:
        if not (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and _arithmetic(stmt.value, local, allowed)
        ):
            return None
        local.add(stmt.targets[0].id)
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, (ast.List, ast.Tuple))):
        return None
    if not all(_arithmetic(e, local, allowed) for e in ret.value.elts):
        return None
    return func


def _arithmetic(node: ast.expr, local: set[str], allowed: Callable[[str], bool]) -> bool:
    """Whether ``node`` is numbers, names and allowed calls joined by arithmetic (iteratively:
    a long sum is a deep tree)."""
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, _ARITHMETIC):
            todo += [n.left, n.right]
        elif isinstance(n, ast.UnaryOp) and isinstance(n.op, _ARITHMETIC):
            todo.append(n.operand)
        elif isinstance(n, ast.Constant):
            if type(n.value) not in (int, float, complex):
                return False
        elif isinstance(n, ast.Name):
            if not isinstance(n.ctx, ast.Load) or not (n.id in local or allowed(n.id)):
                return False
        elif isinstance(n, ast.Call):
            if n.keywords or not isinstance(n.func, ast.Name) or not allowed(n.func.id):
                return False
            if any(isinstance(a, ast.Starred) for a in n.args):
                return False
            todo += n.args
        else:
            return False
    return True


def load(
    source: str, namespace: dict[str, Any], allowed: Callable[[str], bool]
) -> Callable[..., Any] | None:
    """The function ``source`` defines, run in ``namespace`` (its globals, as lambdify's were),
    or None if the source is not of generated code's shape (:func:`source_shape`).

    The source is registered with :mod:`linecache`, as lambdify registers its own, so that the
    rewriters that read a lambdified function's source (``inspect.getsource``) read this one."""
    func = source_shape(source, allowed)
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
