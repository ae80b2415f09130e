"""Bounds, known before a step is taken, on how large f and ∇f can be — what lets a coast take a
block of gd steps without evaluating f or checking anything (:mod:`.coast`).

A run stops at step t when f, ‖∇f‖² or some x_i is not finite or beyond the bounds. To skip f and
every check at step t, the coast must know, without looking, that none of those can happen. For
code made of nothing but +, −, ×, division by a constant and whole powers (polynomials: Himmelblau,
Rosenbrock, sums of squares) that follows from |x_i| ≤ X alone: evaluate the same code with every
constant replaced by its magnitude, every variable by X and every − by + (the *magnitude code*);
each of its values bounds the magnitude of the matching value the real code computes anywhere in
the box, rounding included — every operation of the magnitude code is widened by :data:`WIDEN`,
far more than the relative error of the real operation (half an ulp; a few for a power) plus that
of the bound's own arithmetic. All values finite and below the bounds: no inf, so no nan either
(+, −, × and whole powers of finite numbers give nan only through inf).

A block then goes: X₀ = the largest |x_i| over every run now (two reductions); while f and ∇f's
bounds F(X_j), G(X_j) and X_j are within the stopping bounds, step j is safe, and since
x_{j+1} = x_j − lr·g_j, X_{j+1} = (X_j + lr·G(X_j))·WIDEN bounds the next point. The bounds grow
fast (a cubic ∇f squares-and-more each step), so blocks are a few steps long (about five on
Himmelblau at lr 0.01 from |x| ≤ 5); each costs the two reductions and a few microseconds of
Python, instead of f and a check at every step. Anything else in the code (a division by a
variable, exp, sin, a fractional power): no bound, and the coast checks every step as before.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

from gradcli.in_place import lambdified_def

WIDEN = 1 + 1e-9  # per operation: ≥ (1 + 64 ulps) covers a power up to MAX_POWER and the rounding
MAX_POWER = 64  # of the bound's own arithmetic many times over; the stopping bounds are 1e150
_PREFIX = "_mb"  # the generated names


def _text(node: ast.expr, params: set[str], assigned: set[str], namespace: dict[str, Any]) -> str:
    """The magnitude code of ``node`` (raises ValueError where there is none)."""

    def rec(n: ast.expr) -> str:
        return _text(n, params, assigned, namespace)

    if isinstance(node, ast.Name):
        if node.id in params:
            return f"{_PREFIX}X"
        if node.id in assigned:
            return f"{_PREFIX}_{node.id}"
        known = namespace.get(node.id)  # pi, E …: a number in the lambdified namespace
        if isinstance(known, (int, float)) and not isinstance(known, bool):
            return repr(abs(float(known)))
        raise ValueError(node.id)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return repr(abs(float(cast("float", node.value))))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return rec(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        # a chain a ± b ± c … (or a·b·c …) at once: flat text, however long the sum (Python's
        # parser refuses 200 nested parentheses), widened once per operation in it
        sums = not isinstance(node.op, ast.Mult)
        terms = []
        while isinstance(node, ast.BinOp) and (
            isinstance(node.op, (ast.Add, ast.Sub)) if sums else isinstance(node.op, ast.Mult)
        ):
            terms.append(node.right)
            node = node.left
        terms.append(node)
        joined = (" + " if sums else " * ").join(rec(t) for t in reversed(terms))
        return f"{_PREFIX}w ** {len(terms) - 1} * ({joined})"
    if isinstance(node, ast.BinOp):
        left = rec(node.left)
        value = node.right.value if isinstance(node.right, ast.Constant) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(ast.dump(node))
        if isinstance(node.op, ast.Div) and value != 0:
            return f"{_PREFIX}w * ({left} / {abs(float(value))!r})"
        if isinstance(node.op, ast.Pow) and value == int(value) and 0 <= value <= MAX_POWER:
            return f"{_PREFIX}w * ({left} ** {int(value)})"
    raise ValueError(ast.dump(node))


@lru_cache(maxsize=32)
def magnitude_bound(fn: Callable[..., Any]) -> Callable[[float], tuple[float, float]] | None:
    """For ``fn`` lambdified into ``[f, ∂f/∂x1, …]``: ``bound(X)`` = (F, G) with |f| ≤ F and
    Σ|∂f/∂x_i| ≤ G, as computed in floating point, at every point whose coordinates are all at most
    X in magnitude (inf or nan: no bound). None when the code is not of the kind bounded here."""
    func = lambdified_def(fn)
    if func is None:
        return None
    *assigns, ret = func.body
    if not (isinstance(ret, ast.Return) and isinstance(ret.value, (ast.List, ast.Tuple))):
        return None
    params = {a.arg for a in func.args.args}
    assigned: set[str] = set()
    lines = []
    try:
        for unit in assigns:
            if not (
                isinstance(unit, ast.Assign)
                and len(unit.targets) == 1
                and isinstance(unit.targets[0], ast.Name)
            ):
                return None
            text = _text(unit.value, params, assigned, fn.__globals__)
            name = unit.targets[0].id
            assigned.add(name)
            lines.append(f"    {_PREFIX}_{name} = {text}")
        outs = [_text(e, params, assigned, fn.__globals__) for e in ret.value.elts]
    except (ValueError, OverflowError, RecursionError):  # (Recursion: a sum of ~1,000 terms)
        return None
    if len(outs) < 2:
        return None
    source = "\n".join(
        [
            f"def {_PREFIX}bound({_PREFIX}X):",
            *lines,
            # Σ|∂f/∂x_i| bounds each |∂f/∂x_i| and ‖∇f‖ alike; a sum, unlike max, keeps a nan
            f"    return ({outs[0]}, sum([{', '.join(outs[1:])}]))",
        ]
    )
    namespace: dict[str, Any] = {f"{_PREFIX}w": WIDEN}
    try:  # our own code, generated from lambdify's printed source: names and numbers only
        exec(compile(source, f"<magnitude {func.name}>", "exec"), namespace)
    except (SyntaxError, RecursionError, MemoryError):  # too deep for Python's compiler
        return None
    raw = cast("Callable[[float], tuple[float, float]]", namespace[f"{_PREFIX}bound"])

    def bound(x: float) -> tuple[float, float]:
        try:
            return raw(x)
        except OverflowError:  # a float ** past 1e308 raises instead of giving inf
            return math.inf, math.inf

    return bound
