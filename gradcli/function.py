"""The parsed function: a sympy expression with its variables in a fixed order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sympy


@dataclass(frozen=True)
class ReadingNote:
    """How the parser read a spelling that could mean something else (``xy`` is one variable,
    ``sigma(z)`` is the sigmoid): one line, for the user to see. The core never prints these; the
    CLI writes them on stderr.

    ``kind`` is ``"one-variable"`` or ``"sigmoid"``; ``column`` is where it was typed.
    """

    kind: str
    message: str
    column: int = 0

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Function:
    """A real-valued function of ordered real variables, as understood from the user's text.

    ``expr`` is built by :func:`gradcli.expr.parse` (never by ``sympify``), ``variables`` are real
    ``Symbol``s in the order every point, gradient and CSV column uses, and ``source`` is the text the
    user typed (kept for error carets and echoes). ``notes`` say how ambiguous spellings were read
    (they do not take part in equality: they describe the reading, not the function).
    """

    expr: sympy.Expr
    variables: tuple[sympy.Symbol, ...]
    source: str = ""
    notes: tuple[ReadingNote, ...] = field(default=(), compare=False)

    @cached_property
    def index(self) -> dict[sympy.Symbol, int]:
        """Each variable's position: looked up once per expression evaluated, never searched."""
        return {v: i for i, v in enumerate(self.variables)}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def understood(self) -> str:
        """The expression as gradcli understood it, in sympy/Python syntax (re-parseable)."""

        def make() -> str:
            import sympy

            return str(sympy.sstr(self.expr))

        return str(self.printed("understood", make))

    def printed(self, key: str, make: Callable[[], Any]) -> Any:
        """The printed form ``key`` of f (its text, a figure's title, an axis label: str or a
        list of str), made by ``make`` the first time it is asked for. A function recalled from
        the cache (:mod:`gradcli.recalled`) brings them stored, so nothing parses f to print it;
        the forms a run made are what the cache keeps."""
        forms: dict[str, Any] = self.__dict__.setdefault("_forms", {})
        if key not in forms:
            forms[key] = make()
        return forms[key]

    def printed_forms(self) -> dict[str, Any]:
        """The printed forms made (or brought) so far, by key: what the cache keeps of them."""
        return dict(self.__dict__.get("_forms", {}))

    @property
    def signature(self) -> str:
        return f"f({', '.join(self.names)})"

    def __str__(self) -> str:
        return f"{self.signature} = {self.understood}"
