"""The result cache for commands that step or draw f (``descend``, ``plot``): the same function
again, with any starts, options or points, evaluated by the numeric code the first run generated —
no sympy imported (see :mod:`gradcli.recalled`).

:func:`function` is what such a command opens instead of parsing and compiling f itself::

    with recall.function(expr, vars, let) as (fn, compiled):
        ...  # fn and compiled exactly as load_function and compile_function give them

On a hit the stored reading notes are written and f is recalled; otherwise f is parsed and
compiled as ever, and when the block ends without an exception (the command succeeded) what the
run generated is stored — only if no time bound ran out in it (what a bound cut short depends on
the machine's load) and only for a smooth f (:func:`gradcli.recalled.keep`). A hit whose run made
an evaluator the store lacked stores it too. ``GRADCLI_NO_CACHE=1`` and ``--no-cache`` turn it off.
Output is byte for byte the same either way (tests/test_recall.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gradcli.cli import fast
from gradcli.cli.inputs import function_text, parse_function, reading_notes, write_notes

if TYPE_CHECKING:
    from gradcli.cache.store import Store
    from gradcli.function import Function
    from gradcli.numeric import Compiled

KIND = "numeric"


@contextlib.contextmanager
def function(
    text: str, vars: str | None = None, let: str | None = None
) -> Iterator[tuple[Function, Compiled]]:
    """EXPR as typed -> (f, its evaluators), recalled or made; kept if the block succeeds."""
    text = function_text(text)
    store, key = _opened(text, vars, let)
    try:
        body = store.read(KIND, key) if store is not None and key is not None else None
        recalled = _recalled(body, text, vars, let) if body is not None else None
        if recalled is not None:
            notes, fn, compiled = recalled
            write_notes(notes)
        else:
            from gradcli.numeric import compile_function

            fn = parse_function(text, vars, let)
            compiled = compile_function(fn)
        expired = fast.expired_count()
        yield fn, compiled
        if store is not None and key is not None and fast.expired_count() == expired:
            _keep(store, key, fn, compiled, body)
    finally:
        if store is not None:
            store.close()  # the folder's descriptor: in-process callers run many commands


def _opened(text: str, vars: str | None, let: str | None) -> tuple[Store | None, str | None]:
    from gradcli.cache.store import Store, digest, disabled, environment

    if fast.bypassed() or disabled():
        return None, None
    store = Store.open()
    if store is None:
        return None, None
    from gradcli import __version__

    return store, digest(environment(__version__), KIND, text, vars, let)


def _recalled(
    body: dict[str, Any], text: str, vars: str | None, let: str | None
) -> tuple[list[str], Function, Compiled] | None:
    """The stored reading notes, f and its evaluators, or None for an entry not as gradcli writes
    it (then f is parsed afresh and the entry rewritten)."""
    from gradcli.recalled import recall

    try:
        names, printed, sources, notes = body["names"], body["printed"], body["code"], body["notes"]
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            return None
        if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)):
            return None
        if not (isinstance(printed, dict) and all(_form(v) for v in printed.values())):
            return None
        if not (isinstance(sources, dict) and all(isinstance(v, str) for v in sources.values())):
            return None

        def parse() -> Function:  # what the recalled f falls back on (its notes are written)
            from gradcli.expr import parse

            return parse(text, vars=vars, let=let)

        made = recall(names, text, printed, sources, parse)
    except (KeyError, TypeError, AttributeError):
        return None
    if made is None:
        return None
    return notes, made[0], made[1]


def _keep(
    store: Store, key: str, fn: Function, compiled: Compiled, body: dict[str, Any] | None
) -> None:
    """Store f's entry: what a first run made, or what a recalled run made afresh added to it."""
    from gradcli.recalled import RecalledFunction, keep

    sources = keep(compiled)  # recalled: the stored sources with the fresh ones, or None
    if isinstance(fn, RecalledFunction):
        forms = fn.printed_forms()
        if body is None or (sources is None and forms == body["printed"]):
            return
        entry = {**body, "printed": forms, "code": sources or body["code"]}
    else:
        if sources is None:
            return
        from gradcli.views.descent import machine_text

        # the texts every format prints f by (cheap): made now, so no later run parses f for them
        machine_text(fn)
        forms = {**fn.printed_forms(), "understood": fn.understood}
        entry = {"names": list(fn.names), "printed": forms, "notes": reading_notes(fn)}
        entry["code"] = sources
    store.write(KIND, key, entry)


def _form(value: Any) -> bool:
    """Whether ``value`` is a printed form as gradcli stores one: a str or a list of str."""
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )
