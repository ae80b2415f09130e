"""The grammar of expressions: what users may write, and the limits that keep parsing cheap.

Tables only, plus the functions users may call (built lazily, because they need sympy). The
tokenizer (:mod:`gradcli.expr.tokens`) and the builder (:mod:`gradcli.expr.build`) read these; a
change to what the parser accepts starts here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sympy

# --- limits: each checked before sympy computes anything ----------------------------------------
MAX_LENGTH = 20_000  # characters: a sum of 1,000 squares is 9,887, of 1,000 (x_i - 1)^2 15,887
MAX_DEPTH = 64  # nested parentheses (and function calls)
MAX_UNARY_RUN = 16  # '-----x' chains; each is a level of syntax tree nesting
MAX_LITERAL_DIGITS = 300  # digits in one numeric literal
MAX_EXPONENT10 = 308  # |k| in a literal's 'e' exponent: the range of a float
# Every constant subexpression, exact or not, stays within 10^±MAX_CONSTANT_DIGITS (estimated
# before computing: see expr.magnitude). 4000 keeps every exact integer printable (Python refuses
# to turn ints of more than 4300 digits into text) and every exp/sin of a constant cheap.
MAX_CONSTANT_DIGITS = 4000
# |argument| of a periodic function of a constant: beyond it a float cannot tell one period from
# the next, so sin(10**400) has no meaningful value (and costs a digit of precision per decade).
MAX_PERIODIC_ARGUMENT = 1e15
MAX_SYMBOLIC_EXPONENT = 1000  # |n| in x**n where x is not constant
MAX_NAME_LENGTH = 64

FUNCTIONS_DOC = (
    "sin cos tan sec csc cot asin acos atan atan2(y, x) sinh cosh tanh asinh acosh atanh "
    "exp log(x) log(x, base) ln log2 log10 sqrt cbrt abs sign min max sigmoid relu softplus erf "
    "heaviside"
)

# --- characters ---------------------------------------------------------------------------------
SUPERSCRIPTS = {
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
OPERATOR_CHARS = {
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
GREEK = {
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
REFUSED_CHARS = {
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
    "~": "bitwise operators are not supported",
    "@": "'@' is only allowed at the start, to name a preset such as @rosenbrock",
    "\\": "backslashes are not allowed",
    "#": "comments are not allowed",
    "`": "backticks are not allowed",
    "$": "'$' is not allowed",
    "?": "'?' is not allowed",
}
DIGITS = frozenset("0123456789")  # str.isdigit() is also true for '²', which is a power here
NUMBER_RE = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# --- names --------------------------------------------------------------------------------------
NON_FINITE_NAMES = {"inf", "infinity", "nan", "oo", "zoo", "Infinity", "NaN"}
CONSTANT_NAMES = {"pi", "e", "E"}

# sympy functions of one argument that users call by sympy's own name
_SAME_NAME = (
    "sin cos tan sec csc cot asin acos atan sinh cosh tanh asinh acosh atanh exp sqrt erf".split()
)
_OWN_BUILDERS = (
    "atan2 log ln log2 log10 cbrt abs sign min max sigmoid relu softplus heaviside".split()
)
FUNCTION_NAMES = frozenset(_SAME_NAME + _OWN_BUILDERS)


# --- the functions users may call ---------------------------------------------------------------
def function_table() -> dict[str, tuple[tuple[int, int], Callable[..., sympy.Expr]]]:
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
            "cbrt": (one, real_cube_root()),
            "abs": (one, sympy.Abs),
            "sign": (one, sympy.sign),
            "min": ((1, 64), sympy.Min),
            "max": ((1, 64), sympy.Max),
            # The ML functions are built from elementary ones so derivatives are plain to read.
            "sigmoid": (one, lambda x: 1 / (1 + sympy.exp(-x))),
            # relu is a class of its own, not Max(0, x): torch's relu'(0) is 0, while
            # torch.maximum (and sympy's Max) give each tied argument 1/2.
            "relu": (one, relu_function()),
            # H(0) = 1/2, sympy's and numpy's default and the value at a tie of max/min.
            "heaviside": (one, sympy.Heaviside),
            "softplus": (one, lambda x: sympy.log(1 + sympy.exp(x))),
        }
    )
    return table


@functools.cache  # one class for the process: expressions built with it must compare equal
def real_cube_root() -> Any:
    """The real cube root as a sympy Function: sympy's ``cbrt`` is the principal (complex) root,
    so ``cbrt(-8)`` would not be -2 and the derivative would drag in ``Abs`` and ``sign``."""
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

    return cbrt


@functools.cache  # one class for the process, like the cube root
def relu_function() -> Any:
    """relu(u) = max(0, u) as a sympy Function whose derivative is H(u) with H(0) = 0.

    That is PyTorch autograd's convention (``torch.relu``), so a descent through the kink steps as
    torch does. Numerically it is ``Max(0, u)``: every lambdify printer is told so below, which keeps
    evaluators free of a namespace entry for it.
    """
    import sympy

    def as_max(self: Any, printer: Any) -> str:
        return str(printer._print(sympy.Max(0, self.args[0])))

    class relu(sympy.Function):
        @classmethod
        def eval(cls, arg: sympy.Expr) -> sympy.Expr | None:
            if arg.is_extended_nonnegative:
                return arg
            if arg.is_extended_nonpositive:
                return sympy.S.Zero
            return None

        def _eval_is_real(self) -> bool | None:
            return self.args[0].is_real

        def _eval_is_extended_nonnegative(self) -> bool | None:
            return True if self.args[0].is_extended_real else None

        def fdiff(self, argindex: int = 1) -> sympy.Expr:
            return sympy.Heaviside(self.args[0], 0)

        def _eval_rewrite_as_Max(self, arg: sympy.Expr, **kwargs: Any) -> sympy.Expr:
            return sympy.Max(0, arg)

        def _eval_evalf(self, prec: int) -> sympy.Expr:
            return sympy.Max(0, self.args[0]).evalf(prec)

        def _latex(self, printer: Any, exp: Any = None) -> str:
            text = r"\operatorname{relu}\left(" + printer._print(self.args[0]) + r"\right)"
            return text if exp is None else rf"{text}^{{{exp}}}"

        _numpycode = _pythoncode = _mpmathcode = _lambdacode = as_max

    return relu


# Names of our functions in other notations (textbooks, numpy, torch), for the hint only.
_OTHER_NAMES = {
    "logistic": "sigmoid",
    "logit": "log(x/(1-x))",
    "sgn": "sign",
    "step": "heaviside",
    "arctan2": "atan2",
    "arsinh": "asinh",
    "arcosh": "acosh",
    "artanh": "atanh",
    "exp2": "2^",
}


def unknown_function_hint(name: str) -> str:
    """The hint for a call of a name that is not a function: the closest function, if any."""
    import difflib

    product = f"write {name}*(...) for a product"
    if name.lower() in FUNCTION_NAMES:  # ReLU, Abs, Sin
        return f"did you mean {name.lower()}(...)? or {product}"
    if name in _OTHER_NAMES:
        other = _OTHER_NAMES[name]
        return f"did you mean {other if '(' in other else other + '(...)'}? or {product}"
    close = difflib.get_close_matches(name, sorted(FUNCTION_NAMES), n=1, cutoff=0.75)
    return f"did you mean {close[0]}(...)? or {product}" if close else product
