"""Parsing the figure options people type for ``gradcli plot``: ``--range``, ``--slice``, ``--levels``, ``--size``.

Every value that is a number may be a constant expression (``-pi:pi``, ``z=sqrt(2)``), parsed by the
one safe parser. Mistakes are usage errors (exit 2) that say what was expected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from gradcli.errors import UsageError

MAX_PIXELS = 40_000_000  # a 40-megapixel figure is already poster-sized; more is a typo


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
        return dict(zip(names, parse_range(text, names)))
    ranges: dict[str, tuple[float, float]] = {}
    for name, spec in _named_parts(text, "--range", "e.g. --range x=-4:4,y=-2:2"):
        if name not in names:
            raise UsageError(
                f"--range: {name!r} is not a plotted variable", hint=f"those are {', '.join(names)}"
            )
        ranges[name] = parse_range(spec, [name])[0]
    return ranges


def parse_slice(text: str | None, names: Sequence[str]) -> dict[str, Any]:
    """``z=1`` or ``z=1,w=pi/2``: exact values for the variables to hold fixed."""
    from gradcli.expr import parse_constant

    if text is None or not text.strip():
        return {}
    fixed: dict[str, Any] = {}
    for name, value in _named_parts(text.strip(), "--slice", "e.g. --slice z=1"):
        if name not in names:
            raise UsageError(
                f"--slice: {name!r} is not a variable of f", hint=f"f's are {', '.join(names)}"
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
    parts = [p for p in split_top_level(text) if p.strip()]
    if len(parts) == 1 and re.fullmatch(r"\d+", text):
        count = int(text)
        if not 2 <= count <= 100:
            raise UsageError(f"--levels {count}: choose 2 to 100 levels")
        return count, None
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


def check_pixels(width: float, height: float, dpi: int) -> None:
    pixels = width * dpi * height * dpi
    if pixels > MAX_PIXELS or not math.isfinite(pixels):
        raise UsageError(
            f"a {width:g}×{height:g} in figure at {dpi} dpi has {pixels / 1e6:.0f} megapixels",
            hint=f"keep it under {MAX_PIXELS // 1_000_000} (lower --dpi or --size)",
        )
