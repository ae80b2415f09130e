"""Parameter conversion without pydantic, for the values people actually type.

Typer 0.2x converts every parameter of the command that runs through a pydantic ``TypeAdapter``
(built per parameter, per process, even for an absent option): importing pydantic and building
the adapters is most of what ``gradcli grad --help`` and a small ``grad`` spent beyond typer's own
import. gradcli's parameters are plain ``str``, ``int`` (with a range), ``float``, ``bool`` and
lists of those, so :func:`lean` gives each one a converter that answers the plain cases itself —
``6``, ``-2``, ``0.05``, ``1e-3``, any string — and hands everything else (``5.00``, ``1_000``,
`` 5``, ``nan``, a value out of range, a typo) to typer's own pydantic conversion, which then
decides and words the error. So every accepted value and every message is exactly typer's, and
pydantic is imported only when a value needs it (in practice: when it is refused).

This leans on one private detail of typer (a parameter keeps its converter in ``_runtime_param``,
built on first use); on a typer without it (older releases convert with click types and never
import pydantic) :func:`lean` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, get_args, get_origin

_UNDECIDED: Final = object()  # the plain path cannot say: typer's conversion decides

# The plain path takes only what Python and pydantic read the same way: ASCII digits, a sign, a
# point and an exponent; no spaces, underscores or words (pydantic also takes ' 5', '5.00', '1_0',
# 'inf': those go to it). Sets, not regular expressions: compiling one costs more than it saves.
_DECIMAL: Final = frozenset("0123456789+-.eE")


def lean(command: Any) -> Any:
    """Give each typer parameter of ``command`` the plain converter; returns ``command``.

    (Its --help option is made when first asked for: :func:`lean_parameter` it then.)"""
    for param in getattr(command, "params", ()):
        lean_parameter(param)
    return command


def lean_parameter(param: Any) -> Any:
    """Give one typer parameter the plain converter (once); returns ``param``."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", _UNDECIDED) is not None:
        return param  # not typer's, an older typer, or it has a converter already
    plain = _plain(descriptor)
    if plain is not None:
        param._runtime_param = Converter(descriptor, plain)
    return param


class Converter:
    """Typer's runtime-parameter contract (``coerce(value, param, ctx)``) with a plain path."""

    def __init__(self, descriptor: Any, plain: Callable[[Any], Any]) -> None:
        self.descriptor = descriptor
        self.plain = plain
        # typer reads these two from a runtime parameter; keep them for anything that looks
        self.parameter_info = descriptor.parameter_info
        self.annotation = descriptor.annotation

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:  # absent: typer's own rule, without building anything
            return () if (param.multiple or param.nargs == -1) else None
        result = self.plain(value)
        if result is _UNDECIDED:
            return self.typer_converter().coerce(value, param=param, ctx=ctx)
        return result

    def typer_converter(self) -> Any:
        """Typer's own (pydantic) converter for this parameter: exact, and the words of refusal."""
        from typer._coercion import build_runtime_param

        return build_runtime_param(self.descriptor)


def _plain(descriptor: Any) -> Callable[[Any], Any] | None:
    """The plain path for a parameter's type, or None to leave the parameter to typer."""
    info = descriptor.parameter_info
    if info.parser is not None or descriptor.is_file or descriptor.is_path or descriptor.is_choice:
        return None
    annotation = descriptor.annotation
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        leaf = _leaf(item, info)
        return None if leaf is None else _many(leaf)
    return _leaf(annotation, info)


def _leaf(annotation: Any, info: Any) -> Callable[[Any], Any] | None:
    if getattr(info, "clamp", False):
        return None
    low, high = info.min, info.max
    if annotation is str:
        return _text
    if annotation is bool:
        return _flag
    if annotation is int:
        return lambda value: _within(_integer(value), low, high)
    if annotation is float:
        return lambda value: _within(_real(value), low, high)
    return None


def _many(leaf: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(values: Any) -> Any:
        if not isinstance(values, (list, tuple)):
            return _UNDECIDED
        items = [leaf(value) for value in values]
        return _UNDECIDED if any(item is _UNDECIDED for item in items) else items

    return convert


def _text(value: Any) -> Any:
    return value if type(value) is str else _UNDECIDED


def _flag(value: Any) -> Any:
    return value if type(value) is bool else _UNDECIDED


def _integer(value: Any) -> Any:
    if type(value) is int:
        return value
    if type(value) is str:
        digits = value[1:] if value[:1] in ("+", "-") else value
        # up to 18 digits: what pydantic reads as a machine integer, the same as int() does
        if 0 < len(digits) <= 18 and digits.isascii() and digits.isdigit():
            return int(value)
    return _UNDECIDED


def _real(value: Any) -> Any:
    if type(value) is float:
        return value
    if type(value) is str and value and _DECIMAL.issuperset(value):
        # Within these characters Python's float() and pydantic accept the same decimal forms
        # and round them the same (correctly); what float() refuses, pydantic words.
        try:
            return float(value)
        except ValueError:
            return _UNDECIDED
    return _UNDECIDED


def _within(number: Any, low: float | None, high: float | None) -> Any:
    """``number`` if it lies in the range; out of range, typer words the refusal."""
    if number is _UNDECIDED:
        return number
    if (low is not None and number < low) or (high is not None and number > high):
        return _UNDECIDED
    return number


def bad_value_message(exc: Any) -> str:
    """click's message for ``exc``, naming where a refused value came from.

    An option with a default from the environment shows the variable in --help (show_envvar), and
    click then writes "(env var: 'GRADCLI_PRECISION')" into every refusal of the option, a flag's
    too. A value from a flag keeps the message it had; a value from the environment is named as
    the variable, the one place it can be fixed: ``invalid GRADCLI_PRECISION in the environment:
    99 is not in the range 1<=x<=17.``
    """
    param: Any = getattr(exc, "param", None)
    envvar = getattr(param, "envvar", None)
    if not isinstance(envvar, str) or not getattr(param, "show_envvar", False):
        return str(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    source = ctx.get_parameter_source(param.name) if ctx is not None else None
    if getattr(source, "name", None) == "ENVIRONMENT":
        return f"invalid {envvar} in the environment: {exc.message}"
    param.show_envvar = False  # the hint without the variable, as before it had one
    try:
        return str(exc.format_message())
    finally:
        param.show_envvar = True
