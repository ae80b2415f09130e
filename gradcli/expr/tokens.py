"""From user text to Python text: the tokenizer and the rewriter, with a column map.

The tokenizer reads the user's text, refusing every character and name outside the grammar with a
caret and a reason. The rewriter turns the accepted conveniences (``^``, implicit multiplication
``2x``/``3x y``/``2(x+1)``, Unicode ``x² · × − π √``) into plain Python syntax, remembering for
each output character the column of the user's text it came from, so that later errors still point
at what the user typed.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gradcli.errors import ParseError
from gradcli.expr.grammar import (
    CONSTANT_NAMES,
    DIGITS,
    FUNCTION_NAMES,
    GREEK,
    MAX_DEPTH,
    MAX_EXPONENT10,
    MAX_LITERAL_DIGITS,
    MAX_NAME_LENGTH,
    MAX_UNARY_RUN,
    NAME_RE,
    NON_FINITE_NAMES,
    NUMBER_RE,
    OPERATOR_CHARS,
    REFUSED_CHARS,
    SUPERSCRIPTS,
    unknown_function_hint,
)


# --- tokens -------------------------------------------------------------------------------------
@dataclass
class Token:
    kind: str  # num name op lpar rpar comma super sqrt, and bar eq (resolved before rewriting)
    text: str  # Python spelling
    col: int  # column in the user's text
    # An lpar the parser added around sin^2(x) (expr.notation): a bracket, never a call's
    group: bool = False

    @property
    def call_bracket(self) -> bool:
        """True for a '(' that makes the name before it a call."""
        return self.kind == "lpar" and not self.group


def _fail(message: str, source: str, col: int, hint: str | None = None) -> ParseError:
    return ParseError(message, source=source, column=col, hint=hint)


def tokenize(source: str) -> list[Token]:
    """The tokens of ``source``, or a :class:`ParseError` at the first thing outside the grammar."""
    toks: list[Token] = []
    i, n = 0, len(source)
    opened: list[int] = []  # columns of the '(' not closed yet
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
            continue
        if ch in DIGITS or (ch == "." and i + 1 < n and source[i + 1] in DIGITS):
            m = NUMBER_RE.match(source, i)
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
            toks.append(Token("num", text, i))
            i = m.end()
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = NAME_RE.match(source, i)
            assert m is not None
            toks.append(Token("name", _check_name(m.group(0), source, i), i))
            i = m.end()
            continue
        if ch in GREEK:
            toks.append(Token("name", _check_name(GREEK[ch], source, i), i))
            i += 1
            continue
        if ch in SUPERSCRIPTS:
            j = i
            while j < n and source[j] in SUPERSCRIPTS:
                j += 1
            digits = "".join(SUPERSCRIPTS[c] for c in source[i:j])
            if not re.fullmatch(r"[+-]?\d+", digits):
                raise _fail("a superscript power must be a whole number, like x² or x⁻¹", source, i)
            toks.append(Token("super", digits, i))
            i = j
            continue
        if ch == "√" or ch == "∛":
            toks.append(Token("sqrt", "sqrt" if ch == "√" else "cbrt", i))
            i += 1
            continue
        if ch in "+-*/^" or ch in OPERATOR_CHARS:
            if source.startswith("**", i):
                toks.append(Token("op", "**", i))
                i += 2
            elif source.startswith("//", i):
                raise _fail("floor division '//' is not supported", source, i, hint="use '/'")
            else:
                op = "**" if ch == "^" else OPERATOR_CHARS.get(ch, ch)
                toks.append(Token("op", op, i))
                i += 1
            continue
        if ch == "(":
            opened.append(i)
            if len(opened) > MAX_DEPTH:
                raise _fail(f"nesting too deep (more than {MAX_DEPTH} levels)", source, i)
            toks.append(Token("lpar", "(", i))
            i += 1
            continue
        if ch == ")":
            if not opened:
                raise _fail("unmatched ')'", source, i)
            opened.pop()
            toks.append(Token("rpar", ")", i))
            i += 1
            continue
        if ch == ",":
            toks.append(Token("comma", ",", i))
            i += 1
            continue
        if ch in "|∣｜":  # abs bars (also as pasted from PDFs); expr.bars pairs them
            toks.append(Token("bar", "|", i))
            i += 1
            continue
        if ch == "=":
            if source.startswith("==", i):
                raise _fail(REFUSED_CHARS["<"], source, i)
            if opened:  # only 'f(x) = ...' at the top is a definition (expr.notation)
                raise _fail(
                    "assignment ('=') is not allowed", source, i, hint="give f's formula only"
                )
            toks.append(Token("eq", "=", i))
            i += 1
            continue
        if ch in REFUSED_CHARS:
            raise _fail(REFUSED_CHARS[ch], source, i)
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
    if name in NON_FINITE_NAMES:
        raise _fail(f"non-finite constants like {name!r} are not allowed", source, col)
    if name == "lambda":
        return "_lambda"  # a variable here; '_' cannot start a user's name, so no clash
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise _fail(f"{name!r} is a Python keyword, not allowed in expressions", source, col)
    return name


def _check_unary_runs(toks: Sequence[Token], source: str) -> None:
    run = 0
    for k, tok in enumerate(toks):
        is_unary = (
            tok.kind == "op"
            and tok.text in "+-"
            and (k == 0 or toks[k - 1].kind in ("op", "lpar", "comma", "bar", "eq"))
        )
        run = run + 1 if is_unary else 0
        if run > MAX_UNARY_RUN:
            raise _fail(f"too many signs in a row (more than {MAX_UNARY_RUN})", source, tok.col)


# --- rewriting to Python syntax -----------------------------------------------------------------
VALUE_END = ("num", "name", "rpar", "super")  # a token that may end a value
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


def rewrite(toks: list[Token], source: str) -> tuple[str, list[int]]:
    """Python text for the tokens, and for each of its characters the column it came from."""
    out = _Writer()
    _emit_range(toks, 0, len(toks), out, source)
    return out.text(), out.origin


def _atom_end(toks: list[Token], k: int, source: str) -> int:
    """Index just past the atom starting at k (what √ applies to), including trailing superscripts."""
    if k >= len(toks):
        raise _fail("'√' needs something to take the root of", source, toks[k - 1].col)
    tok = toks[k]
    if tok.kind == "sqrt":
        end = _atom_end(toks, k + 1, source)
    elif tok.kind == "lpar":
        end = _matching(toks, k) + 1
    elif tok.kind == "name" and k + 1 < len(toks) and toks[k + 1].call_bracket:
        end = _matching(toks, k + 1) + 1
    elif tok.kind in ("num", "name"):
        end = k + 1
    else:
        raise _fail("'√' needs a number, a name or a bracket after it", source, tok.col)
    while end < len(toks) and toks[end].kind == "super":
        end += 1
    return end


def _matching(toks: list[Token], k: int) -> int:
    depth = 0
    for j in range(k, len(toks)):
        if toks[j].kind == "lpar":
            depth += 1
        elif toks[j].kind == "rpar":
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1  # unreachable: the tokenizer checked the brackets balance


def _emit_range(toks: list[Token], start: int, stop: int, out: _Writer, source: str) -> None:
    prev: Token | None = None
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
            prev = Token("rpar", ")", tok.col)
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


def _join(prev: Token, tok: Token, out: _Writer, source: str) -> None:
    """Between two tokens: insert the implied '*', or refuse what cannot be meant."""
    if prev.kind == "name" and prev.text in FUNCTION_NAMES:
        if tok.kind != "lpar":
            raise _function_needs_brackets(prev, source)
        return  # a call
    if tok.kind == "super" and prev.kind not in VALUE_END:
        raise _fail("a superscript power needs something before it", source, tok.col)
    if prev.kind == "name" and tok.call_bracket:
        shown = prev.text.lstrip("_")
        if shown in CONSTANT_NAMES:
            raise _fail(
                f"{shown!r} is a constant, not a function",
                source,
                prev.col,
                hint=f"write {shown}*(...)",
            )
        raise _fail(
            f"unknown function {shown!r}", source, prev.col, hint=unknown_function_hint(shown)
        )
    if prev.kind == "num" and tok.kind == "num":
        raise _fail("two numbers in a row", source, tok.col, hint="put an operator between them")
    if prev.kind in VALUE_END and tok.kind in _VALUE_START:
        out.put("*", tok.col)


def _function_needs_brackets(tok: Token, source: str) -> ParseError:
    return _fail(
        f"{tok.text!r} is a function and needs brackets",
        source,
        tok.col,
        hint=f"write {tok.text}(x)",
    )
