"""Absolute-value bars: which '|' opens and which closes.

``|x|`` is ``abs(x)``. A bar is the same character at both ends, so the tokenizer only marks each
one (a ``bar`` token) and this module decides, per bracket level, how they pair:

- a bar can close only right after a value (``|x|``, ``|f(x)|``, ``||x||``) and while one is open;
- a bar can open anywhere a value may start (``|x|+|y|``, ``2|x|``, ``|x||y|`` as a product);
- where both are possible, it closes, unless no pairing of the remaining bars would then work:
  ``|x - |y||`` and ``|2|x||`` nest, ``|x|y|z|`` is ``|x|·y·|z|``.

That is decided left to right with a feasibility table computed right to left (a bitmask of the open
counts from which the rest can still pair up), so it is linear in the number of bars. Bars never
pair across a bracket, a comma or ``=``. The result is plain tokens: an opening bar becomes
``abs (`` and a closing bar ``)``, both at the bar's column, so carets still point at the bar.
"""

from __future__ import annotations

from collections.abc import Sequence

from gradcli.errors import ParseError
from gradcli.expr.grammar import MAX_DEPTH
from gradcli.expr.tokens import VALUE_END, Token

_OPENS_VALUE = ("num", "name", "lpar", "sqrt", "bar")  # what may follow an opening bar


def _fail(message: str, source: str, col: int, hint: str | None = None) -> ParseError:
    return ParseError(message, source=source, column=col, hint=hint)


def resolve_bars(toks: list[Token], source: str) -> list[Token]:
    """``toks`` with every ``bar`` token replaced by ``abs (`` or ``)``; a caret if they cannot pair."""
    if not any(t.kind == "bar" for t in toks):
        return toks
    opens: dict[int, bool] = {}  # token index of a bar -> True if it opens
    region: list[int] = []  # the bars of the innermost bracket level, by token index
    stack: list[list[int]] = []  # the regions of the enclosing bracket levels
    for k, tok in enumerate(toks):
        if tok.kind == "bar":
            region.append(k)
        elif tok.kind == "lpar":
            stack.append(region)
            region = []
        elif tok.kind in ("rpar", "comma", "eq"):
            _pair(toks, region, len(stack), k, source, opens)
            region = stack.pop() if tok.kind == "rpar" else []
    _pair(toks, region, len(stack), len(toks), source, opens)
    out: list[Token] = []
    depth = 0  # brackets and bars together stay within MAX_DEPTH, as brackets alone did
    for k, tok in enumerate(toks):
        if tok.kind == "bar" and opens[k]:
            out.extend((Token("name", "abs", tok.col), Token("lpar", "(", tok.col)))
        elif tok.kind == "bar":
            out.append(Token("rpar", ")", tok.col))
        else:
            out.append(tok)
        depth += {"lpar": 1, "rpar": -1}.get(out[-1].kind, 0)
        if depth > MAX_DEPTH:
            raise _fail(f"nesting too deep (more than {MAX_DEPTH} levels)", source, tok.col)
    return out


def _pair(
    toks: Sequence[Token],
    bars: list[int],
    depth: int,
    stop: int,
    source: str,
    opens: dict[int, bool],
) -> None:
    """Decide the bars of one bracket level (token indices ``bars``, the level ending at ``stop``)."""
    if not bars:
        return
    room = max(MAX_DEPTH - depth, 0)  # how many bars may be open at once at this level
    limit = (1 << (room + 1)) - 1
    m = len(bars)
    # after_value[i]: True/False if the token before bar i is/is not a value's end; None when it is
    # the previous bar (then it depends on whether that bar closed).
    after_value: list[bool | None] = []
    may_open: list[bool] = []
    for i, k in enumerate(bars):
        if i and bars[i - 1] == k - 1:
            after_value.append(None)
        else:
            after_value.append(k > 0 and toks[k - 1].kind in VALUE_END)
        nxt = toks[k + 1] if k + 1 < stop else None
        may_open.append(
            nxt is not None
            and (nxt.kind in _OPENS_VALUE or (nxt.kind == "op" and nxt.text in ("+", "-")))
        )
    # feasible[i][c]: bitmask of the open counts before bar i from which bars i.. can pair up,
    # c = 1 if bar i-1 closed (matters only when bar i follows it directly).
    feasible: list[tuple[int, int]] = [(0, 0)] * (m + 1)
    feasible[m] = (1, 1)
    for i in range(m - 1, -1, -1):
        if_open = (feasible[i + 1][0] >> 1) if may_open[i] else 0
        if_close = (feasible[i + 1][1] << 1) & limit
        closes_after = (after_value[i] is True, after_value[i] is not False)  # by c = 0, 1
        feasible[i] = (
            if_open | (if_close if closes_after[0] else 0),
            if_open | (if_close if closes_after[1] else 0),
        )
    open_cols: list[int] = []
    closed_last = False
    solvable = bool(feasible[0][0] & 1)
    for i, k in enumerate(bars):
        value_before = closed_last if after_value[i] is None else bool(after_value[i])
        o = len(open_cols)
        if solvable:
            close = value_before and o > 0 and bool(feasible[i + 1][1] >> (o - 1) & 1)
        else:  # no pairing works: close where possible, so the error names the first loose bar
            close = value_before and o > 0
        if close:
            open_cols.pop()
        else:
            if len(open_cols) >= room:
                raise _fail(f"nesting too deep (more than {MAX_DEPTH} levels)", source, toks[k].col)
            open_cols.append(toks[k].col)
        opens[k] = not close
        closed_last = close
    if open_cols:
        where = toks[stop] if stop < len(toks) else None
        reason = "" if where is None else f" before the {_kind_name(where)}"
        nested = "inside |...| a '|' right after a value closes: write |2*|x|| or use abs(...)"
        raise _fail(
            f"unclosed '|'{reason}",
            source,
            open_cols[-1],
            hint=nested if m > 1 else "|x| is abs(x): close it with another '|'",
        )


def _kind_name(tok: Token) -> str:
    return {"rpar": "')'", "comma": "','", "eq": "'='"}.get(tok.kind, repr(tok.text))
