"""The two printers of symbolic results for other programs: text that plain ``sympy.sympify`` reads
back as the same function, and LaTeX for slides.

Machine text (JSON/CSV ``function``, ``gradient``, ``derivative``, ``hessian``, ``equation``, …) is
sympy's ``sstr`` with the spellings ``sympify`` would misread replaced:

- a variable whose name sympify takes for something else (``lambda`` is a keyword; ``beta``,
  ``gamma``, ``I``, ``N``, ``S``, ``Q``, ``Max`` … are sympy's) is written ``Symbol('I')``;
- gradcli's real cube root is written ``(sign(u)*Abs(u)**(1/3))`` — sympy's ``cbrt`` is the
  principal, complex root of a negative number;
- relu is written ``Max(0, u)`` and every step ``Heaviside(u, H0)`` with its value at 0, so that no
  sympy version's default for ``H(0)`` matters.

Read back with ``sympy.sympify(text)``; the variables come back as plain symbols (gradcli's are real),
so compare by name, e.g. ``expr.subs({s: sympy.Symbol(s.name, real=True) for s in expr.free_symbols})``.
"""

from __future__ import annotations

import builtins
import functools
import keyword
from typing import Any

from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter


@functools.cache
def _sympify_namespace() -> frozenset[str]:
    """Every name ``sympify`` resolves to something other than a new Symbol: sympy's public
    names (it parses with ``from sympy import *``) and Python's builtins."""
    import sympy

    return frozenset(sympy.__all__) | frozenset(dir(builtins))


def reads_back(name: str) -> bool:
    """Whether ``sympify(name)`` is ``Symbol(name)``."""
    return name.isidentifier() and not keyword.iskeyword(name) and name not in _sympify_namespace()


class MachinePrinter(StrPrinter):
    """``sstr`` whose text ``sympify`` maps back to an equal expression (see the module doc)."""

    def _print_Symbol(self, expr: Any) -> str:
        name = str(expr.name)
        return name if reads_back(name) else f"Symbol({name!r})"

    def _print_relu(self, expr: Any) -> str:
        return f"Max(0, {self._print(expr.args[0])})"

    def _print_cbrt(self, expr: Any) -> str:
        u = self._print(expr.args[0])
        return f"(sign({u})*Abs({u})**(1/3))"  # bracketed: it may be raised to a power

    def _print_Heaviside(self, expr: Any) -> str:
        return "Heaviside(" + ", ".join(self._print(a) for a in expr.args) + ")"


class SlideLatexPrinter(LatexPrinter):
    """sympy's LaTeX with the step written H(u), as the explainer and textbooks do: sympy's θ(u)
    collides with a variable called theta (``relu(x) + theta**2*x`` printed θ² + θ(x))."""

    def _print_Heaviside(self, expr: Any, exp: Any = None) -> str:
        tex = rf"H\left({self._print(expr.args[0])}\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_Pow(self, expr: Any) -> str:
        # gradcli's real cube root prints itself as \sqrt[3]{u}; a power of it needs brackets.
        if type(expr.base).__name__ == "cbrt" and not expr.exp.is_negative:
            root = self._print(expr.base)
            return rf"\left({root}\right)^{{{self._print(expr.exp)}}}"
        return str(super()._print_Pow(expr))


def machine(expr: Any) -> str:
    """``expr`` as text that ``sympy.sympify`` reads back as the same expression."""
    return str(MachinePrinter().doprint(expr))


def latex(expr: Any) -> str:
    """``expr`` in LaTeX, with H(u) for the step function."""
    return str(SlideLatexPrinter().doprint(expr))


def equations(lines: list[str]) -> str:
    """Several equations as one display that keeps them apart (one per line); one stays as it is."""
    if len(lines) <= 1:
        return "".join(lines)
    return "\\begin{gathered}\n" + " \\\\\n".join(lines) + "\n\\end{gathered}"
