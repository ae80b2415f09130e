"""Named functions: the classic surfaces of optimisation lessons, usable as ``@name`` for any EXPR.

Each :class:`Preset` carries its formula in gradcli syntax (what ``@name`` expands to, echoed so the
user can copy and edit it), a suggested plotting range and descent start, and its known minima with
the value of the function there (checked in the tests: the gradient vanishes, the Hessian is
positive definite, and the value matches). Pure core: no sympy needed to look anything up.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from gradcli.errors import UsageError

__all__ = ["PRESETS", "Preset", "expand", "get", "lookup", "names"]

Range = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Preset:
    """A named test function of (x, y).

    ``minima`` are the known minima (global first, then local), each with ``values[i]`` = f there;
    functions without a minimum (the saddles) have none, and ``notes`` say what they have instead.
    """

    name: str
    title: str
    formula: str
    description: str
    range: Range
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...] = ()
    values: tuple[float, ...] = ()
    notes: str = ""

    @property
    def global_minima(self) -> tuple[tuple[float, float], ...]:
        """The minima with the smallest listed value."""
        if not self.values:
            return ()
        best = min(self.values)
        return tuple(m for m, v in zip(self.minima, self.values) if v - best <= 1e-9)


PRESETS: tuple[Preset, ...] = (
    Preset(
        name="bowl",
        title="Bowl",
        formula="x**2 + y**2",
        description="The round paraboloid: every gradient points straight away from the bottom.",
        range=((-3.0, 3.0), (-3.0, 3.0)),
        start=(2.5, 1.5),
        minima=((0.0, 0.0),),
        values=(0.0,),
        notes="Hessian 2I: gradient descent with lr = 0.5 lands on the minimum in one step.",
    ),
    Preset(
        name="ravine",
        title="Ravine",
        formula="x**2 + 25*y**2",
        description="An ill-conditioned quadratic: a long narrow valley along the x-axis.",
        range=((-5.0, 5.0), (-2.0, 2.0)),
        start=(-4.5, 1.0),
        minima=((0.0, 0.0),),
        values=(0.0,),
        notes=(
            "Condition number 25: plain descent zig-zags across the valley and crawls along it; "
            "lr above 2/50 = 0.04 diverges in y. Momentum and Adam help."
        ),
    ),
    Preset(
        name="saddle",
        title="Saddle",
        formula="x**2 - y**2",
        description="The horse saddle: up along x, down along y.",
        range=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.5, 0.01),
        notes=(
            "No minimum: (0, 0) is a saddle point (Hessian eigenvalues 2 and −2). f is unbounded "
            "below, so descent approaches the saddle along x and then runs off along y."
        ),
    ),
    Preset(
        name="monkey_saddle",
        title="Monkey saddle",
        formula="x**3 - 3*x*y**2",
        description="Three valleys and three ridges meet at the origin (room for a monkey's tail).",
        range=((-2.0, 2.0), (-2.0, 2.0)),
        start=(0.5, 0.8),
        notes=(
            "No minimum: (0, 0) is a degenerate stationary point — the Hessian is zero there, "
            "so the second-derivative test cannot classify it."
        ),
    ),
    Preset(
        name="plateau",
        title="Plateau",
        formula="1 - exp(-(x**2 + y**2))",
        description="A narrow well in a flat plain: far from the centre the gradient all but vanishes.",
        range=((-4.0, 4.0), (-4.0, 4.0)),
        start=(2.0, 2.0),
        minima=((0.0, 0.0),),
        values=(0.0,),
        notes="From the start ‖∇f‖ ≈ 0.002: descent creeps across the plateau before it drops in.",
    ),
    Preset(
        name="rosenbrock",
        title="Rosenbrock",
        formula="(1 - x)**2 + 100*(y - x**2)**2",
        description="The banana valley: easy to find, slow to follow to the minimum.",
        range=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.2, 1.0),
        minima=((1.0, 1.0),),
        values=(0.0,),
        notes="The classic start is (−1.2, 1). The valley floor is flat and curved.",
    ),
    Preset(
        name="himmelblau",
        title="Himmelblau",
        formula="(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        description="Four equal minima: which one descent finds depends on where it starts.",
        range=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.0, 0.0),
        minima=(
            (3.0, 2.0),
            (-2.805118086953, 3.131312518251),
            (-3.779310253378, -3.283185991286),
            (3.584428340330, -1.848126526964),
        ),
        values=(0.0, 0.0, 0.0, 0.0),
        notes="Also a local maximum near (−0.270845, −0.923039) and four saddles.",
    ),
    Preset(
        name="beale",
        title="Beale",
        formula="(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        description="Flat plateaus and sharp ridges near the corners of its domain.",
        range=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.0),
        minima=((3.0, 0.5),),
        values=(0.0,),
        notes="Steep walls: large learning rates overshoot badly.",
    ),
    Preset(
        name="booth",
        title="Booth",
        formula="(x + 2*y - 7)**2 + (2*x + y - 5)**2",
        description="A tilted quadratic bowl (a least-squares problem in disguise).",
        range=((-10.0, 10.0), (-10.0, 10.0)),
        start=(-5.0, -5.0),
        minima=((1.0, 3.0),),
        values=(0.0,),
        notes="Hessian [[10, 8], [8, 10]]: eigenvalues 18 and 2.",
    ),
    Preset(
        name="matyas",
        title="Matyas",
        formula="0.26*(x**2 + y**2) - 0.48*x*y",
        description="A flat, elongated bowl along the diagonal y = x.",
        range=((-10.0, 10.0), (-10.0, 10.0)),
        start=(8.0, -6.0),
        minima=((0.0, 0.0),),
        values=(0.0,),
        notes="Hessian eigenvalues 1 and 0.04: progress along the diagonal is very slow.",
    ),
    Preset(
        name="rastrigin",
        title="Rastrigin",
        formula="20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
        description="A bowl covered in egg-box bumps: a local minimum near every integer point.",
        range=((-5.12, 5.12), (-5.12, 5.12)),
        start=(2.2, -3.1),
        minima=((0.0, 0.0),),
        values=(0.0,),
        notes="Only the global minimum is listed; gradient descent stops in the nearest dimple.",
    ),
    Preset(
        name="three_hump_camel",
        title="Three-hump camel",
        formula="2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
        description="One global minimum between two shallower local ones.",
        range=((-2.5, 2.5), (-2.5, 2.5)),
        start=(-1.5, 1.5),
        minima=(
            (0.0, 0.0),
            (1.747552345830, -0.873776172915),
            (-1.747552345830, 0.873776172915),
        ),
        values=(0.0, 0.298638442237, 0.298638442237),
        notes="Saddles at about (±1.0705, ∓0.5353) separate the three basins.",
    ),
    Preset(
        name="mccormick",
        title="McCormick",
        formula="sin(x + y) + (x - y)**2 - 1.5*x + 2.5*y + 1",
        description="A wavy trough: a sine along x + y on a parabola across it.",
        range=((-1.5, 4.0), (-3.0, 4.0)),
        start=(3.0, 3.0),
        minima=(
            (-0.547197551197, -1.547197551197),
            (2.594395102393, 1.594395102393),
        ),
        values=(-1.913222954981, 1.228369698609),
        notes=(
            "Global minimum on its usual box [−1.5, 4] × [−3, 4] at (1/2 − π/3, −1/2 − π/3) "
            "= −√3/2 − π/3; outside the box f is unbounded below as x + y → −∞."
        ),
    ),
    Preset(
        name="styblinski_tang",
        title="Styblinski–Tang",
        formula="(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)/2",
        description="Four basins from a quartic in each coordinate; the deepest is at the lower left.",
        range=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.5, 0.5),
        minima=(
            (-2.903534027771, -2.903534027771),
            (-2.903534027771, 2.746802770991),
            (2.746802770991, -2.903534027771),
            (2.746802770991, 2.746802770991),
        ),
        values=(-78.332331407543, -64.195612359055, -64.195612359055, -50.058893310568),
        notes="Global minimum f = −39.16617 per coordinate (2-D version: −78.33233).",
    ),
)

_ALIASES = {"camel": "three_hump_camel", "monkey": "monkey_saddle", "styblinski": "styblinski_tang"}


def _key(name: str) -> str:
    """Spelling-insensitive key: 'Three-Hump Camel', 'three_hump_camel' and 'threehumpcamel' agree."""
    return re.sub(r"[\s_\-–—]", "", name.strip().lower())


_BY_KEY = {_key(p.name): p for p in PRESETS}
_BY_KEY.update({_key(a): _BY_KEY[_key(n)] for a, n in _ALIASES.items()})


def names() -> list[str]:
    """The preset names, in listing order."""
    return [p.name for p in PRESETS]


def get(name: str) -> Preset:
    """The preset called ``name`` (any case, '-' or '_' or nothing between words, '@' optional).

    Unknown names raise :class:`UsageError` (exit 2) with the closest names as a hint.
    """
    wanted = name.strip().removeprefix("@")
    preset = _BY_KEY.get(_key(wanted))
    if preset is not None:
        return preset
    close = difflib.get_close_matches(_key(wanted), list(_BY_KEY), n=3, cutoff=0.5)
    suggestions = list(dict.fromkeys(_BY_KEY[c].name for c in close))
    if suggestions:
        hint = "did you mean " + " or ".join(f"@{s}" for s in suggestions) + "?"
    else:
        hint = "known functions: " + ", ".join(f"@{n}" for n in names())
    raise UsageError(f"unknown function @{wanted}", hint=f"{hint} (gradcli functions lists them)")


# '@name' as a whole EXPR may use '-' between words; inside a longer formula only '_' (a '-' there
# is a minus sign).
_WHOLE = re.compile(r"\s*@\s*([A-Za-z][\w\-–]*)\s*")
_EMBEDDED = re.compile(r"@([A-Za-z]\w*)")


def lookup(text: str) -> Preset | None:
    """The preset if ``text`` is exactly ``@name`` (for plots that mark its minima), else None."""
    m = _WHOLE.fullmatch(text)
    return get(m.group(1)) if m else None


def expand(text: str) -> str | None:
    """Expand ``@name`` into its formula, or return None when ``text`` names no preset.

    ``"@rosenbrock"`` -> ``"(1 - x)**2 + 100*(y - x**2)**2"``. A preset may also be used inside a
    longer expression, ``"@bowl + 0.1*x"``, where it is bracketed: ``"(x**2 + y**2) + 0.1*x"``.
    Unknown names raise :class:`UsageError`.
    """
    if "@" not in text:
        return None
    preset = lookup(text)
    if preset is not None:
        return preset.formula
    expanded = _EMBEDDED.sub(lambda m: f"({get(m.group(1)).formula})", text)
    return expanded if expanded != text else None
