"""From Python text to a sympy expression: the syntax tree is checked, then built bottom-up.

``ast.parse`` builds a syntax tree only (nothing is compiled or run). Our own code then walks it,
refusing every node outside an allowlist, and builds the sympy expression bottom-up and iteratively.

Every constant subexpression carries an approximate value (:mod:`gradcli.expr.magnitude`), checked
before each operator or function is applied, so that ``9**9**9**9``, ``exp(exp(exp(5)))`` and
``sin(10**400)`` are refused, with a caret on the culprit, before sympy computes anything; exact
rationals are also limited in digits, so every one can be printed.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gradcli.errors import ParseError
from gradcli.expr import magnitude
from gradcli.expr.bars import resolve_bars
from gradcli.expr.chains import DONE, NEW, STEP, Chain, chain_group
from gradcli.expr.chains import Built as _Built
from gradcli.expr.grammar import (
    MAX_CONSTANT_DIGITS,
    MAX_LENGTH,
    MAX_SYMBOLIC_EXPONENT,
    NUMBER_RE,
    function_table,
    unknown_function_hint,
)
from gradcli.expr.notation import (
    Head,
    glued_names,
    read_calls,
    refuse_definition,
    split_definition,
)
from gradcli.expr.tokens import Token, rewrite, tokenize
from gradcli.function import ReadingNote
from gradcli.limits import TimeUp, time_limit

CALL_SECONDS = 2.0  # one function call, which sympy may evaluate exactly
BUILD_SECONDS = 8.0  # the whole tree: a backstop for sympy's automatic evaluation of + * **


def _digits(value: Any) -> float:
    """log10 of the larger of numerator and denominator of an exact rational: what it costs."""
    p, q = abs(int(value.p)), int(value.q)
    return max(math.log10(p) if p else 0.0, math.log10(q))


def literal(text: str) -> Any:
    """A numeric literal as an exact sympy number ('0.1' is exactly 1/10, as the user wrote it)."""
    import sympy

    m = NUMBER_RE.fullmatch(text)
    assert m is not None
    mantissa, exp = m.group(1), m.group(2)
    whole, _, frac = mantissa.partition(".")
    numerator = int((whole or "0") + frac)
    power = (int(exp[1:]) if exp else 0) - len(frac)
    if power >= 0:
        return sympy.Integer(numerator * 10**power)
    return sympy.Rational(numerator, 10**-power)


class _Builder:
    """Builds the sympy expression for one checked syntax tree (one instance per parse)."""

    def __init__(self, source: str, python: str, origin: list[int], let: dict[str, Any]) -> None:
        import sympy

        self.sympy = sympy
        self.source = source  # the user's text, for carets
        self.python = python  # the rewritten text the tree was parsed from, for literals' digits
        self.origin = origin
        self.let = let
        self.functions = function_table()
        self.symbols: dict[str, Any] = {}
        self.let_approx: dict[str, Any] = {}

    def column(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return self.origin[min(offset, len(self.origin) - 1)] if self.origin else 0

    def fail(self, message: str, node: ast.AST, hint: str | None = None) -> ParseError:
        return ParseError(message, source=self.source, column=self.column(node), hint=hint)

    def segment(self, node: ast.AST) -> str:
        """The user's text of ``node`` (shortened), to name it in a message."""
        end = getattr(node, "end_col_offset", None)
        if not self.origin or end is None:
            return "this constant"
        start = self.column(node)
        # A character of the rewritten text maps to the start of its user token, so the segment
        # ends where the next token starts (whitespace is trimmed below).
        stop = self.origin[end] if end < len(self.origin) else len(self.source)
        if stop <= start:  # the ')' closing a '√x' maps back to the '√': end after the last token
            stop = max(self.origin[getattr(node, "col_offset", 0) : end]) + 1
            while stop < len(self.source) and (
                self.source[stop].isalnum() or self.source[stop] in "._"
            ):
                stop += 1
        text = " ".join(self.source[start:stop].split())
        return text if len(text) <= 48 else text[:45] + "..."

    def guarded(self, node: ast.AST, approximate: Callable[[], Any]) -> Any:
        """``approximate()``, the value of a constant node; a caret on the node if it is refused."""
        try:
            return approximate()
        except magnitude.Refusal as refusal:
            raise self.fail(f"{self.segment(node)} {refusal}", node) from None

    def exact_digits(self, node: ast.AST, built: _Built) -> _Built:
        """``built``, once an exact rational result is known to be printable."""
        if built.constant and built.expr.is_Rational:
            digits = _digits(built.expr)
            if digits > MAX_CONSTANT_DIGITS:
                raise self.fail(
                    f"{self.segment(node)} is too long an exact number (about {digits:.3g} digits; "
                    f"the limit is {MAX_CONSTANT_DIGITS})",
                    node,
                )
        return built

    def build(self, tree: ast.Expression) -> Any:
        # Iterative post-order: a 2000-term sum nests 2000 deep and would exhaust Python's stack.
        # A chain of + and - (or of * and /) is one unit (see chains.Chain): its operands are built in
        # the order the nested tree has them, each operator checked where the nested tree would
        # check it, and the sum or product is made by one call of sympy's Add or Mul: adding the
        # terms one at a time re-sorts the growing sum at every step (quadratic in its length).
        done: dict[int, _Built] = {}
        chains: dict[int, Chain] = {}
        stack: list[tuple[ast.AST, int]] = [(tree.body, NEW)]
        while stack:
            node, state = stack.pop()
            if state == STEP:  # the chain's next operator, now that its right operand is built
                chain = chains[id(node)]
                chain.step(
                    self,
                    done.pop(id(chain.operands[0])) if chain.running is None else None,
                    done.pop(id(chain.operands[chain.steps + 1])),
                )
                continue
            if state == NEW and isinstance(node, ast.BinOp) and chain_group(node) is not None:
                chain = chains[id(node)] = Chain(node)
                stack.append((node, DONE))
                for operand in reversed(chain.operands[1:]):
                    stack.append((node, STEP))
                    stack.append((operand, NEW))
                stack.append((chain.operands[0], NEW))
                continue
            if state == DONE and id(node) in chains:
                done[id(node)] = chains.pop(id(node)).result()
                continue
            children = self.children(node)
            if state == NEW and children:
                stack.append((node, DONE))
                stack.extend((c, NEW) for c in reversed(children))
                continue
            built = self.combine(node, [done.pop(id(c)) for c in children])
            done[id(node)] = self.exact_digits(node, built)
        return done[id(tree.body)].expr

    def children(self, node: ast.AST) -> list[ast.AST]:
        if isinstance(node, ast.BinOp):
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            return [node.operand]
        if isinstance(node, ast.Call):
            return list(node.args)
        return []

    def combine(self, node: ast.AST, args: list[_Built]) -> _Built:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail("only numbers are allowed as literals", node)
            # The rewritten text is one line of ASCII, so offsets index it directly;
            # ast.get_source_segment splits the whole text per call: quadratic in a long sum.
            text = self.python[node.col_offset : node.end_col_offset] or str(node.value)
            value = literal(text)
            return _Built(value, self.guarded(node, lambda: magnitude.exact(value)))
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                a = args[0]
                return _Built(-a.expr, -a.approx if a.constant else None)
            if isinstance(node.op, ast.UAdd):
                return args[0]
            raise self.fail("this operator is not supported", node)
        if isinstance(node, ast.BinOp):
            return self.binop(node, args[0], args[1])
        if isinstance(node, ast.Call):
            return self.call(node, args)
        raise self.fail(f"{_describe(node)} is not allowed", node)

    def name(self, node: ast.Name) -> _Built:
        sp = self.sympy
        name = "lambda" if node.id == "_lambda" else node.id
        if name in self.let:
            if name not in self.let_approx:
                self.let_approx[name] = self.let_value(node, self.let[name])
            return _Built(self.let[name], self.let_approx[name])
        if name == "pi":
            return _Built(sp.pi, magnitude.exact(sp.pi))
        if name in ("e", "E"):
            return _Built(sp.E, magnitude.exact(sp.E))
        if name not in self.symbols:
            self.symbols[name] = sp.Symbol(name, real=True)
        return _Built(self.symbols[name], None)

    def let_value(self, node: ast.Name, value: Any) -> Any:
        """The approximation of a ``let`` constant (parse_let's values passed the guard already;
        values handed in from Python get a time bound instead)."""
        from gradcli.limits import bounded

        approx = self.guarded(
            node,
            lambda: bounded(1.0, lambda: magnitude.exact(value), None, f"evaluating {node.id}"),
        )
        if approx is None:
            raise self.fail(f"the value of {node.id} took too long to evaluate", node)
        return approx

    def refuse_zero_divisor(self, node: ast.BinOp, b: _Built) -> None:
        if isinstance(node.op, ast.Div) and b.constant and b.expr.is_zero:
            raise self.fail("division by zero", node, hint="the expression is undefined")

    def binop(self, node: ast.BinOp, a: _Built, b: _Built) -> _Built:
        op = node.op
        self.refuse_zero_divisor(node, b)
        if isinstance(op, ast.Pow):
            return self.power(node, a, b)
        symbol = _ARITHMETIC.get(type(op))
        if symbol is None:
            raise self.fail(
                f"the operator {_OP_NAMES.get(type(op), type(op).__name__)} is not supported", node
            )
        approx = None
        if a.constant and b.constant:  # checked before sympy does any exact arithmetic
            approx = self.guarded(node, lambda: magnitude.arithmetic(symbol, a.approx, b.approx))
        operate = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
        return _Built(operate[symbol](a.expr, b.expr), approx)

    def power(self, node: ast.BinOp, base: _Built, exp: _Built) -> _Built:
        sp = self.sympy
        if not exp.constant:
            return _Built(sp.Pow(base.expr, exp.expr), None)
        exponent = float(magnitude.context().re(exp.approx))  # may be inf: it is only compared
        if not base.constant:
            if abs(exponent) > MAX_SYMBOLIC_EXPONENT:
                raise self.fail(
                    f"exponent too large (|{exponent:.3g}| > {MAX_SYMBOLIC_EXPONENT})", node
                )
            return _Built(sp.Pow(base.expr, exp.expr), None)
        if base.expr.is_zero and exponent < 0:
            raise self.fail("division by zero (0 to a negative power)", node)
        if base.expr.is_Rational and exp.expr.is_Rational:
            # sympy computes these exactly: the digits of the result, not only its size, count
            estimate = abs(exponent) * _digits(base.expr)
            if estimate > MAX_CONSTANT_DIGITS:
                raise self.fail(
                    f"{self.segment(node)}: constant power too large (about {estimate:.3g} digits; the limit is "
                    f"{MAX_CONSTANT_DIGITS})",
                    node,
                )
        approx = self.guarded(
            node, lambda: magnitude.power(base.approx, exp.approx, bool(exp.expr.is_Integer))
        )
        return _Built(sp.Pow(base.expr, exp.expr), approx)

    def call(self, node: ast.Call, args: list[_Built]) -> _Built:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.fail("only plain calls of the known functions are allowed", node)
        name = node.func.id
        if name not in self.functions:
            raise self.fail(f"unknown function {name!r}", node, hint=unknown_function_hint(name))
        (low, high), builder = self.functions[name]
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise self.fail(f"{name} takes {want} argument(s), got {len(args)}", node)
        approx = None
        if all(a.constant for a in args):  # checked before sympy evaluates anything
            approx = self.guarded(node, lambda: magnitude.call(name, [a.approx for a in args]))
            if name in _ORDERED and any(a.expr.is_extended_real is False for a in args):
                # relu(atanh(pi)) would build and then fail in every evaluation: say it here
                raise self.fail(f"{self.segment(node)}: {name} needs real arguments", node)
        try:
            # sympy evaluates a function exactly when it can, and for some (atan2 of algebraic
            # numbers, or of log(x, (-8)**1e-300): minimal polynomials in its assumptions) that
            # grinds for minutes, whether or not every argument is a constant.
            with time_limit(CALL_SECONDS, what="evaluating a function"):
                expr = builder(*[a.expr for a in args])
        except TimeUp:
            raise self.fail(f"{self.segment(node)}: too costly to evaluate exactly", node) from None
        except (ValueError, TypeError, ArithmeticError) as exc:  # max(0, acosh(0)): I*pi/2
            reason = "needs real arguments" if "comparable" in str(exc) else "is not defined here"
            raise self.fail(f"{self.segment(node)}: {name} {reason}", node) from None
        return _Built(expr, approx)


# Functions defined by comparing their arguments with 0 or each other: a complex constant
# (atanh(pi), sqrt(-1)) has no place in them.
_ORDERED = frozenset({"relu", "max", "min", "heaviside", "atan2", "sign"})

_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_OP_NAMES = {ast.Mod: "'%'", ast.FloorDiv: "'//'", ast.MatMult: "'@'", ast.BitXor: "'^'"}


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscripting",
        ast.Lambda: "a lambda",
        ast.Compare: "a comparison",
        ast.BoolOp: "'and'/'or'",
        ast.IfExp: "a conditional",
        ast.Tuple: "a tuple (a comma outside a function call)",
        ast.List: "a list",
        ast.Dict: "a dict",
        ast.Set: "a set",
        ast.Starred: "'*' unpacking",
        ast.NamedExpr: "assignment",
        ast.GeneratorExp: "a generator",
        ast.JoinedStr: "a string",
    }
    return names.get(type(node), type(node).__name__)


def _tokens(source: str) -> list[Token]:
    """The tokens of ``source``, its bars resolved, after the limits that need no tokens."""
    if not source.strip():
        raise ParseError("empty expression", source=source, column=0)
    if len(source) > MAX_LENGTH:
        raise ParseError(
            f"expression too long ({len(source)} characters; the limit is {MAX_LENGTH})"
        )
    return resolve_bars(tokenize(source), source)


def _parse_tree(source: str, toks: list[Token]) -> tuple[ast.Expression, str, list[int]]:
    """The syntax tree of ``toks``, the Python text it was parsed from and that text's columns."""
    python, origin = rewrite(toks, source)
    try:
        tree = ast.parse(python, mode="eval")  # builds a tree only: nothing is compiled or run
    except SyntaxError as exc:
        offset = (exc.offset or 0) - 1  # CPython reports 0 when the text ends too early
        at_end = not 0 <= offset < len(python)
        col = len(source) if at_end else origin[offset]
        reason = "incomplete expression" if at_end else f"unexpected {python[offset]!r}"
        raise ParseError(reason, source=source, column=col) from None
    except (RecursionError, MemoryError, ValueError):
        raise ParseError("expression too complex", source=source) from None
    return tree, python, origin


def _build(source: str, toks: list[Token], let: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    tree, python, origin = _parse_tree(source, toks)
    builder = _Builder(source, python, origin, let)
    try:
        with time_limit(BUILD_SECONDS, what="building the expression"):
            expr = builder.build(tree)
    except (RecursionError, MemoryError, OverflowError):
        raise ParseError("expression too complex", source=source) from None
    except TimeUp:
        raise ParseError("expression too costly to build exactly", source=source) from None
    if expr.has(builder.sympy.zoo, builder.sympy.nan, builder.sympy.oo, -builder.sympy.oo):
        raise ParseError(
            "the expression is undefined (it divides by zero or is infinite)", source=source
        )
    return expr, builder.symbols


def build_sympy(source: str, let: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """The sympy expression for the user's ``source`` and its symbols by name (no '=' allowed).

    ``let`` maps names to constants substituted while building.
    """
    toks = _tokens(source)
    refuse_definition(toks, source)
    toks, _ = read_calls(toks, source)
    return _build(source, toks, let or {})


@dataclass(frozen=True)
class Reading:
    """A function's text as read: its expression and symbols, the head of ``f(x, y) = ...`` if
    any, how ambiguous spellings were read, and the column where each name is first used."""

    expr: Any
    symbols: dict[str, Any]
    head: Head | None
    notes: tuple[ReadingNote, ...]
    columns: dict[str, int]


def build_function(
    source: str, let: dict[str, Any] | None = None, letters: Iterable[str] = ()
) -> Reading:
    """Read a function's text, ``f(x, y) = ...`` included. ``letters`` are variable names known
    from elsewhere (``vars``), which make a glued name like ``xy`` worth a note."""
    toks = _tokens(source)
    head, body = split_definition(toks, source)
    body, notes = read_calls(body, source)
    named = [*letters, *(head.variables if head and head.variables else ())]
    notes = sorted([*notes, *glued_names(body, source, named)], key=lambda note: note.column)
    expr, symbols = _build(source, body, let or {})
    columns: dict[str, int] = {}
    if head is not None and head.variables is not None:  # only f(x, y) = ... names columns
        for tok in body:
            if tok.kind == "name":
                columns.setdefault("lambda" if tok.text == "_lambda" else tok.text, tok.col)
    return Reading(expr, symbols, head, tuple(notes), columns)
