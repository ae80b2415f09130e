"""Axis ranges: '-3:3' for every variable, or 'x=-4:4,y=-2:2' per variable."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gradcli.errors import ParseError, UsageError


def _interval(text: str, what: str) -> tuple[float, float]:
    from gradcli.expr import parse_constant

    lo_text, sep, hi_text = text.partition(":")
    if not sep:
        raise UsageError(f"{what}: expected LO:HI, got {text!r}", hint="e.g. --range -3:3")
    try:
        lo = float(parse_constant(lo_text, what="a range end"))
        hi = float(parse_constant(hi_text, what="a range end"))
    except ParseError as exc:
        raise UsageError(f"{what} {text!r}: {exc.message}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise UsageError(f"{what} {text!r}: need finite LO < HI")
    return lo, hi


def parse_range(text: str, names: Sequence[str]) -> tuple[tuple[float, float], ...]:
    """One (lo, hi) per variable, in ``names`` order."""
    text = text.strip()
    if "=" not in text:
        interval = _interval(text, "--range")
        return tuple(interval for _ in names)
    given: dict[str, tuple[float, float]] = {}
    for part in text.split(","):
        name, _, spec = part.partition("=")
        name = name.strip()
        if name not in names:
            raise UsageError(
                f"--range: {name!r} is not a variable", hint=f"variables: {', '.join(names)}"
            )
        given[name] = _interval(spec.strip(), f"--range {name}")
    default = (-5.0, 5.0)
    return tuple(given.get(n, default) for n in names)
