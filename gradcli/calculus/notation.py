"""The project's notation: one Unicode printer for sympy expressions and one way to name a derivative.

:class:`UnicodePrinter` writes ``x² + 2√x·|y|`` and :func:`derivative_name` writes ``∂²f/∂y∂x``
(or its LaTeX ``\\frac{\\partial^{2} f}{\\partial y \\partial x}``). Both serve two clients that sit on
different layers: the tables (``gradcli.views.text.pretty``, the ``∂f/∂x`` row of ``partial``) and
the step-by-step explainer (``gradcli.calculus.explain``), whose sentences are part of its result.

Why here: calculus may not import views, and views may import calculus, so the shared printer has
to live in calculus. It is a small module of its own rather than part of
``gradcli.calculus.explain.notation`` so that ``calculus.results`` and ``views.text`` can use it
without loading the explainer's rule engine and mpmath verifier. The explainer's own voice (ln, H(u),
δ(u), 1/x² for negative powers) is a subclass in ``gradcli.calculus.explain.notation``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

__all__ = ["UnicodePrinter", "derivative_name", "step_footnote", "superscript"]

_SUPER = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def superscript(n: int) -> str:
    """12 -> ¹², -1 -> ⁻¹."""
    return str(n).translate(_SUPER)


class UnicodePrinter(StrPrinter):
    """One-line Unicode maths for people, not for re-parsing: x², √x, |x|, π, e, 2x·y.

    Use :meth:`text` (``doprint`` plus the finishing touches). The hooks ``_superscripted``,
    ``_square_root``, ``_bare_root``, ``_print_other_power`` and ``_finish`` are what a subclass
    changes; as it stands this is the tables' printer, which leaves powers it does not prettify
    (x⁻², x^1.5, x¹⁰⁰) in sympy's own spelling with ``^``.
    """

    # A number written straight against a name or bracket: 2·x -> 2x, 2·√10 -> 2√10.
    _JUXTAPOSE: ClassVar[re.Pattern[str]] = re.compile(r"(?<![\w.])(\d+)·(?=[A-Za-zπδ√(|])")

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"order": None, **(settings or {})})

    def text(self, expr: Any) -> str:
        """``expr`` as one line of Unicode."""
        return self._finish(str(self.doprint(expr)))

    # hooks -----------------------------------------------------------------------------------------
    def _finish(self, text: str) -> str:
        """Touches on the whole printed line (sympy's ``*``/``**`` become ``·``/``^``)."""
        return self._JUXTAPOSE.sub(r"\1", text.replace("**", "^").replace("*", "·"))

    def _superscripted(self, n: int) -> bool:
        """Whether the integer power n is written as a superscript (x²) rather than x^n."""
        return 2 <= n <= 99

    def _square_root(self, exp: Any) -> bool:
        """Whether a power with exponent ``exp`` is written √."""
        # == 1 / 2 also catches a Float 0.5, which the tables have always shown as √.
        return bool(exp == 1 / 2 or (exp.is_Rational and exp.p == 1 and exp.q == 2))

    def _bare_root(self, base: Any) -> bool:
        """Whether √ can stand directly before ``base`` without brackets."""
        return bool(base.is_Atom)

    def _print_other_power(self, expr: Any, rational: bool) -> str:
        return str(super()._print_Pow(expr, rational))

    # sympy's printing methods ----------------------------------------------------------------------
    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exp = expr.args
        if exp.is_Integer and self._superscripted(int(exp)):
            return self.parenthesize(base, PRECEDENCE["Pow"], strict=True) + superscript(int(exp))
        if self._square_root(exp):
            inner = self._print(base)
            return "√" + (inner if self._bare_root(base) else f"({inner})")
        return self._print_other_power(expr, rational)

    def _print_Abs(self, expr: Any) -> str:
        return f"|{self._print(expr.args[0])}|"

    # The non-smooth functions as people write them. H(u) is the unit step whatever its value at 0
    # (sympy's second argument): that value matters only at u = 0, and is given there by
    # :func:`step_footnote` and the kink notes, not inside every formula.
    def _print_Heaviside(self, expr: Any) -> str:
        return f"H({self._print(expr.args[0])})"

    def _print_DiracDelta(self, expr: Any) -> str:
        k = int(expr.args[1]) if len(expr.args) > 1 else 0
        primes = {0: "", 1: "′", 2: "″", 3: "‴"}.get(k, f"⁽{superscript(k)}⁾")
        return f"δ{primes}({self._print(expr.args[0])})"

    def _print_Max(self, expr: Any) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr: Any) -> str:
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_sign(self, expr: Any) -> str:
        return f"sign({self._print(expr.args[0])})"

    def _print_Pi(self, expr: Any) -> str:
        return "π"

    def _print_Exp1(self, expr: Any) -> str:
        return "e"


def derivative_name(
    names: Sequence[str], *, partial: bool = True, latex: bool = False, f: str = "f"
) -> str:
    """The name of a derivative of ``f``: ∂f/∂x, ∂²f/∂x², ∂²f/∂y∂x, d³f/dx³.

    ``names`` are the variables (as they should be printed) in the order they are differentiated
    by; the last one is written first, since ∂/∂y (∂f/∂x) = ∂²f/∂y∂x, and repeats in a row are
    grouped as a power. ``partial`` picks ∂ over d; ``latex`` gives the same name as a ``\\frac``.
    No names at all is ``f`` itself.
    """
    if not names:
        return f
    groups: list[tuple[str, int]] = []
    for name in reversed(names):
        if groups and groups[-1][0] == name:
            groups[-1] = (name, groups[-1][1] + 1)
        else:
            groups.append((name, 1))
    n = len(names)
    if latex:
        d = r"\partial " if partial else "d"
        den = " ".join(f"{d}{name}" + (f"^{{{k}}}" if k > 1 else "") for name, k in groups)
        order = f"^{{{n}}}" if n > 1 else ""
        return rf"\frac{{{d}{order} {f}}}{{{den}}}"
    d = "∂" if partial else "d"
    den = "".join(f"{d}{name}" + (superscript(k) if k > 1 else "") for name, k in groups)
    return f"{d}{superscript(n) if n > 1 else ''}{f}/{den}"


def step_footnote(exprs: Sequence[Any], printer: UnicodePrinter | None = None) -> str | None:
    """What H(0) is, for formulas that hold a unit step whose value at 0 is not the ½ of
    ``heaviside(u)`` (relu′ is H(u) with H(0) = 0, as in PyTorch); None when no such step is shown.

    'H is the unit step (1 above 0, 0 below); H(0) = 0 in H(x), ½ in H(x − y)'.
    """
    import sympy

    steps: dict[Any, None] = {}
    for e in exprs:
        if isinstance(e, sympy.Basic):
            steps.update(
                dict.fromkeys(sorted(e.atoms(sympy.Heaviside), key=sympy.default_sort_key))
            )
    half = sympy.S.Half
    if all(len(h.args) < 2 or h.args[1] == half for h in steps):
        return None
    p = printer or UnicodePrinter()
    by_value: dict[Any, list[str]] = {}
    for h in steps:
        at_zero = h.args[1] if len(h.args) > 1 else half
        by_value.setdefault(at_zero, []).append(p.text(h))
    parts = [
        ("H(0) = " if i == 0 else "") + f"{'½' if v == half else p.text(v)} in {', '.join(names)}"
        for i, (v, names) in enumerate(by_value.items())
    ]
    return "H is the unit step (1 above 0, 0 below); " + "; ".join(parts)
