"""Exact stationary points: ∇f = 0 solved by methods that know when they have found every solution.

In order of preference:

* **linear** — f quadratic: ``linsolve`` gives the one point, none, or an affine set.
* **elimination** — polynomial ∇f: a common factor of the components is a curve (or surface) of
  stationary points; the rest has finitely many solutions, and every coordinate of every one of
  them is a real root of a univariate eliminant (a lex Gröbner basis; for two variables the
  resultant). The candidates are the product of those roots, checked at 50 digits — complete.
* **factored** — each component a product of factors (exp(…) and other never-zero factors
  dropped): ∇f = 0 where one factor of every component vanishes. Choosing one factor per component,
  univariate equations are solved by ``solveset`` inside the range, which enumerates periodic
  solutions (sin, cos) there — complete within the range.
* **sympy** — ``solve`` on a small system, never complete (it drops roots it cannot write down).

Everything here runs under one time bound set by the caller; caps on the system's size (Bézout
number, candidates, branches) stop it early with the reason ("size", "form" or "time").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gradcli.calculus.results import StationarySet

MAX_BEZOUT = 100  # product of the components' degrees (dense systems past ~64 take seconds)
MAX_CANDIDATES = 4096  # products of eliminant roots checked at 50 digits
MAX_CHOICES = 256  # one factor per component: combinations explored
MAX_ROOTS = 2000  # solutions of one univariate equation inside the range
MAX_POINTS = 2000  # points from all factor choices together (Σcos(xᵢ) in 25 variables has 3²⁵)
SYMPY_MAX_VARIABLES = 3  # sympy.solve only on small systems: its memory grows fast with size
SYMPY_MAX_OPS = 400
FACTOR_MAX_OPS = 2000  # factor larger components as they stand
CHECK_DIGITS = 50


class GiveUp(Exception):
    """The exact solve cannot go on; ``reason`` is "size" or "form"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ExactOutcome:
    points: list[tuple[Any, ...]] = field(default_factory=list)
    sets: list[StationarySet] = field(default_factory=list)
    complete: bool = False
    scope: str = "everywhere"  # where ``complete`` holds
    method: str = "none"
    periodic: bool = False
    gave_up: str | None = None
    # The points as floats, in the same order, where the solve already knows them (elimination
    # does, to 50 digits); empty: the caller evaluates ``points`` itself.
    values: list[tuple[float, ...]] = field(default_factory=list)


def _sp() -> Any:
    import sympy

    return sympy


def rational(expr: Any) -> Any:
    """Floats as the rationals they were typed as (2.1 -> 21/10): polynomial algebra over ℚ is exact."""
    sp = _sp()
    floats = expr.atoms(sp.Float)
    return expr.xreplace({f: sp.Rational(str(f)) for f in floats}) if floats else expr


def zero_factors(expr: Any, variables: Sequence[Any]) -> list[Any]:
    """The factors of ``expr`` that can vanish: constants, exp(…), 1/(…) and factors sympy knows
    to be positive or negative for real variables are dropped; powers are replaced by their base."""
    sp = _sp()
    if sp.count_ops(expr) <= FACTOR_MAX_OPS:
        expr = sp.factor(expr)
    out: list[Any] = []
    for arg in sp.Mul.make_args(expr):
        if not arg.free_symbols & set(variables) or isinstance(arg, sp.exp):
            continue
        base, power = arg.as_base_exp()
        if power.is_number and power.is_positive:
            arg = base
        elif power.is_number and power.is_negative:
            continue  # 1/g is never zero (and undefined where g is)
        if isinstance(arg, sp.exp) or arg.is_positive or arg.is_negative:
            continue
        if arg not in out:
            out.append(arg)
    return out


def solve_exact(components: Sequence[Any], variables: Sequence[Any], bounds: Any) -> ExactOutcome:
    """The stationary points of f from its gradient ``components`` (call under a time bound)."""
    sp = _sp()
    comps = [rational(c) for c in components]
    comps = [c for c in comps if not (c.is_number and c == 0)]
    n = len(variables)
    if not comps:  # f is constant: every point is stationary
        return ExactOutcome(sets=[StationarySet((), n)], complete=True, method="linear")
    factors = [zero_factors(c, variables) for c in comps]
    if any(not fs for fs in factors):  # a component that never vanishes: no stationary point
        return ExactOutcome(complete=True, method="factored")
    try:
        if all(f.is_polynomial(*variables) for fs in factors for f in fs):
            polys = [sp.Mul(*fs) for fs in factors]
            return polynomial(polys, variables)
        return _Factored(variables, bounds).solve(factors)
    except GiveUp as stop:
        if stop.reason == "size":  # too many solutions or too high a degree for sympy too
            return ExactOutcome(gave_up="size")
        outcome = _sympy_solve(comps, variables)
        outcome.gave_up = stop.reason
        return outcome


# --- polynomial systems ---------------------------------------------------------------------------
def polynomial(exprs: Sequence[Any], variables: Sequence[Any]) -> ExactOutcome:
    """Every real solution of a polynomial system (complete), or GiveUp."""
    sp = _sp()
    try:
        polys = [sp.Poly(e, *variables) for e in exprs]
    except sp.PolynomialError:
        raise GiveUp("form") from None
    if any(not p.domain.is_QQ and not p.domain.is_ZZ for p in polys):
        raise GiveUp("form")  # irrational coefficients (π, √2): no exact elimination over ℚ
    n = len(variables)
    if n == 1:  # one equation in one unknown: its real roots, exactly
        (v,) = variables
        product = sp.Mul(*(p.as_expr() for p in polys))
        if sp.Poly(product, v).is_zero:
            return ExactOutcome(sets=[StationarySet((), 1)], complete=True, method="elimination")
        roots = list(dict.fromkeys(sp.Poly(product, v).real_roots()))
        return ExactOutcome([(r,) for r in roots], complete=True, method="roots")
    sets: list[StationarySet] = []
    common = polys[0]
    for p in polys[1:]:
        common = common.gcd(p)
    if common.total_degree() > 0:
        # ∇f = h·q: zero wherever h is, and where every q_i is.
        factors = [f.as_expr() for f, _ in common.factor_list()[1]]
        for factor in sorted(factors, key=sp.default_sort_key):
            sets.append(StationarySet((factor,), n - 1))
        polys = [p.quo(common) for p in polys]
    if any(p.is_ground and not p.is_zero for p in polys):
        return ExactOutcome(sets=sets, complete=True, method="elimination")
    polys = [p for p in polys if not p.is_zero]
    if all(p.total_degree() <= 1 for p in polys):
        linear = _linear([p.as_expr() for p in polys], variables)
        linear.sets[:0] = sets
        return linear
    if math.prod(p.total_degree() for p in polys) > MAX_BEZOUT:
        raise GiveUp("size")
    roots = [_eliminant_roots(polys, variables, i) for i in range(n)]
    if math.prod(len(r) for r in roots) > MAX_CANDIDATES:
        raise GiveUp("size")
    # Each root at 50 digits once: the candidates are products of the same few roots (81 points
    # from 9 + 9 roots for Himmelblau), and a CRootOf's evalf is what costs here.
    digits = [[_digits(r) for r in axis] for axis in roots]
    floats = [[_float(d) for d in axis] for axis in digits]
    chosen = [
        choice
        for choice in itertools.product(*(range(len(axis)) for axis in roots))
        if _vanishes(polys, [digits[i][k] for i, k in enumerate(choice)])
    ]
    return ExactOutcome(
        [tuple(roots[i][k] for i, k in enumerate(choice)) for choice in chosen],
        sets,
        complete=True,
        method="elimination",
        values=[tuple(floats[i][k] for i, k in enumerate(choice)) for choice in chosen],
    )


def _linear(exprs: Sequence[Any], variables: Sequence[Any]) -> ExactOutcome:
    sp = _sp()
    solutions = sp.linsolve(list(exprs), list(variables))
    if not solutions:
        return ExactOutcome(complete=True, method="linear")
    (solution,) = solutions
    if not any(c.free_symbols for c in solution):
        return ExactOutcome([tuple(solution)], complete=True, method="linear")
    equations = tuple(v - c for v, c in zip(variables, solution) if v != c)
    free = sum(1 for v, c in zip(variables, solution) if v == c)
    return ExactOutcome(sets=[StationarySet(equations, free)], complete=True, method="linear")


def _eliminant_roots(polys: Sequence[Any], variables: Sequence[Any], i: int) -> list[Any]:
    """The distinct real roots of the eliminant of the system in ``variables[i]``."""
    sp = _sp()
    v = variables[i]
    others = [w for j, w in enumerate(variables) if j != i]
    if len(polys) == 2 and len(variables) == 2:
        eliminant = sp.Poly(sp.resultant(polys[0].as_expr(), polys[1].as_expr(), others[0]), v)
    else:
        basis = sp.groebner([p.as_expr() for p in polys], *others, v, order="lex")
        if list(basis.exprs) == [1]:
            return []
        univariate = [g for g in basis.exprs if g.free_symbols <= {v}]
        if not univariate:
            raise GiveUp("form")  # not finitely many (complex) solutions: a curve in ℂⁿ
        eliminant = sp.Poly(univariate[0], v)
    if eliminant.is_zero:
        raise GiveUp("form")
    if eliminant.is_ground:
        return []
    found: list[Any] = []
    for r in eliminant.real_roots():
        if r not in found:
            found.append(r)
    return found


def _digits(root: Any) -> Any:
    """An exact real root as an mpmath number good to CHECK_DIGITS digits.

    sympy's own ``evalf(50)`` of a CRootOf bisects its isolating interval in rational arithmetic
    (3 ms a root, most of ``critical``'s work on Himmelblau); Newton inside the same interval,
    kept there by bisection, gets the 50 digits in a few steps.
    """
    import mpmath

    sp = _sp()
    with mpmath.workdps(CHECK_DIGITS):
        if root.is_Rational:
            return mpmath.mpf(root.p) / root.q
        if isinstance(root, sp.CRootOf) and root.is_real:
            try:
                (a, b), _ = root.poly.intervals()[root.index]
                coeffs = [int(c) for c in root.poly.all_coeffs()]
            except (IndexError, TypeError, ValueError, sp.PolynomialError):
                pass  # not the integer polynomial with isolated real roots expected
            else:
                found = _newton_in(coeffs, sp.Rational(a), sp.Rational(b))
                if found is not None:
                    return +found  # rounded to CHECK_DIGITS
        return mpmath.mpf(str(root.evalf(CHECK_DIGITS)))


def _float(value: Any) -> float:
    """A root known to 50 digits as the float ``complex(sympy.N(root, 17))`` gives for it.

    The same rounding steps, from a rational that agrees with the root to 50 digits: sympy
    rounds the root's rational approximation to 17 digits and 4 guard bits, then to 17 digits,
    then to a float; the results differ only if the root lay within 1e-50 of a rounding boundary.
    """
    sp = _sp()
    man, exp = value.man_exp  # the mantissa without its sign
    man = -man if value < 0 else man
    exact = sp.Integer(man) * sp.Integer(2) ** exp if exp >= 0 else sp.Rational(man, 2**-exp)
    return complex(sp.N(exact, 17)).real


def _newton_in(coeffs: Sequence[int], a: Any, b: Any) -> Any:
    """The one root of the integer polynomial ``coeffs`` in its isolating interval [a, b], to 10
    digits beyond CHECK_DIGITS, or None if the polynomial does not change sign there.

    Safeguarded Newton (Numerical Recipes' ``rtsafe``): a step that would leave the bracket, or
    that does not at least halve the one before, is a bisection instead, so it always converges.
    """
    import mpmath

    with mpmath.workdps(CHECK_DIGITS + 10):
        lo, hi = mpmath.mpf(a.p) / a.q, mpmath.mpf(b.p) / b.q
        f_lo, f_hi = mpmath.polyval(coeffs, lo), mpmath.polyval(coeffs, hi)
        if f_lo == 0:
            return lo
        if f_hi == 0:
            return hi
        if (f_lo > 0) == (f_hi > 0):
            return None
        if f_lo > 0:  # orient the bracket: p(lo) < 0 < p(hi)
            lo, hi = hi, lo
        tolerance = mpmath.mpf(10) ** -(CHECK_DIGITS + 5) * max(1, abs(lo), abs(hi))
        x = (lo + hi) / 2
        dx = dx_old = abs(hi - lo)
        fx, dfx = mpmath.polyval(coeffs, x, derivative=True)
        for _ in range(1000):  # bisection alone takes [a, b] (a few units wide) to 1e-60 in 210
            if ((x - hi) * dfx - fx) * ((x - lo) * dfx - fx) > 0 or abs(2 * fx) > abs(dx_old * dfx):
                dx_old, dx = dx, (hi - lo) / 2
                x = lo + dx
            else:
                dx_old, dx = dx, fx / dfx
                x = x - dx
            if abs(dx) <= tolerance:
                return x
            fx, dfx = mpmath.polyval(coeffs, x, derivative=True)
            if fx == 0:
                return x
            if fx < 0:
                lo = x
            else:
                hi = x
    return None


def _vanishes(polys: Sequence[Any], xs: Sequence[Any]) -> bool:
    """Whether every polynomial is zero at the point ``xs`` (see :func:`_digits`), judged at 50
    digits against the size of its terms there (a true root leaves ~1e-50 of them; a false one,
    far more than 1e-30)."""
    import mpmath

    with mpmath.workdps(CHECK_DIGITS):
        for p in polys:
            total = mpmath.mpf(0)
            size = mpmath.mpf(0)
            for monom, coeff in p.terms():
                term = mpmath.mpf(coeff.p) / coeff.q
                for x, k in zip(xs, monom):
                    term *= x**k
                total += term
                size += abs(term)
            if abs(total) > mpmath.mpf(10) ** (-30) * size:
                return False
    return True


# --- factored systems -----------------------------------------------------------------------------
class _Factored:
    """∇f = 0 as: for every component, one of its factors is zero, solved inside the range."""

    def __init__(self, variables: Sequence[Any], bounds: Sequence[tuple[float, float]]) -> None:
        sp = _sp()
        self.variables = list(variables)
        self.box = {
            v: sp.Interval(sp.Rational(repr(lo)), sp.Rational(repr(hi)))
            for v, (lo, hi) in zip(variables, bounds)
        }
        self.points: list[tuple[Any, ...]] = []
        self.sets: list[StationarySet] = []
        self.periodic = False
        self.solved: dict[tuple[Any, Any], list[Any]] = {}  # (equation in a stand-in, interval)

    def solve(self, factors: Sequence[Sequence[Any]]) -> ExactOutcome:
        if math.prod(len(fs) for fs in factors) > MAX_CHOICES:
            raise GiveUp("size")
        for choice in itertools.product(*factors):
            self._branch(list(dict.fromkeys(choice)), {})
        points = list(dict.fromkeys(self.points))
        sets = list(dict.fromkeys(self.sets))
        return ExactOutcome(
            points, sets, complete=True, scope="range", method="factored", periodic=self.periodic
        )

    def _branch(self, equations: list[Any], assigned: dict[Any, Any]) -> None:
        sp = _sp()
        current = []
        for e in equations:
            e = e.xreplace(assigned) if assigned else e
            if e.free_symbols & set(self.variables):
                current.append(e)
            elif not _is_zero(e):
                return  # a nonzero constant: this branch has no solution
        free = [v for v in self.variables if v not in assigned]
        if not current:
            if free:
                fixed = tuple(v - c for v, c in assigned.items())
                self.sets.append(StationarySet(fixed, len(free)))
            else:
                self.points.append(tuple(assigned[v] for v in self.variables))
                if len(self.points) > MAX_POINTS:
                    raise GiveUp("size")
            return
        single = [e for e in current if len(e.free_symbols & set(free)) == 1]
        if len(single) == len(current):
            # Separable (each equation in one variable): the count is known before enumerating.
            per_variable: dict[Any, int] = {}
            for e in single:
                (v,) = e.free_symbols & set(free)
                count = len(self._roots(e, v))
                per_variable[v] = min(per_variable.get(v, count), count)
            if math.prod(per_variable.values()) + len(self.points) > MAX_POINTS:
                raise GiveUp("size")
        if single:
            e = min(single, key=sp.count_ops)
            (v,) = e.free_symbols & set(free)
            rest = [q for q in current if q is not e]
            for r in self._roots(e, v):
                self._branch(rest, {**assigned, v: r})
            return
        if all(e.is_polynomial(*free) for e in current):
            sub = polynomial(current, free)
            fixed = tuple(v - c for v, c in assigned.items())
            for p in sub.points:
                values = dict(zip(free, p))
                self.points.append(tuple(assigned.get(v, values.get(v)) for v in self.variables))
            for s in sub.sets:
                self.sets.append(StationarySet(fixed + s.equations, s.dimension))
            return
        if len(current) < len(free):  # fewer equations than unknowns: a curve or surface
            fixed = tuple(v - c for v, c in assigned.items())
            self.sets.append(StationarySet(fixed + tuple(current), len(free) - len(current)))
            return
        raise GiveUp("form")

    def _roots(self, e: Any, v: Any) -> list[Any]:
        # Keyed by the equation in a stand-in variable and its interval: sin(x1) = 0 … sin(x25) = 0
        # over one range are one solve, not 25 (each a solveset of a periodic function).
        stand_in = _sp().Symbol("_stand_in", **v.assumptions0)
        key = (e.xreplace({v: stand_in}), self.box[v])
        if key not in self.solved:
            self.solved[key] = self._solve_one(e, v)
        return self.solved[key]

    def _solve_one(self, e: Any, v: Any) -> list[Any]:
        sp = _sp()
        solutions = sp.solveset(e, v, self.box[v])
        if solutions is sp.S.EmptySet:
            return []
        if not isinstance(solutions, sp.FiniteSet):
            raise GiveUp("form")
        if len(solutions) > MAX_ROOTS:
            raise GiveUp("size")
        if not self.periodic and e.has(sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc):
            everywhere = sp.solveset(e, v, sp.S.Reals)
            self.periodic = not isinstance(everywhere, sp.FiniteSet)
        return [r for r in solutions if _is_real(r)]


def _is_zero(e: Any) -> bool:
    if e.is_zero:
        return True
    if e.is_zero is False:
        return False
    value = complex(e.evalf(30))
    return abs(value) < 1e-20


def _is_real(c: Any) -> bool:
    value = complex(c.evalf(20))
    return math.isfinite(value.real) and abs(value.imag) <= 1e-12 * max(1.0, abs(value.real))


# --- sympy.solve, the last resort -----------------------------------------------------------------
def _sympy_solve(comps: Sequence[Any], variables: Sequence[Any]) -> ExactOutcome:
    """What ``sympy.solve`` gives on a small system; never called complete."""
    sp = _sp()
    if len(variables) > SYMPY_MAX_VARIABLES or sum(sp.count_ops(c) for c in comps) > SYMPY_MAX_OPS:
        return ExactOutcome(gave_up="size")
    try:
        solutions = sp.solve(list(comps), list(variables), dict=True)
    except (NotImplementedError, ValueError, TypeError, ZeroDivisionError, AttributeError):
        return ExactOutcome(gave_up="form")
    out = ExactOutcome(method="sympy")
    n = len(variables)
    for sol in solutions:
        if len(sol) < n or any(c.free_symbols for c in sol.values()):
            equations = tuple(k - c for k, c in sol.items())
            out.sets.append(StationarySet(equations, n - len(sol)))
        elif all(_is_real(sol[v]) for v in variables):
            out.points.append(tuple(sol[v] for v in variables))
    return out


def real_floats(coords: Sequence[Any]) -> tuple[float, ...] | None:
    """An exact solution's coordinates as floats (17 digits), or None for a complex one: no point
    of the real problem."""
    import sympy as sp

    out = []
    for c in coords:
        z = complex(sp.N(c, 17))
        if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)) or not math.isfinite(z.real):
            return None
        out.append(z.real)
    return tuple(out)


def inside_box(values: Sequence[float], box: Sequence[tuple[float, float]]) -> bool:
    """Whether ``values`` lie in ``box`` (one (lo, hi) per coordinate), with a round-off margin."""
    return all(
        lo - 1e-9 * (hi - lo) <= v <= hi + 1e-9 * (hi - lo) for v, (lo, hi) in zip(values, box)
    )
