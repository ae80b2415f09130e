"""Chains of + and - (or * and /): ``t0 + t1 - t2 + …`` built by one call of sympy's Add (or Mul).

Python parses a sum of n terms as n - 1 nested additions; building them one at a time makes sympy
re-sort an ever longer sum at every step, quadratic in its length (a 1,000-variable sum of squares
took seconds). :class:`Chain` keeps every check of the nested order and combines the terms at once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol


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
        # What the factors from k on hold (see _nested_order_matters), gathered from the right.
        after = [_NOTHING] * (len(factors) + 1)
        for k in range(len(factors) - 1, -1, -1):
            after[k] = _joined(_numbers_in(factors[k]), after[k + 1])
        for k, (op, factor) in enumerate(self.tail):
            held = _joined(_numbers_in(head), after[k])
            if not _nested_order_matters(held) or (
                held.roots <= 1 and not held.inverses and _settled(head)
            ):
                return Built(sympy.Mul(head, *factors[k:]))
            # multiply this one in the nested order; the rest may be safe to take at once
            head = head * factor if isinstance(op, ast.Mult) else head / factor
        return Built(head)


class _Numbers(NamedTuple):
    """What a factor holds that sympy's Mul treats differently as factors meet in another order."""

    sums: bool  # a sum among its factors
    numbers: bool  # a number, or a number in front
    roots: int  # roots of numbers (2^(1/3), √2) and i among its factors
    inverses: bool  # a factor to a negative power: it may cancel one multiplied in before


_NOTHING = _Numbers(False, False, 0, False)


def _numbers_in(factor: Any) -> _Numbers:
    import sympy

    sums, roots, inverses = False, 0, False
    for part in sympy.Mul.make_args(factor):
        sums = sums or bool(part.is_Add)  # inside a product too: x cancels in 2(y+1)/x · x
        root = part.is_Pow and part.base.is_number and not part.exp.is_Integer
        if root or part is sympy.I:
            roots += 1
        inverses = inverses or bool(part.is_Pow and part.exp.is_negative is not False)
    numbers = bool(factor.is_Number or factor.as_coeff_Mul()[0] is not sympy.S.One)
    return _Numbers(sums, numbers, roots, inverses)


def _joined(a: _Numbers, b: _Numbers) -> _Numbers:
    return _Numbers(
        a.sums or b.sums, a.numbers or b.numbers, a.roots + b.roots, a.inverses or b.inverses
    )


def _settled(product: Any) -> bool:
    """Whether ``product`` has two factors that are not numbers: multiplying more in, with no
    inverse in it or them (nothing can cancel), can then never leave a number alone with a sum
    (sympy's distributing case), so the rest may be multiplied in at once even where numbers and
    sums meet."""
    rest = product.as_coeff_Mul()[1]
    return bool(rest.is_Mul) and sum(1 for part in rest.args if not part.is_number) >= 2


def _nested_order_matters(held: _Numbers) -> bool:
    """Whether multiplying factors that hold ``held`` one at a time may give another form than one
    Mul of all.

    Two cases, both about numbers: sympy distributes a number over a sum when exactly those two
    meet (``2*(x + y)``, also a 2 left over from ``x*(2/x)``), and it merges roots of numbers
    pairwise as they meet (2^(1/3)·3^(1/3) is 6^(1/3), then ·3^(1/3) gives 18^(1/3), while all at
    once give 2^(1/3)·3^(2/3)). Factors without a number in front multiply to a product without
    one, so a product of sums alone, ``(x+1)*(x+2)*…``, is made at once — and so is the rest of
    ``2*(x+1)*(x+2)*…`` once the 2 has been distributed.
    """
    return (held.sums and held.numbers) or held.roots > 1
