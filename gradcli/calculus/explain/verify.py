"""Checking the rules' derivative against sympy's: the same tree, equal values, or simplify.

The explainer always ends at sympy's derivative; :func:`agree` decides whether the form its rules
assembled was shown equal to it (exact mpmath values at random real points, then a small
``simplify``), so the explanation can say honestly when it could not confirm its own algebra.

The check is bounded in time and memory like every other symbolic step. mpmath has no largest
number: x^x^x^x^x at x = 3 is 3^(3^(7.6·10¹²)), and computing it would need terabytes (issue 10: the
explainer of that tower grew to 3.3 GB). So expressions are evaluated node by node, and a point is
given up as soon as any intermediate value leaves [10⁻³⁰⁰, 10³⁰⁰] (zero aside) — every operation then
works on numbers of a few hundred digits. Large expressions, and a check that runs out of time, get
no verdict (None) rather than a long wait.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy

from gradcli.limits import bounded, work_clock

_SAMPLE_RANGES = ((0.1, 0.95), (1.05, 3.0), (-0.95, -0.1), (-3.0, -1.05))
MAX_NODES = 6000  # distinct subexpressions of both forms: beyond this, no numeric check
VERIFY_SECONDS = 3.0  # the whole check, numeric and symbolic
SIMPLIFY_OPS = 80  # simplify only small differences: it can take minutes on a large one
_LARGEST = mpmath.mpf(10) ** 300


def bounded_value(expr: Any, symbols: Sequence[Any], point: Sequence[float]) -> complex | None:
    """``expr`` at ``point`` to 30 digits, node by node with every intermediate value inside
    [10⁻¹⁰⁰⁰⁰, 10¹⁰⁰⁰⁰] (zero aside); None where that fails or a value is undefined. Exact where
    floats overflow (a coefficient of 10³²⁰), and never the terabytes of 3^3^3^3^3."""
    evaluator = _Evaluator(symbols, bound=mpmath.mpf(10) ** 10000)
    with mpmath.workdps(30):
        values = evaluator.at([mpmath.mpf(v) for v in point], [expr], None)
    return None if values is None else values[0][0]


class _Unusable(Exception):
    """The point cannot be used: a value there is undefined, infinite or out of bounds."""


def agree(
    a: Any, b: Any, symbols: Sequence[Any], domain: Any = None, *, seconds: float = VERIFY_SECONDS
) -> bool | None:
    """Whether two derivatives of ``domain`` are equal: structurally, else numerically.

    Real points are drawn from a few ranges (inside and outside [−1, 1], either sign) so domains like
    those of asin, acosh and log all get samples. A point counts only where every subexpression of
    ``domain`` is real and finite — the rules use real-variable facts such as |u|′ = sign(u)·u′,
    which say nothing where u is complex — and where both sides are defined. None means no usable
    point was found and a small ``simplify`` could not decide (or the check ran out of time).
    """
    if a == b:
        return True
    diff = a - b
    if diff == 0:
        return True
    deadline = work_clock() + seconds
    syms = sorted(
        set(symbols) | a.free_symbols | b.free_symbols | (domain.free_symbols if domain else set()),
        key=lambda s: s.name,
    )
    evaluator = _Evaluator(syms)
    roots = [a, b] + ([domain] if domain is not None else [])
    if evaluator.size(roots) <= MAX_NODES:
        verdict = _numeric(evaluator, a, b, domain, deadline)
        if verdict is not None:
            return verdict
    remaining = deadline - work_clock()
    if remaining <= 0 or sympy.count_ops(diff) > SIMPLIFY_OPS:
        return None

    def simplified() -> bool | None:
        try:
            return True if sympy.simplify(diff) == 0 else None
        except Exception:  # a symbolic failure is not a verdict
            return None

    return bounded(remaining, simplified, None)


def _numeric(evaluator: _Evaluator, a: Any, b: Any, domain: Any, deadline: float) -> bool | None:
    rng = random.Random(20240517)
    points = [
        [mpmath.mpf(rng.uniform(*rng.choice(_SAMPLE_RANGES))) for _ in evaluator.symbols]
        for _ in range(64)
    ]
    agreed = 0
    real_somewhere = False
    with mpmath.workdps(30):
        for point in points:
            if work_clock() > deadline:
                return None
            values = evaluator.at(point, [a, b], domain)
            if values is None:
                continue
            (va, vb), real = values
            if not real:
                continue
            real_somewhere = True
            if not (_real(va) and _real(vb)):
                continue
            if abs(va - vb) > 1e-12 * max(1.0, abs(va), abs(vb)):
                return False
            agreed += 1
            if agreed >= 8:
                return True
        if agreed >= 2:
            return True
        if not real_somewhere:
            # Real nowhere we looked (e.g. ln of something never positive): compare the two forms
            # as the complex formulas they are. A mismatch there proves nothing (the real-variable
            # rules need not hold off the real domain), so it is no verdict.
            for point in points:
                if work_clock() > deadline:
                    return None
                values = evaluator.at(point, [a, b], None)
                if values is None:
                    continue
                (ca, cb), _ = values
                if abs(ca - cb) > 1e-12 * max(1.0, abs(ca), abs(cb)):
                    return None
                agreed += 1
            if agreed >= 2:
                return True
    return None


def _real(v: complex) -> bool:
    return abs(v.imag) <= 1e-15 * max(1.0, abs(v.real))


class _Evaluator:
    """Exact (30-digit) values of sympy expressions at points, one tree node at a time.

    Each kind of node is compiled once (``lambdify`` of the node's function around placeholders,
    with its number arguments kept in place), and every node's value is checked before it is
    used, so no step ever works on a number beyond 10³⁰⁰ — see the module docstring. Constant
    subtrees such as exp(exp(exp(100))) go node by node too.
    """

    def __init__(self, symbols: Sequence[Any], bound: Any = _LARGEST) -> None:
        self.symbols = list(symbols)
        self.largest, self.smallest = bound, 1 / bound
        self._compiled: dict[Any, Callable[..., Any]] = {}
        self._domain: tuple[Any, list[Any]] | None = None

    @staticmethod
    def nodes(roots: Sequence[Any], limit: int | None = None) -> list[Any]:
        """The distinct nodes under ``roots`` (the first ``limit`` + 1 of them, if given)."""
        seen: dict[Any, None] = {}
        stack = list(roots)
        while stack and (limit is None or len(seen) <= limit):
            node = stack.pop()
            if node in seen:
                continue
            seen[node] = None
            stack.extend(node.args)
        return list(seen)

    def size(self, roots: Sequence[Any]) -> int:
        """The number of distinct nodes under ``roots`` (counting stops past MAX_NODES)."""
        return len(self.nodes(roots, MAX_NODES))

    def at(
        self, point: Sequence[Any], exprs: Sequence[Any], domain: Any
    ) -> tuple[list[complex], bool] | None:
        """(the values of ``exprs``, whether every node of ``domain`` is real) at ``point``, or
        None where some value is undefined, not finite or out of bounds."""
        memo: dict[Any, Any] = dict(zip(self.symbols, point))
        try:
            values = [complex(self._value(e, memo)) for e in exprs]
            if domain is None:
                return values, True
            self._value(domain, memo)
        except _Unusable:
            return None
        if self._domain is None or self._domain[0] != domain:
            self._domain = (domain, [n for n in self.nodes([domain]) if _moving(n)])
        real = all(_real(complex(memo[node])) for node in self._domain[1] if node in memo)
        return values, real

    def _value(self, expr: Any, memo: dict[Any, Any]) -> Any:
        stack: list[tuple[Any, bool]] = [(expr, False)]
        while stack:
            node, ready = stack.pop()
            if node in memo:
                continue
            if node.is_Symbol:
                raise _Unusable  # a name without a value (cannot happen for a derivative)
            args = [a for a in node.args if _moving(a)]
            if ready or not args:
                memo[node] = self._node(node, args, memo)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in args if arg not in memo)
        return memo[expr]

    def _node(self, node: Any, moving: list[Any], memo: dict[Any, Any]) -> Any:
        key = (node.func, tuple(None if _moving(a) else a for a in node.args)) if moving else node
        f = self._compiled.get(key)
        if f is None:
            f = self._compile(node, len(moving))
            self._compiled[key] = f
        try:
            value = mpmath.mpmathify(f(*(memo[a] for a in moving)))
        except Exception:  # undefined, not real where a real is needed, or no number: unusable
            raise _Unusable from None
        magnitude = abs(value)
        if not mpmath.isfinite(magnitude) or (
            magnitude != 0 and not self.smallest <= magnitude <= self.largest
        ):
            raise _Unusable
        return value

    def _compile(self, node: Any, count: int) -> Callable[..., Any]:
        from gradcli.symbolic import lambdify

        holders = [sympy.Dummy() for _ in range(count)]
        it = iter(holders)
        args = [next(it) if _moving(a) else a for a in node.args]
        try:
            template = node.func(*args) if args else node
            return lambdify(holders, template, "mpmath")
        except Exception:  # a node sympy will not rebuild or print: points through it are unusable
            return _raise


def _moving(node: Any) -> bool:
    """Whether a node is evaluated on its own: everything but the numbers (and pi, e, i) at leaves."""
    return not node.is_Atom or bool(node.is_Symbol)


def _raise(*args: Any) -> Any:
    raise _Unusable
