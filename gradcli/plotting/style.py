"""Look and feel: themes, the run/point palette and the math-text title (numbers: views.text)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gradcli.views.text import decimal

if TYPE_CHECKING:
    from gradcli.function import Function

THEMES = ("light", "dark")

# Bright, mutually distinct colours; every overlay line also gets a dark or light outline (see
# ``outline``) so it stays visible on any colormap band.
PALETTE = (
    "#ff3b30",  # red
    "#ffffff",  # white
    "#ff2fd0",  # magenta
    "#2fd4ff",  # cyan
    "#ff9500",  # orange
    "#7cff4f",  # lime
    "#3a5bff",  # blue
    "#ffd60a",  # yellow
)
PALETTE_ON_WHITE = (  # the same idea for the 1-D plots drawn on a plain background
    "#d62728",
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
)


def theme_rc(theme: str, base: float = 13.0) -> dict[str, Any]:
    """rcParams for a figure: slide-sized fonts and the light or dark colours."""
    fg, bg = ("#1a1a1a", "white") if theme == "light" else ("#ececec", "#16181d")
    pane = (0.95, 0.95, 0.95, 0.5) if theme == "light" else (1.0, 1.0, 1.0, 0.06)
    return {
        "font.size": base,
        "axes.titlesize": base + 3,
        "axes.labelsize": base + 2,
        "xtick.labelsize": base,
        "ytick.labelsize": base,
        "legend.fontsize": base - 1,
        "figure.facecolor": bg,
        "axes.facecolor": bg,
        "savefig.facecolor": bg,
        "text.color": fg,
        "axes.labelcolor": fg,
        "axes.edgecolor": fg,
        "xtick.color": fg,
        "ytick.color": fg,
        "grid.color": "#888888",
        "legend.facecolor": bg,
        "legend.edgecolor": "#888888",
        "legend.framealpha": 0.9,
        "axes.unicode_minus": True,
        # A matplotlibrc's text.usetex would send every label through LaTeX, which cannot set the
        # Unicode in them (∇f, −, ↗) and failed the whole figure; --math-font cm is the LaTeX look.
        "text.usetex": False,
        "svg.hashsalt": "gradcli",  # stable ids: the same figure gives the same bytes
        "path.simplify": True,
        **{f"axes3d.{axis}axis.panecolor": pane for axis in "xyz"},
    }


# --math-font: the mathtext font set and the text font beside it, so labels and formulas match. Each
# family list ends in a DejaVu font, whose glyphs fill in what the first lacks (cmr10 has no ∇, −,
# π or arrows). Only fonts matplotlib ships are named: the same command writes the same bytes on
# any machine.
MATH_FONTS: dict[str, dict[str, Any]] = {
    "cm": {  # Computer Modern, as in a LaTeX deck
        "mathtext.fontset": "cm",
        "font.family": ["cmr10", "DejaVu Serif"],
        "axes.formatter.use_mathtext": True,  # tick numbers in Computer Modern too
    },
    "stix": {  # STIX: Times-like, as with the newtx/mathptmx packages
        "mathtext.fontset": "stix",
        "font.family": ["STIXGeneral", "DejaVu Serif"],
        "axes.formatter.use_mathtext": True,
    },
    "dejavu": {  # matplotlib's default look, whatever a matplotlibrc says
        "mathtext.fontset": "dejavusans",
        "font.family": ["DejaVu Sans"],
        "axes.formatter.use_mathtext": False,
    },
}


def math_font_rc(name: str | None) -> dict[str, Any]:
    """rcParams for ``--math-font NAME``; nothing for None (the matplotlibrc's fonts are kept)."""
    return dict(MATH_FONTS[name]) if name else {}


def foreground(theme: str) -> str:
    return "#1a1a1a" if theme == "light" else "#ececec"


def outline(color: str) -> str:
    """The outline colour that makes ``color`` stand out: dark around light colours and vice versa."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 0.35 else "#f5f5f5"


TYPED_MAX = 300  # characters of source rebuilt in typed order; longer formulas get sympy's form


def typed_latex(expr: Any, source: str) -> str | None:
    """LaTeX for the formula in the order it was typed — ``(y - x^2)^2``, not sympy's
    ``(-x^2 + y)^2`` — or None when that cannot be had (a preset, a --let, a slow or different
    rebuild). The source is rebuilt by gradcli's own parser with sympy's evaluation off; it is
    used only if evaluating it gives back exactly the expression that was parsed."""
    import sympy

    from gradcli.errors import GradcliError
    from gradcli.expr.build import build_sympy
    from gradcli.limits import bounded

    if not source or len(source) > TYPED_MAX:
        return None

    def rebuild() -> str | None:
        with sympy.evaluate(False):
            typed = _flatten(build_sympy(source)[0])
        if typed.doit() != expr:
            return None
        return str(sympy.latex(typed, order="none"))

    try:
        return bounded(0.5, rebuild, None, "the typed title")
    except (GradcliError, ValueError, TypeError, AttributeError, RecursionError):
        return None


def _flatten(expr: Any) -> Any:
    """Unevaluated ``(a + b) + c`` printed as ``a + b + c``: nested sums and products merged (the
    parser builds them two operands at a time), nothing else touched."""
    if not expr.args:
        return expr
    args = [_flatten(a) for a in expr.args]
    if expr.is_Add or expr.is_Mul:
        merged: list[Any] = []
        for a in args:
            merged.extend(a.args if a.func is expr.func else [a])
        args = merged
    return expr.func(*args)


# Delimiters around content that needs no taller ones: no fraction, root, big operator or nested
# \left inside (superscripts are fine: LaTeX sets (x^2 + y^2) with plain parentheses too).
_FLAT_PAIR = re.compile(
    r"\\left([(\[|])((?:(?!\\left|\\right|\\frac|\\sqrt|\\sum|\\prod|\\int).)*?)"
    r"\\right([)\]|])"
)


def flat_delimiters(latex: str) -> str:
    """``\\left(x \\right)`` as ``(x)`` wherever the content is flat. matplotlib's Computer
    Modern draws a sized delimiter around a short argument too small — sin(x) came out with
    parentheses half the height of the x — while plain ones are set right."""
    for _ in range(latex.count("\\left")):  # innermost pairs first, then the pairs around them
        flatter = _FLAT_PAIR.sub(lambda m: f"{m[1]}{m[2].rstrip()}{m[3]}", latex)
        if flatter == latex:
            break
        latex = flatter
    return latex


def math_title(
    fn: Function,
    fixed: Mapping[str, float],
    fontset: str = "dejavusans",
) -> str:
    """``$f(x, y) = x^{2} + y^{2}$`` as matplotlib math text — the formula in the order it was
    typed when the source rebuilds to f — or plain text when mathtext cannot typeset it.
    ``fontset`` is the mathtext font set it will be drawn in (see :func:`flat_delimiters`)."""
    text = str(fn.printed(f"title {fontset}", lambda: _settable_title(fn, fontset == "cm")))
    if fixed:
        text += "   at " + ", ".join(
            f"{k} = {decimal(v, 4, typographic=True)}" for k, v in fixed.items()
        )
    return text


def _settable_title(fn: Function, flat: bool) -> str:
    """The title mathtext can set (``flat``: with :func:`flat_delimiters`), else the plain text.
    Whether mathtext reads it depends on the text and the font set (the printed form's key) and
    on matplotlib's version (the cache's key): a recalled f has the answer stored, parses nothing."""
    from matplotlib.mathtext import MathTextParser

    text, plain = formula_title(fn.expr, fn.names, fn.source)
    if flat:
        text = flat_delimiters(text)
    try:
        MathTextParser("path").parse(text)
    except (ValueError, RuntimeError):
        return plain
    return text


def formula_title(expr: Any, names: tuple[str, ...], source: str = "") -> list[str]:
    """The title's two spellings, before a font is chosen: math text (typed order if mathtext
    reads it, else sympy's LaTeX) and the plain text used where mathtext cannot set that."""
    import sympy
    from matplotlib.mathtext import MathTextParser

    symbols = [sympy.Symbol(n) for n in names]
    lhs = "f(" + ", ".join(sympy.latex(s) for s in symbols) + ")"
    typed = typed_latex(expr, source)
    text = f"${lhs} = {typed or sympy.latex(expr)}$"
    if typed is not None:
        try:
            MathTextParser("path").parse(text)
        except (ValueError, RuntimeError):
            text = f"${lhs} = {sympy.latex(expr)}$"
    return [text, f"f({', '.join(names)}) = {sympy.sstr(expr)}"]


def axis_label(name: str, fn: Function | None = None) -> str:
    """``$x_{1}$`` for the variable ``x1``: as f's printed form when ``fn`` is given (a recalled f
    has it stored)."""

    def make() -> str:
        import sympy

        return f"${sympy.latex(sympy.Symbol(name))}$"

    return str(fn.printed(f"label {name}", make)) if fn is not None else make()
