"""Safe expression parsing: user text -> :class:`~gradcli.function.Function`. The only parser.

No user text ever reaches Python ``eval``/``exec`` (``sympify`` and ``parse_expr`` eval their input,
and restricting their globals does not stop attribute access). Instead:

1. a tokenizer of our own reads the text, rejects every character and name outside the grammar with
   a caret and a reason, and rewrites the accepted conveniences (``^``, implicit multiplication
   ``2x``/``3x y``/``2(x+1)``, Unicode ``x² · × − π √``) into plain Python syntax, remembering for each
   output character the column it came from;
2. ``ast.parse`` builds a syntax tree only (nothing is compiled or run), and every node is checked
   against an allowlist;
3. the sympy expression is built from that tree by our own code, bottom-up and iteratively, with the
   size of every constant tracked so that ``9**9**9**9`` is refused before sympy computes anything.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gradcli.errors import ParseError, UsageError
from gradcli.function import Function

if TYPE_CHECKING:
    import sympy

# --- limits: each checked before sympy computes anything ----------------------------------------
MAX_LENGTH = 5000  # characters of expression text
MAX_DEPTH = 64  # nested parentheses (and function calls)
MAX_UNARY_RUN = 16  # '-----x' chains; each is a level of syntax tree nesting
MAX_LITERAL_DIGITS = 300  # digits in one numeric literal
MAX_EXPONENT10 = 308  # |k| in a literal's 'e' exponent: the range of a float
MAX_CONSTANT_DIGITS = 10_000  # estimated digits of any exact constant subexpression
MAX_SYMBOLIC_EXPONENT = 1000  # |n| in x**n where x is not constant
MAX_NAME_LENGTH = 64

FUNCTIONS_DOC = (
    "sin cos tan sec csc cot asin acos atan atan2(y, x) sinh cosh tanh asinh acosh atanh "
    "exp log(x) log(x, base) ln log2 log10 sqrt cbrt abs sign min max sigmoid relu softplus erf"
)

_SUPERSCRIPTS = {
    "⁰": "0",
    "¹": "1",
    "²": "2",
    "³": "3",
    "⁴": "4",
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
    "⁻": "-",
    "⁺": "+",
}
_OPERATOR_CHARS = {
    "·": "*",
    "⋅": "*",
    "∙": "*",
    "×": "*",
    "∗": "*",
    "÷": "/",
    "−": "-",
    "–": "-",
    "＋": "+",
}
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "ρ": "rho",
    "σ": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
    "π": "pi",
}
_REFUSED_CHARS = {
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    "[": "subscripts and lists are not allowed",
    "]": "subscripts and lists are not allowed",
    "{": "sets and dicts are not allowed",
    "}": "sets and dicts are not allowed",
    ".": "attribute access ('.') is not allowed",
    ":": "':' is not allowed (no lambdas, slices or annotations)",
    ";": "';' is not allowed: one expression only",
    "<": "comparisons are not allowed: give an expression, not an equation",
    ">": "comparisons are not allowed: give an expression, not an equation",
    "!": "'!' is not allowed (no factorial or comparisons)",
    "%": "'%' is not supported",
    "&": "bitwise operators are not supported",
    "|": "bitwise operators are not supported",
    "~": "bitwise operators are not supported",
    "@": "'@' is only allowed at the start, to name a preset such as @rosenbrock",
    "\\": "backslashes are not allowed",
    "#": "comments are not allowed",
    "`": "backticks are not allowed",
    "$": "'$' is not allowed",
    "?": "'?' is not allowed",
}
_NON_FINITE_NAMES = {"inf", "infinity", "nan", "oo", "zoo", "Infinity", "NaN"}
_CONSTANT_NAMES = {"pi", "e", "E"}

_DIGITS = frozenset("0123456789")  # str.isdigit() is also true for '²', which is a power here
_NUMBER_RE = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NATURAL_RE = re.compile(r"(\d+)")


# --- the functions users may call ---------------------------------------------------------------
def _function_table() -> dict[str, tuple[tuple[int, int], Callable[..., sympy.Expr]]]:
    """name -> ((min args, max args), builder). Built lazily: it needs sympy."""
    import sympy

    def log(x: sympy.Expr, base: sympy.Expr | None = None) -> sympy.Expr:
        return sympy.log(x) if base is None else sympy.log(x, base)

    one = (1, 1)
    table: dict[str, tuple[tuple[int, int], Callable[..., sympy.Expr]]] = {
        name: (one, getattr(sympy, name)) for name in _SAME_NAME
    }
    table.update(
        {
            "atan2": ((2, 2), sympy.atan2),
            "log": ((1, 2), log),
            "ln": (one, sympy.log),
            "log2": (one, lambda x: sympy.log(x, 2)),
            "log10": (one, lambda x: sympy.log(x, 10)),
            "cbrt": (one, _cbrt_class()),
            "abs": (one, sympy.Abs),
            "sign": (one, sympy.sign),
            "min": ((1, 64), sympy.Min),
            "max": ((1, 64), sympy.Max),
            # The ML functions are built from elementary ones so derivatives are plain to read.
            "sigmoid": (one, lambda x: 1 / (1 + sympy.exp(-x))),
            "relu": (one, lambda x: sympy.Max(0, x)),
            "softplus": (one, lambda x: sympy.log(1 + sympy.exp(x))),
        }
    )
    return table


# sympy functions of one argument that users call by sympy's own name
_SAME_NAME = (
    "sin cos tan sec csc cot asin acos atan sinh cosh tanh asinh acosh atanh exp sqrt erf".split()
)
_OWN_BUILDERS = "atan2 log ln log2 log10 cbrt abs sign min max sigmoid relu softplus".split()
FUNCTION_NAMES = frozenset(_SAME_NAME + _OWN_BUILDERS)

_CBRT: Any = None


def _cbrt_class() -> Any:
    """The real cube root as a sympy Function: sympy's ``cbrt`` is the principal (complex) root,
    so ``cbrt(-8)`` would not be -2 and the derivative would drag in ``Abs`` and ``sign``."""
    global _CBRT
    if _CBRT is not None:
        return _CBRT
    import sympy

    class cbrt(sympy.Function):
        is_real = True

        @classmethod
        def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
            if arg.is_Number:
                return sympy.real_root(arg, 3)
            if arg.is_nonnegative:
                return sympy.Pow(arg, sympy.Rational(1, 3))
            return None

        def fdiff(self, argindex: int = 1) -> sympy.Expr:
            return 1 / (3 * cbrt(self.args[0]) ** 2)

        def _eval_evalf(self, prec: int) -> sympy.Expr:
            value = self.args[0].evalf(prec)
            return sympy.sign(value) * sympy.Abs(value) ** sympy.Rational(1, 3)

        def _latex(self, printer: Any, exp: Any = None) -> str:
            root = r"\sqrt[3]{" + printer._print(self.args[0]) + "}"
            return root if exp is None else rf"\left({root}\right)^{{{exp}}}"

    _CBRT = cbrt
    return cbrt


# --- tokens -------------------------------------------------------------------------------------
@dataclass
class _Tok:
    kind: str  # num name op lpar rpar comma super sqrt
    text: str  # Python spelling
    col: int  # column in the user's text
    end: int


def _fail(message: str, source: str, col: int, hint: str | None = None) -> ParseError:
    return ParseError(message, source=source, column=col, hint=hint)


def _tokenize(source: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(source)
    depth = 0
    opened: list[int] = []
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and source[i + 1] in _DIGITS):
            m = _NUMBER_RE.match(source, i)
            assert m is not None
            text = m.group(0)
            if sum(c.isdigit() for c in m.group(1)) > MAX_LITERAL_DIGITS:
                raise _fail(f"number too long (more than {MAX_LITERAL_DIGITS} digits)", source, i)
            if m.group(2) and abs(int(m.group(2)[1:])) > MAX_EXPONENT10:
                raise _fail(
                    f"number out of range (the exponent is limited to ±{MAX_EXPONENT10})",
                    source,
                    i,
                )
            toks.append(_Tok("num", text, i, m.end()))
            i = m.end()
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _NAME_RE.match(source, i)
            assert m is not None
            toks.append(_Tok("name", _check_name(m.group(0), source, i), i, m.end()))
            i = m.end()
            continue
        if ch in _GREEK:
            toks.append(_Tok("name", _check_name(_GREEK[ch], source, i), i, i + 1))
            i += 1
            continue
        if ch in _SUPERSCRIPTS:
            j = i
            while j < n and source[j] in _SUPERSCRIPTS:
                j += 1
            digits = "".join(_SUPERSCRIPTS[c] for c in source[i:j])
            if not re.fullmatch(r"[+-]?\d+", digits):
                raise _fail("a superscript power must be a whole number, like x² or x⁻¹", source, i)
            toks.append(_Tok("super", digits, i, j))
            i = j
            continue
        if ch == "√" or ch == "∛":
            toks.append(_Tok("sqrt", "sqrt" if ch == "√" else "cbrt", i, i + 1))
            i += 1
            continue
        if ch in "+-*/^" or ch in _OPERATOR_CHARS:
            if source.startswith("**", i):
                toks.append(_Tok("op", "**", i, i + 2))
                i += 2
            elif source.startswith("//", i):
                raise _fail("floor division '//' is not supported", source, i, hint="use '/'")
            else:
                op = "**" if ch == "^" else _OPERATOR_CHARS.get(ch, ch)
                toks.append(_Tok("op", op, i, i + 1))
                i += 1
            continue
        if ch == "(":
            depth += 1
            opened.append(i)
            if depth > MAX_DEPTH:
                raise _fail(f"nesting too deep (more than {MAX_DEPTH} levels)", source, i)
            toks.append(_Tok("lpar", "(", i, i + 1))
            i += 1
            continue
        if ch == ")":
            if depth == 0:
                raise _fail("unmatched ')'", source, i)
            depth -= 1
            opened.pop()
            toks.append(_Tok("rpar", ")", i, i + 1))
            i += 1
            continue
        if ch == ",":
            toks.append(_Tok("comma", ",", i, i + 1))
            i += 1
            continue
        if ch == "=":
            if source.startswith("==", i):
                raise _fail(_REFUSED_CHARS["<"], source, i)
            raise _fail("assignment ('=') is not allowed", source, i, hint="give f's formula only")
        if ch in _REFUSED_CHARS:
            raise _fail(_REFUSED_CHARS[ch], source, i)
        raise _fail(f"unexpected character {ch!r} (U+{ord(ch):04X})", source, i)
    if opened:
        raise _fail("unclosed '('", source, opened[-1])
    _check_unary_runs(toks, source)
    return toks


def _check_name(name: str, source: str, col: int) -> str:
    """Return the Python spelling of a user's name, or refuse it."""
    if name.startswith("_"):
        raise _fail(f"names starting with '_' are not allowed ({name!r})", source, col)
    if len(name) > MAX_NAME_LENGTH:
        raise _fail(f"name too long (more than {MAX_NAME_LENGTH} characters)", source, col)
    if name in _NON_FINITE_NAMES:
        raise _fail(f"non-finite constants like {name!r} are not allowed", source, col)
    if name == "lambda":
        return "_lambda"  # a variable here; '_' cannot start a user's name, so no clash
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise _fail(f"{name!r} is a Python keyword, not allowed in expressions", source, col)
    return name


def _check_unary_runs(toks: Sequence[_Tok], source: str) -> None:
    run = 0
    for k, tok in enumerate(toks):
        is_unary = (
            tok.kind == "op"
            and tok.text in "+-"
            and (k == 0 or toks[k - 1].kind in ("op", "lpar", "comma"))
        )
        run = run + 1 if is_unary else 0
        if run > MAX_UNARY_RUN:
            raise _fail(f"too many signs in a row (more than {MAX_UNARY_RUN})", source, tok.col)


# --- rewriting to Python syntax -----------------------------------------------------------------
_VALUE_END = ("num", "name", "rpar", "super")
_VALUE_START = ("num", "name", "lpar", "sqrt")


class _Writer:
    """Accumulates Python text and, for each character, the user's column it came from."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.origin: list[int] = []

    def put(self, text: str, col: int) -> None:
        self.parts.append(text)
        self.origin.extend([col] * len(text))

    def text(self) -> str:
        return "".join(self.parts)


def _rewrite(toks: list[_Tok], source: str) -> tuple[str, list[int]]:
    out = _Writer()
    _emit_range(toks, 0, len(toks), out, source)
    return out.text(), out.origin


def _atom_end(toks: list[_Tok], k: int, source: str) -> int:
    """Index just past the atom starting at k (what √ applies to), including trailing superscripts."""
    if k >= len(toks):
        raise _fail("'√' needs something to take the root of", source, toks[k - 1].col)
    tok = toks[k]
    if tok.kind == "sqrt":
        end = _atom_end(toks, k + 1, source)
    elif tok.kind == "lpar":
        end = _matching(toks, k) + 1
    elif tok.kind == "name" and k + 1 < len(toks) and toks[k + 1].kind == "lpar":
        end = _matching(toks, k + 1) + 1
    elif tok.kind in ("num", "name"):
        end = k + 1
    else:
        raise _fail("'√' needs a number, a name or a bracket after it", source, tok.col)
    while end < len(toks) and toks[end].kind == "super":
        end += 1
    return end


def _matching(toks: list[_Tok], k: int) -> int:
    depth = 0
    for j in range(k, len(toks)):
        if toks[j].kind == "lpar":
            depth += 1
        elif toks[j].kind == "rpar":
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1  # unreachable: the tokenizer checked the brackets balance


def _emit_range(toks: list[_Tok], start: int, stop: int, out: _Writer, source: str) -> None:
    prev: _Tok | None = None
    k = start
    while k < stop:
        tok = toks[k]
        if prev is not None:
            _join(prev, tok, out, source)
        if tok.kind == "sqrt":
            end = _atom_end(toks, k + 1, source)
            out.put(tok.text + "(", tok.col)
            _emit_range(toks, k + 1, end, out, source)
            out.put(")", tok.col)
            prev = _Tok("rpar", ")", tok.col, toks[end - 1].end)
            k = end
            continue
        if tok.kind == "super":
            out.put(f"**({tok.text})", tok.col)
        else:
            out.put(tok.text, tok.col)
        prev = tok
        k += 1
    if prev is not None and prev.kind == "name" and prev.text in FUNCTION_NAMES:
        raise _function_needs_brackets(prev, source)


def _join(prev: _Tok, tok: _Tok, out: _Writer, source: str) -> None:
    """Between two tokens: insert the implied '*', or refuse what cannot be meant."""
    if prev.kind == "name" and prev.text in FUNCTION_NAMES:
        if tok.kind != "lpar":
            raise _function_needs_brackets(prev, source)
        return  # a call
    if tok.kind == "super" and prev.kind not in _VALUE_END:
        raise _fail("a superscript power needs something before it", source, tok.col)
    if prev.kind == "name" and tok.kind == "lpar":
        shown = prev.text.lstrip("_")
        if shown in _CONSTANT_NAMES:
            raise _fail(
                f"{shown!r} is a constant, not a function",
                source,
                prev.col,
                hint=f"write {shown}*(...)",
            )
        raise _fail(f"unknown function {shown!r}", source, prev.col, hint=_unknown_hint(shown))
    if prev.kind == "num" and tok.kind == "num":
        raise _fail("two numbers in a row", source, tok.col, hint="put an operator between them")
    if prev.kind in _VALUE_END and tok.kind in _VALUE_START:
        out.put("*", tok.col)


def _unknown_hint(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(FUNCTION_NAMES), n=1, cutoff=0.75)
    product = f"write {name}*(...) for a product"
    return f"did you mean {close[0]}(...)? or {product}" if close else product


def _function_needs_brackets(tok: _Tok, source: str) -> ParseError:
    return _fail(
        f"{tok.text!r} is a function and needs brackets",
        source,
        tok.col,
        hint=f"write {tok.text}(x)",
    )


# --- building sympy from the syntax tree --------------------------------------------------------
@dataclass
class _Built:
    expr: Any
    size: float | None  # estimated digits of an exact constant; None when not constant


def _digits(value: Any) -> float:
    """Estimated digits (numerator + denominator) of an exact sympy number; floats count as 17."""

    if value.is_Rational:
        p, q = abs(int(value.p)), int(value.q)
        return (math.log10(p) if p else 0.0) + math.log10(q) + 1
    if value.is_Float:
        return 17.0
    return 1.0


def literal(text: str) -> Any:
    """A numeric literal as an exact sympy number ('0.1' is exactly 1/10, as the user wrote it)."""
    import sympy

    m = _NUMBER_RE.fullmatch(text)
    assert m is not None
    mantissa, exp = m.group(1), m.group(2)
    whole, _, frac = mantissa.partition(".")
    numerator = int((whole or "0") + frac)
    power = (int(exp[1:]) if exp else 0) - len(frac)
    if power >= 0:
        return sympy.Integer(numerator * 10**power)
    return sympy.Rational(numerator, 10**-power)


class _Builder:
    def __init__(self, source: str, origin: list[int], let: dict[str, Any]) -> None:
        import sympy

        self.sympy = sympy
        self.source = source
        self.origin = origin
        self.let = let
        self.functions = _function_table()
        self.symbols: dict[str, Any] = {}

    def column(self, node: ast.AST) -> int:
        offset = getattr(node, "col_offset", 0)
        return self.origin[min(offset, len(self.origin) - 1)] if self.origin else 0

    def fail(self, message: str, node: ast.AST, hint: str | None = None) -> ParseError:
        return ParseError(message, source=self.source, column=self.column(node), hint=hint)

    def build(self, tree: ast.Expression) -> Any:
        # Iterative post-order: a 2000-term sum nests 2000 deep and would exhaust Python's stack.
        done: dict[int, _Built] = {}
        stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
        while stack:
            node, expanded = stack.pop()
            children = self.children(node)
            if not expanded and children:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(children))
                continue
            done[id(node)] = self.combine(node, [done.pop(id(c)) for c in children])
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
            text = ast.get_source_segment(self._python, node) or str(node.value)
            value = literal(text)
            return _Built(value, _digits(value))
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return _Built(-args[0].expr, args[0].size)
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
            value = self.let[name]
            return _Built(value, _digits(value) if value.is_Number else 1.0)
        if name == "pi":
            return _Built(sp.pi, 1.0)
        if name in ("e", "E"):
            return _Built(sp.E, 1.0)
        if name not in self.symbols:
            self.symbols[name] = sp.Symbol(name, real=True)
        return _Built(self.symbols[name], None)

    def binop(self, node: ast.BinOp, a: _Built, b: _Built) -> _Built:
        op = node.op
        const = a.size is not None and b.size is not None
        size = (a.size or 0) + (b.size or 0) + 1 if const else None
        if isinstance(op, ast.Add):
            return _Built(a.expr + b.expr, size)
        if isinstance(op, ast.Sub):
            return _Built(a.expr - b.expr, size)
        if isinstance(op, ast.Mult):
            return _Built(a.expr * b.expr, size)
        if isinstance(op, ast.Div):
            if b.size is not None and b.expr.is_zero:
                raise self.fail("division by zero", node, hint="the expression is undefined")
            return _Built(a.expr / b.expr, size)
        if isinstance(op, ast.Pow):
            return self.power(node, a, b)
        raise self.fail(
            f"the operator {_OP_NAMES.get(type(op), type(op).__name__)} is not supported", node
        )

    def power(self, node: ast.BinOp, base: _Built, exp: _Built) -> _Built:
        sp = self.sympy
        if exp.size is None:
            return _Built(sp.Pow(base.expr, exp.expr), None)
        exponent = float(sp.re(exp.expr.evalf(20)))  # bounded: exp.size is within the limit
        if base.size is None:
            if abs(exponent) > MAX_SYMBOLIC_EXPONENT:
                raise self.fail(
                    f"exponent too large (|{exponent:.3g}| > {MAX_SYMBOLIC_EXPONENT})", node
                )
            return _Built(sp.Pow(base.expr, exp.expr), None)
        if base.expr.is_zero and exponent < 0:
            raise self.fail("division by zero (0 to a negative power)", node)
        estimate = abs(exponent) * max(base.size, 1.0)
        if estimate > MAX_CONSTANT_DIGITS:
            raise self.fail(
                f"constant power too large (about {estimate:.3g} digits; the limit is "
                f"{MAX_CONSTANT_DIGITS})",
                node,
            )
        return _Built(sp.Pow(base.expr, exp.expr), estimate + 1)

    def call(self, node: ast.Call, args: list[_Built]) -> _Built:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.fail("only plain calls of the known functions are allowed", node)
        name = node.func.id
        if name not in self.functions:
            raise self.fail(f"unknown function {name!r}", node, hint=_unknown_hint(name))
        (low, high), builder = self.functions[name]
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise self.fail(f"{name} takes {want} argument(s), got {len(args)}", node)
        sizes = [a.size for a in args]
        size = None if any(s is None for s in sizes) else sum(s or 0 for s in sizes) + 1
        return _Built(builder(*[a.expr for a in args]), size)

    _python: str = ""


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


# --- the public API -----------------------------------------------------------------------------
def natural_key(name: str) -> list[Any]:
    """Sort key putting x2 before x10."""
    return [int(part) if part.isdigit() else part for part in _NATURAL_RE.split(name)]


def _parse_tree(source: str) -> tuple[ast.Expression, str, list[int]]:
    if not source.strip():
        raise ParseError("empty expression", source=source, column=0)
    if len(source) > MAX_LENGTH:
        raise ParseError(
            f"expression too long ({len(source)} characters; the limit is {MAX_LENGTH})"
        )
    toks = _tokenize(source)
    python, origin = _rewrite(toks, source)
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


def _build(source: str, let: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    tree, python, origin = _parse_tree(source)
    builder = _Builder(source, origin, let or {})
    builder._python = python
    try:
        expr = builder.build(tree)
    except (RecursionError, MemoryError, OverflowError):
        raise ParseError("expression too complex", source=source) from None
    if expr.has(builder.sympy.zoo, builder.sympy.nan, builder.sympy.oo, -builder.sympy.oo):
        raise ParseError(
            "the expression is undefined (it divides by zero or is infinite)", source=source
        )
    return expr, builder.symbols


def parse_constant(text: str, *, what: str = "value") -> Any:
    """A constant expression ('pi/4', 'sqrt(2)', '-1e-3', '1/3') as an exact sympy number.

    Refuses variables, and values that are not finite real numbers.
    """
    import sympy

    expr, symbols = _build(text.strip())
    if symbols:
        name = sorted(symbols)[0]
        raise ParseError(
            f"{what} must be a number or a constant expression, not the variable {name!r}",
            source=text,
            column=max(text.find(name), 0),
        )
    value = complex(sympy.N(expr, 17))
    if value.imag != 0 or not math.isfinite(value.real):
        raise ParseError(f"{what} {text.strip()!r} is not a finite real number")
    return expr


def parse_let(text: str | None) -> dict[str, Any]:
    """``--let a=2,b=0.5`` -> {'a': 2, 'b': 1/2}."""
    result: dict[str, Any] = {}
    if not text:
        return result
    for part in split_top_level(text):
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not _NAME_RE.fullmatch(name) or name.startswith("_"):
            raise UsageError(
                f"--let expects name=value pairs, got {part.strip()!r}", hint="e.g. --let a=2,b=0.5"
            )
        if name in _CONSTANT_NAMES or name in FUNCTION_NAMES:
            raise UsageError(f"--let cannot redefine {name!r}")
        result[name] = parse_constant(value, what=f"--let {name}")
    return result


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets: 'atan2(1,2),3' -> ['atan2(1,2)', '3']."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_vars(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if (
            not _NAME_RE.fullmatch(name)
            or name.startswith("_")
            or name in _CONSTANT_NAMES | FUNCTION_NAMES
        ):
            raise UsageError(f"--vars: {name!r} is not a valid variable name")
    if len(set(names)) != len(names):
        raise UsageError("--vars names a variable twice")
    if not names:
        raise UsageError("--vars is empty")
    return names


def parse(
    text: str,
    vars: Sequence[str] | str | None = None,
    let: dict[str, Any] | str | None = None,
) -> Function:
    """Parse user text into a :class:`Function` with real variables in natural order.

    ``vars`` fixes the variable order (and may add variables the formula does not use); ``let``
    substitutes constants (``{'a': 2}`` or ``"a=2,b=1/2"``) before anything else.
    """
    import sympy

    lets = parse_let(let) if isinstance(let, str) or let is None else dict(let)
    expr, symbols = _build(text, lets)
    order = (
        parse_vars(vars) if isinstance(vars, str) else (list(vars) if vars is not None else None)
    )
    if order is None:
        names = sorted(symbols, key=natural_key)
    else:
        missing = [s for s in sorted(symbols, key=natural_key) if s not in order]
        if missing:
            raise UsageError(
                f"the expression uses {', '.join(missing)}, which --vars does not list",
                hint=f"--vars {','.join([*order, *missing])}",
            )
        names = list(order)
    variables = tuple(symbols.get(n) or sympy.Symbol(n, real=True) for n in names)
    return Function(expr=expr, variables=variables, source=text)


def supported_syntax() -> Iterable[str]:
    """Lines describing the accepted syntax (used in --help)."""
    yield "operators: + - * / ** (also ^), implicit multiplication (2x, 3x y, 2(x+1))"
    yield "unicode: x² x⁻¹ · × − ÷ π √x ∛x and Greek letters"
    yield f"functions: {FUNCTIONS_DOC}"
    yield "constants: pi (π), e (E); every other name is a real variable"
