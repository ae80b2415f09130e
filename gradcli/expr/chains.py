"""Chains of + and - (or * and /): ``t0 + t1 - t2 + …`` built by one call of sympy's Add (or Mul).

Python parses a sum of n terms as n - 1 nested additions; building them one at a time makes sympy
re-sort an ever longer sum at every step, quadratic in its length (a 1,000-variable sum of squares
took seconds). :class:`Chain` keeps every check of the nested order and combines the terms at once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class Built:
    """A built subexpression and, for a constant, its approximate value (see expr.magnitude)."""

    expr: Any
    approx: Any = None  # the approximate value of a constant (expr.magnitude); None if not constant

    @property
    def constant(self) -> bool:
        return self.approx is not None


NEW, STEP, DONE = 0, 1, 2  # a node to build; a chain's next operator; a node whose parts are built
_SUM, _PRODUCT = "sum", "product"
_GROUPS: dict[type, str] = {ast.Add: _SUM, ast.Sub: _SUM, ast.Mult: _PRODUCT, ast.Div: _PRODUCT}


def chain_group(node: ast.AST) -> str | None:
    return _GROUPS.get(type(node.op)) if isinstance(node, ast.BinOp) else None


class _Steps(Protocol):
    """What a chain needs from the builder: its checks and its one-operator arithmetic."""

    def refuse_zero_divisor(self, node: ast.BinOp, b: Built) -> None: ...

    def binop(self, node: ast.BinOp, a: Built, b: Built) -> Built: ...

    def exact_digits(self, node: ast.AST, built: Built) -> Built: ...


class Chain:
    """``t0 ± t1 ± … ± tk`` (or ``t0 */ t1 */ …``): the left spine of one operator group.

    Python nests it as ((t0 ± t1) ± t2) ± …; building it that way calls sympy once per operator on
    an ever longer sum. Here each operator is still checked in that order, with the same operands
    (a zero divisor; and while the partial result is a constant, the magnitude guard and sympy's
    exact arithmetic, exactly as before), but once the partial result holds a variable — and no
    guard applies to it any more — the remaining terms are only collected, and one ``Add`` (or
    ``Mul``) combines them. sympy's Add and Mul are canonical, so the result is the same
    expression — except in products where numbers meet (see :func:`_nested_order_matters`),
    which keep the nested order.
    """

    def __init__(self, root: ast.BinOp) -> None:
        group = chain_group(root)
        nodes: list[ast.BinOp] = []
        left: ast.AST = root
        while isinstance(left, ast.BinOp) and chain_group(left) == group:
            nodes.append(left)
            left = left.left
        nodes.reverse()
        self.group = group
        self.nodes = nodes  # the operators, innermost first: nodes[k] joins t0…tk and t(k+1)
        self.operands: list[ast.AST] = [left, *(n.right for n in nodes)]
        self.steps = 0
        self.running: Built | None = None  # t0 ⊕ … ⊕ tk, while it is a constant
        self.tail: list[tuple[ast.operator, Any]] = []  # the operators and terms after that

    def step(self, builder: _Steps, first: Built | None, b: Built) -> None:
        if first is not None:
            self.running = first
        node = self.nodes[self.steps]
        self.steps += 1
        builder.refuse_zero_divisor(node, b)
        assert self.running is not None
        if self.running.constant and not self.tail:
            self.running = builder.exact_digits(node, builder.binop(node, self.running, b))
        else:
            self.tail.append((node.op, b.expr))

    def result(self) -> Built:
        import sympy

        assert self.running is not None
        if not self.tail:
            return self.running
        head = self.running.expr
        if self.group == _SUM:
            terms = [term if isinstance(op, ast.Add) else -term for op, term in self.tail]
            return Built(sympy.Add(head, *terms))
        factors = [f if isinstance(op, ast.Mult) else sympy.Pow(f, -1) for op, f in self.tail]
        if _nested_order_matters([head, *factors]):
            for op, factor in self.tail:
                head = head * factor if isinstance(op, ast.Mult) else head / factor
            return Built(head)
        return Built(sympy.Mul(head, *factors))


def _nested_order_matters(factors: list[Any]) -> bool:
    """Whether multiplying ``factors`` one at a time may give another form than one Mul of all.

    Two cases, both about numbers: sympy distributes a number over a sum when exactly those two
    meet (``2*(x + y)``), and it merges roots of numbers pairwise as they meet (2^(1/3)·3^(1/3) is
    6^(1/3), then ·3^(1/3) gives 18^(1/3), while all at once give 2^(1/3)·3^(2/3)).
    """
    import sympy

    roots = 0
    for factor in factors:
        if factor.is_Add or factor.as_coeff_Mul()[1].is_Add:
            return True
        for part in sympy.Mul.make_args(factor):
            root = part.is_Pow and part.base.is_number and not part.exp.is_Integer
            if root or part is sympy.I:
                roots += 1
    return roots > 1
