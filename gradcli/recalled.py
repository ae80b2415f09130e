"""A function recalled from the result cache: its evaluators run from the numeric code an earlier run
generated, so a repeated ``descend`` or ``plot`` of the same function needs no sympy at all.

:func:`keep` says what of a :class:`~gradcli.numeric.Compiled` is worth keeping (the lambdified
sources it has made so far), :func:`recall` rebuilds a :class:`RecalledFunction` and a
:class:`RecalledCompiled` from that. Only a smooth function is kept (no kink sites in f or ∇f, no
sigmoid whose saturation a note would look at): what the numeric layer asks of f's sympy
expression beyond its evaluators is then known without it. Anything not kept (an evaluator the
first run never made, the expression itself) is computed the usual way on first use: a recalled
function answers exactly as a parsed one, only sooner.
"""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from gradcli.cache import code
from gradcli.function import Function
from gradcli.numeric import Array, Compiled
from gradcli.symbolic import extra_functions, kink_sites

# Compiled's lambdified evaluators, by the attribute each is cached under
EVALUATORS = ("_value", "both", "_gradient", "_hessian")


class RecalledFunction(Function):
    """f with its variable names and printed forms stored; ``expr`` and ``variables`` (sympy) are
    made by ``parse`` the first time anything asks for them."""

    def __init__(
        self, names: Sequence[str], source: str, printed: dict[str, Any], parse: Callable[[], Any]
    ) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "notes", ())  # written already, from the stored text
        object.__setattr__(self, "_names", tuple(names))
        object.__setattr__(self, "_forms", dict(printed))  # Function.printed's memo, filled
        object.__setattr__(self, "_parse", parse)

    def __getattr__(self, name: str) -> Any:
        if name in ("expr", "variables"):
            full = self._parse()
            object.__setattr__(self, "expr", full.expr)
            object.__setattr__(self, "variables", full.variables)
            return getattr(full, name)
        raise AttributeError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return self._names


def _evaluator(name: str) -> cached_property[Callable[..., Any]]:
    """The cached property ``name`` of :class:`RecalledCompiled`: :meth:`RecalledCompiled._made`."""

    def made(self: RecalledCompiled) -> Callable[..., Any]:
        return self._made(name)

    made.__name__ = name
    return cached_property(made)


class RecalledCompiled(Compiled):
    """:class:`Compiled` whose evaluators were stored: known smooth and sigmoid-free."""

    def __init__(
        self,
        fn: RecalledFunction,
        evaluators: dict[str, Callable[..., Any]],
        sources: dict[str, str],
    ) -> None:
        self.fn = fn
        self.n = len(fn.names)
        self._stored = evaluators
        self.sources = sources  # what was stored: kept again, with any evaluator made since
        self.fresh: set[str] = set()  # evaluators this run made the usual way (parsing f)

    def _made(self, name: str) -> Callable[..., Any]:
        found = self._stored.get(name)
        if found is not None:
            return found
        self.fresh.add(name)
        made = getattr(Compiled, name).func(self)
        return made

    # Compiled's four evaluators, each the stored one or (first use) made as Compiled makes it
    _value = _evaluator("_value")
    both = _evaluator("both")
    _gradient = _evaluator("_gradient")
    _hessian = _evaluator("_hessian")

    @cached_property
    def kinky(self) -> bool:
        return False

    @cached_property
    def sigmoids(self) -> tuple[int, Callable[..., Any]] | None:
        return None

    def smoothness(self, point: Sequence[float] | Array) -> int:
        return 2


def keep(compiled: Compiled) -> dict[str, str] | None:
    """The sources of the evaluators ``compiled`` has made, or None when f is not one to keep
    (a kink or a sigmoid in it, or code not of generated code's shape)."""
    made = {name: compiled.__dict__[name] for name in EVALUATORS if name in compiled.__dict__}
    if isinstance(compiled, RecalledCompiled):  # known smooth: only what it made afresh is new
        fresh = {name: made[name] for name in compiled.fresh if name in made}
        new = _sources(fresh, compiled.n)
        return {**compiled.sources, **new} if fresh and new is not None else None
    if not made:
        return None
    # ∇f as already derived (never derived here: that is the work the cache saves)
    gradient = compiled.__dict__.get("numeric_gradient_exprs") or compiled.__dict__.get(
        "gradient_exprs"
    )
    if gradient is None or compiled.kinky or compiled.sigmoids is not None:
        return None
    if any(kink_sites(g) for g in gradient):
        return None
    return _sources(made, compiled.n)


def _sources(made: dict[str, Callable[..., Any]], n: int) -> dict[str, str] | None:
    """The source lambdify wrote for each evaluator of a function of ``n`` variables, or None if
    any is not of its shape."""
    sources: dict[str, str] = {}
    allowed = _allowed()
    for name, func in made.items():
        try:
            text = inspect.getsource(func)
        except (OSError, TypeError):
            return None
        if code.source_shape(text, allowed, params=n, outputs=outputs(name, n)) is None:
            return None
        sources[name] = text
    return sources


def recall(
    names: Sequence[str],
    source: str,
    printed: dict[str, Any],
    sources: dict[str, str],
    parse: Callable[[], Any],
) -> tuple[RecalledFunction, RecalledCompiled] | None:
    """f and its evaluators from what :func:`keep` kept, or None if any of it is refused."""
    namespace = _namespace()
    allowed = _allowed(namespace)
    n = len(names)
    evaluators: dict[str, Callable[..., Any]] = {}
    for name, text in sources.items():
        if name not in EVALUATORS:
            return None
        func = code.load(text, namespace, allowed, params=n, outputs=outputs(name, n))
        if func is None:
            return None
        evaluators[name] = func
    fn = RecalledFunction(names, source, printed, parse)
    return fn, RecalledCompiled(fn, evaluators, dict(sources))


def _namespace() -> dict[str, Any]:
    """The globals lambdify gives the code it writes against numpy (see
    :func:`gradcli.symbolic.lambdify`): numpy's names, gradcli's extra functions over them."""
    import numpy

    return {**numpy.__dict__, **extra_functions("numpy"), "builtins": builtins, "range": range}


def _allowed(namespace: dict[str, Any] | None = None) -> code.Allowed:
    """The free names stored code may use (looked up in ``namespace``, :func:`_namespace`'s):
    numpy's ufuncs (sin, exp, …: elementwise arithmetic, nothing else), called with exactly their
    number of inputs, and float constants (pi, e, inf, nan)."""
    import numpy

    namespace = _namespace() if namespace is None else namespace

    def allowed(name: str) -> int | None:
        value = namespace.get(name)
        if isinstance(value, numpy.ufunc):
            return int(value.nin)
        return 0 if type(value) is float else None

    return allowed


def outputs(name: str, n: int) -> int:
    """How many values the evaluator ``name`` returns for a function of ``n`` variables."""
    return {"_value": 1, "both": n + 1, "_gradient": n, "_hessian": n * n}[name]
