"""Parsing the figure options people type for ``gradcli plot``: ``--range``, ``--slice``, ``--levels``, ``--size``.

Every value that is a number may be a constant expression (``-pi:pi``, ``z=sqrt(2)``), parsed by the
one safe parser. Mistakes are usage errors (exit 2) that say what was expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from gradcli.errors import UsageError, few_names

MAX_PIXELS = 40_000_000  # a 40-megapixel figure is already poster-sized; more is a typo
MAX_LEVELS = 100  # contour levels, counted or listed: more bands than a figure can show
SPAN_MAX = 1e300  # |LO|, |HI| of --range: the grid's spacing and the axis ticks stay finite


def _named_parts(text: str, option: str, example: str) -> list[tuple[str, str]]:
    from gradcli.expr import split_top_level

    parts = []
    for part in split_top_level(text):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"{option}: expected NAME=VALUE, got {part.strip()!r}", hint=example)
        parts.append((name.strip(), value.strip()))
    return parts


def parse_ranges(text: str | None, names: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``-3:3`` (every axis) or ``x=-4:4,y=-2:2`` (those axes; the others are framed automatically)."""
    from gradcli.points import parse_range

    if text is None or not text.strip():
        return {}
    text = text.strip()
    if "=" not in text:
        every = dict(zip(names, parse_range(text, names)))
        for name, (lo, hi) in every.items():
            _check_span(name, lo, hi)
        return every
    ranges: dict[str, tuple[float, float]] = {}
    for name, spec in _named_parts(text, "--range", "e.g. --range x=-4:4,y=-2:2"):
        if name not in names:
            raise UsageError(
                f"--range: {name!r} is not a plotted variable", hint=f"those are {few_names(names)}"
            )
        ranges[name] = parse_range(spec, [name])[0]
    for name, (lo, hi) in ranges.items():
        _check_span(name, lo, hi)
    return ranges


def _check_span(name: str, lo: float, hi: float) -> None:
    """A range whose ends or width are beyond floats (−1e308:1e308 is ∞ wide), or too narrow to
    hold distinct grid points, is refused."""
    if not (max(abs(lo), abs(hi)) <= SPAN_MAX and math.isfinite(hi - lo)):
        raise UsageError(
            f"--range {name}: {lo!r}:{hi!r} is too wide to sample",
            hint=f"keep both ends within ±{SPAN_MAX:g}",
        )
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi)):
        raise UsageError(
            f"--range {name}: {lo!r}:{hi!r} is too narrow for floats to sample",
            hint="widen it to at least a billionth of its ends' size",
        )


def parse_slice(text: str | None, names: Sequence[str]) -> dict[str, Any]:
    """``z=1`` or ``z=1,w=pi/2``: exact values for the variables to hold fixed."""
    from gradcli.expr import parse_constant

    if text is None or not text.strip():
        return {}
    fixed: dict[str, Any] = {}
    for name, value in _named_parts(text.strip(), "--slice", "e.g. --slice z=1"):
        if name not in names:
            raise UsageError(
                f"--slice: {name!r} is not a variable of f", hint=f"f's are {few_names(names)}"
            )
        if name in fixed:
            raise UsageError(f"--slice fixes {name} twice")
        fixed[name] = parse_constant(value, what=f"--slice {name}")
    return fixed


def parse_levels(text: str | None) -> tuple[int | None, tuple[float, ...] | None]:
    """``--levels 20`` (how many bands) or ``--levels 0.5,1,2,4`` (exactly these levels)."""
    from gradcli.expr import parse_constant, split_top_level

    if text is None or not text.strip():
        return None, None
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        count = int(text) if len(text) < 10 else MAX_LEVELS + 1
        if not 2 <= count <= MAX_LEVELS:
            raise UsageError(f"--levels {text}: choose 2 to {MAX_LEVELS} levels")
        return count, None
    if text.count(",") >= MAX_LEVELS:  # before parsing each: a long list is not worth the time
        raise UsageError(
            f"--levels: {text.count(',') + 1} values; a figure shows at most {MAX_LEVELS} levels"
        )
    parts = [p for p in split_top_level(text) if p.strip()]
    values = tuple(float(parse_constant(p, what="a --levels value")) for p in parts)
    return None, values


def parse_size(text: str | None, dpi: int) -> tuple[float, float] | None:
    """``8x6`` in inches, or ``1920x1080px`` in pixels at ``dpi``."""
    if text is None or not text.strip():
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*[x×]\s*(\d+(?:\.\d*)?)\s*(px|in)?\s*", text.lower())
    if not match:
        raise UsageError(
            f"--size {text!r}: expected WxH", hint="inches like 8x6, or pixels like 1920x1080px"
        )
    width, height = float(match[1]), float(match[2])
    if match[3] == "px":
        width, height = width / dpi, height / dpi
    if not (1 <= width <= 60 and 1 <= height <= 60):
        raise UsageError(f"--size {text!r}: each side must be 1 to 60 inches")
    check_pixels(width, height, dpi)
    return width, height


def check_pixels(width: float, height: float, dpi: int, limit: int = MAX_PIXELS) -> None:
    """Refuse a figure over ``limit`` pixels (the check lives with the figures: plotting's)."""
    from gradcli.plotting.figures import check_pixels as refuse_over

    refuse_over(width, height, dpi, limit)
