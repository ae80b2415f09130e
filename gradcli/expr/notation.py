"""The notation of lessons and textbooks, read at the level of tokens (after expr.bars).

- ``f(x, y) = x^2 + y^2``, ``y = 5x``: the left side names the result (and may fix the variable
  order); only the right side is the function.
- ``sin^2(x)``, ``sin²(x)``, ``ln^3(x)``: a whole power written on a function name is the power of
  its value, ``(sin(x))^2``. ``sin^-1(x)`` is refused: students mean the inverse, ``asin(x)``.
- ``σ(z)`` and ``sigma(z)`` called like a function are the sigmoid; ``sigma`` alone stays a variable.
- ``xy``, ``3xy``, ``sinx`` stay one variable, as ever, but a :class:`ReadingNote` says how they were
  read and how to write the product or the call (the CLI prints it on stderr; nothing here prints).

Tokens keep the user's columns, so every caret still points at what the user typed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from gradcli.errors import ParseError
from gradcli.expr.grammar import CONSTANT_NAMES, DIGITS, FUNCTION_NAMES
from gradcli.expr.tokens import Token
from gradcli.function import ReadingNote

# The inverse a student means by f^-1, where gradcli has it.
_INVERSES = {
    "sin": "asin",
    "cos": "acos",
    "tan": "atan",
    "sinh": "asinh",
    "cosh": "acosh",
    "tanh": "atanh",
    "asin": "sin",
    "acos": "cos",
    "atan": "tan",
    "asinh": "sinh",
    "acosh": "cosh",
    "atanh": "tanh",
    "exp": "ln",
    "ln": "exp",
    "log": "exp",
}
# Letters that are variables in a lesson even when the expression uses them only glued (``3xy``).
_USUAL_LETTERS = frozenset("xyz")
MAX_NAME_NOTES = 4  # glued names noted one by one; beyond that one line counts the rest


def _fail(message: str, source: str, col: int, hint: str | None = None) -> ParseError:
    return ParseError(message, source=source, column=col, hint=hint)


def _shown(name: str) -> str:
    return "lambda" if name == "_lambda" else name


# --- f(x, y) = ... ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Head:
    """The left side of ``f(x, y) = ...`` (``variables`` None for ``y = ...``)."""

    name: str
    col: int
    variables: tuple[str, ...] | None = None


def refuse_definition(toks: list[Token], source: str) -> None:
    """For a constant (a point, a ``let`` value): no '=' at all."""
    for tok in toks:
        if tok.kind == "eq":
            raise _fail(
                "assignment ('=') is not allowed", source, tok.col, hint="give a value only"
            )


def split_definition(toks: list[Token], source: str) -> tuple[Head | None, list[Token]]:
    """The head of ``f(x, y) = formula`` (None without '=') and the formula's tokens."""
    eqs = [k for k, tok in enumerate(toks) if tok.kind == "eq"]
    if not eqs:
        return None, toks
    example = "give f's formula only, or name it: f(x, y) = x^2 + y^2"
    if len(eqs) > 1:
        raise _fail("only one '=' is allowed", source, toks[eqs[1]].col, hint=example)
    k = eqs[0]
    left, body = toks[:k], toks[k + 1 :]
    if not left:
        raise _fail("'=' needs the name of the result before it", source, toks[k].col, hint=example)
    if not body:
        raise _fail("nothing after '='", source, len(source.rstrip()), hint=example)
    equation = example
    if [t.kind for t in body] in (["num"], ["op", "num"]):  # 'x^2 + y^2 = 1'
        side = source[: toks[k].col].strip()
        value = source[toks[k].col + 1 :].strip()
        equation = f"that is a level set: gradcli level '{side}' --value {value}"
    head = _head(left, source, example, equation)
    _check_not_on_the_right(head, body, source)
    return head, body


def _head(left: list[Token], source: str, example: str, equation: str) -> Head:
    first = left[0]
    if first.kind == "name" and len(left) == 1:
        return Head(_shown(first.text), first.col)
    if not (first.kind == "name" and len(left) >= 3 and left[1].kind == "lpar"):
        raise _fail(
            "an equation is not a function: only a name like y or f(x, y) may stand left of '='",
            source,
            first.col,
            hint=equation,
        )
    inner = left[2:-1]
    if left[-1].kind != "rpar" or any(t.kind in ("lpar", "rpar") for t in inner):
        raise _fail(
            "left of '=' write the variables as f(x, y): names and commas only",
            source,
            left[1].col,
            hint=example,
        )
    if not inner:
        raise _fail(f"{_shown(first.text)}() lists no variables", source, left[1].col, hint=example)
    names: list[str] = []
    for j, tok in enumerate(inner):
        want = "name" if j % 2 == 0 else "comma"
        if tok.kind != want:
            raise _fail(
                "left of '=' write the variables as f(x, y): names and commas only",
                source,
                tok.col,
                hint=example,
            )
        if want == "comma":
            continue
        name = _shown(tok.text)
        if name in CONSTANT_NAMES or name in FUNCTION_NAMES:
            what = "a constant" if name in CONSTANT_NAMES else "a function"
            raise _fail(f"{name!r} is {what}, not a variable", source, tok.col)
        if name in names:
            raise _fail(f"{name!r} is listed twice", source, tok.col)
        names.append(name)
    if inner[-1].kind == "comma":
        raise _fail("a variable is missing after ','", source, inner[-1].col, hint=example)
    return Head(_shown(first.text), first.col, tuple(names))


def _check_not_on_the_right(head: Head, body: list[Token], source: str) -> None:
    for k, tok in enumerate(body):
        if tok.kind != "name" or _shown(tok.text) != head.name:
            continue
        called = k + 1 < len(body) and body[k + 1].kind == "lpar"
        if called and head.name in FUNCTION_NAMES:
            continue  # 'relu(x) = max(0, x)' names the result after a function; calls are calls
        if called or head.variables is not None:
            raise _fail(
                f"{head.name!r} is the function being defined; it cannot be used on its right",
                source,
                tok.col,
            )
        raise _fail(
            f"{head.name!r} names the result left of '=', so it cannot be a variable on the right: "
            "an equation is not a formula",
            source,
            tok.col,
            hint=f"give the formula for {head.name} only",
        )


# --- sin^2(x), σ(z) -----------------------------------------------------------------------------
def read_calls(toks: list[Token], source: str) -> tuple[list[Token], list[ReadingNote]]:
    """``σ(z)``/``sigma(z)`` as sigmoid calls and ``f^n(x)`` as ``(f(x))**n``, in one pass."""
    notes: list[ReadingNote] = []
    if not any(
        a.kind == "name"
        and (
            a.text == "sigma"
            or (a.text in FUNCTION_NAMES and (b.kind == "super" or b.text == "**"))
        )
        for a, b in itertools.pairwise(toks)
    ):
        return toks, notes  # the common case, on every command's path: nothing to rewrite
    out: list[Token] = []
    pending: list[tuple[int, list[Token], int]] = []  # (depth of the call's '(', power, column)
    depth = 0
    k, n = 0, len(toks)
    while k < n:
        tok = toks[k]
        called = k + 1 < n and toks[k + 1].kind == "lpar"
        if tok.kind == "name" and tok.text == "sigma" and called:
            if not source.startswith("σ", tok.col) and not notes:
                notes.append(
                    ReadingNote(
                        "sigmoid",
                        "read 'sigma(...)' as sigmoid(...); write sigma*(...) for a product",
                        tok.col,
                    )
                )
            tok = Token("name", "sigmoid", tok.col)
        if (
            tok.kind == "name"
            and tok.text in FUNCTION_NAMES
            and k + 1 < n
            and _powered(toks[k + 1])
        ):
            power, call = _function_power(toks, k, source)
            # '(' f '(' ... ')' '**' n ')': the outer brackets keep sin^2(x)^3 = (sin(x)^2)^3
            out.extend((Token("lpar", "(", tok.col, group=True), tok))
            pending.append((depth, power, tok.col))
            k = call
            continue
        out.append(tok)
        if tok.kind == "lpar":
            depth += 1
        elif tok.kind == "rpar":
            depth -= 1
            if pending and pending[-1][0] == depth:
                _, power, col = pending.pop()
                out.extend(power)
                out.append(Token("rpar", ")", col))
        k += 1
    return out, notes


def _powered(tok: Token) -> bool:
    return tok.kind == "super" or (tok.kind == "op" and tok.text == "**")


def _function_power(toks: list[Token], k: int, source: str) -> tuple[list[Token], int]:
    """For the function name at ``k`` followed by a power: the power as tokens to put after the
    call, and the index of the call's '('; a refusal for anything but a whole power from 1 up."""
    name, n = toks[k].text, len(toks)
    first = toks[k + 1]
    sign, digits, j = "", None, k + 2
    if first.kind == "super":
        digits = first.text.lstrip("+-")
        sign = first.text[: len(first.text) - len(digits)]
    else:
        bracket = j < n and toks[j].kind == "lpar"
        j += bracket
        if j < n and toks[j].kind == "op" and toks[j].text in ("+", "-"):
            sign, j = toks[j].text, j + 1
        if j < n and toks[j].kind == "num":
            digits, j = toks[j].text, j + 1
        if bracket:
            if j < n and toks[j].kind == "rpar" and digits is not None:
                j += 1
            else:
                digits = None
    if digits is None or not all(c in DIGITS for c in digits):
        written = "" if digits is None else f"^{sign}{digits}"
        raise _fail(
            f"a power written on {name!r} must be a whole number, as in {name}^2(x)",
            source,
            toks[k].col,
            hint=f"write {name}(x)^({written[1:] or '...'})",
        )
    if "-" in sign:
        inverse = _INVERSES.get(name)
        if digits.lstrip("0") == "1":
            hint = f"write 1/{name}(x) for the reciprocal"
            if inverse:
                hint = (
                    f"write {inverse}(x) for the inverse function, 1/{name}(x) for the reciprocal"
                )
            raise _fail(
                f"{name}^-1 is ambiguous (inverse or reciprocal?)", source, toks[k].col, hint
            )
        raise _fail(
            f"{name}^-{digits} is ambiguous",
            source,
            toks[k].col,
            hint=f"write {name}(x)^(-{digits})",
        )
    if not digits.lstrip("0"):
        raise _fail(
            f"a power written on {name!r} must be at least 1",
            source,
            toks[k].col,
            hint=f"write {name}(x)^0",
        )
    if j >= n or toks[j].kind != "lpar":
        simple = j < n and toks[j].kind in ("name", "num")
        if simple and j + 1 < n and toks[j + 1].kind == "lpar":
            simple = False  # 'sin^2 cos(x)', 'sin^2|x|' (abs): not an argument to show as is
        arg = toks[j].text if simple else "..."
        raise _fail(
            f"{name!r} is a function and needs brackets",
            source,
            toks[k].col,
            hint=f"write {name}({_shown(arg)})^{digits}",
        )
    col = first.col  # str(int()): Python reads '02' as an error, not as 2
    return [Token("op", "**", col), Token("num", str(int(digits)), col)], j


# --- xy, sinx -----------------------------------------------------------------------------------
def glued_names(toks: list[Token], source: str, letters: Iterable[str] = ()) -> list[ReadingNote]:
    """Notes for names that read as products or calls glued together: ``xy`` (when x and y are
    variables, or the usual x, y, z), ``sinx``. Their meaning does not change: a name is a name."""
    singles = set(_USUAL_LETTERS) | {s for s in letters if len(s) == 1}
    singles |= {
        t.text
        for t in toks
        if t.kind == "name" and len(t.text) == 1 and t.text not in CONSTANT_NAMES
    }
    notes: list[ReadingNote] = []
    seen: set[str] = set()
    extra = 0
    for k, tok in enumerate(toks):
        name = tok.text
        if (
            tok.kind != "name"
            or len(name) < 2
            or not name[-1].isalpha()  # x12, w_1: a subscript, never a product or a call
            or name in seen
            or name in FUNCTION_NAMES
            or name in CONSTANT_NAMES
            or not source.startswith(name, tok.col)  # a Greek letter, typed as one character
            or (k + 1 < len(toks) and toks[k + 1].call_bracket)  # a call: refused elsewhere
        ):
            continue
        seen.add(name)
        advice = _product(name, singles) or _call(name, singles)
        if advice is None:
            continue
        if len(notes) == MAX_NAME_NOTES:
            extra += 1
            continue
        notes.append(
            ReadingNote(
                "one-variable", f"read {name!r} as the one variable {name}; {advice}", tok.col
            )
        )
    if extra:
        notes.append(
            ReadingNote(
                "one-variable",
                f"and {extra} more name(s) like these, each read as one variable",
                len(source),  # after the others, when they are put in the order they were typed
            )
        )
    return notes


def _product(name: str, singles: set[str]) -> str | None:
    if set(name) <= singles:
        return f"write {'*'.join(name)} (or {' '.join(name)}) for a product"
    return None


# The longest function name a name starts with, followed by letters only ('sinx', 'log2x').
_CALL_RE = re.compile(
    "(" + "|".join(sorted(FUNCTION_NAMES, key=len, reverse=True)) + ")([A-Za-z]+)"
)


def _call(name: str, singles: set[str]) -> str | None:
    m = _CALL_RE.fullmatch(name)
    if m is None or not set(m.group(2)) <= singles:
        return None
    function, rest = m.groups()
    return f"write {function}({'*'.join(rest)}) to apply {function}"
