"""Inline images in the terminal (``plot --term image|kitty|iterm``): which protocol a terminal is
known to speak, and the escape sequence that shows a PNG with it. (Sixel is encoded from pixels, in
:mod:`gradcli.plotting.sixel`.)"""

from __future__ import annotations

import os
from typing import Any


def image_protocol(asked: str, environ: Any = None) -> str | None:
    """The inline image protocol for ``--term asked``: the one named, or for 'image' the one the
    terminal is known to speak (kitty; iTerm2's, also WezTerm's) — None where none is known.
    Conservative on purpose: a wrong guess prints kilobytes of escape codes as garbage."""
    env = os.environ if environ is None else environ
    if asked in ("kitty", "iterm", "sixel"):
        return asked
    if env.get("KITTY_WINDOW_ID") or env.get("TERM", "") == "xterm-kitty":
        return "kitty"
    if env.get("TERM_PROGRAM", "") in ("iTerm.app", "WezTerm"):
        return "iterm"
    return None


def image_escape(protocol: str, png: bytes, cols: int) -> str:
    """The escape sequence that shows ``png`` inline, ``cols`` cells wide (kitty or iTerm2)."""
    import base64

    data = base64.standard_b64encode(png).decode("ascii")
    if protocol == "iterm":
        return (
            f"\x1b]1337;File=inline=1;size={len(png)};width={cols};preserveAspectRatio=1:"
            f"{data}\x07\n"
        )
    # kitty: PNG (f=100), transmitted and shown (a=T), in chunks of at most 4096 bytes.
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)] or [""]
    parts = []
    for i, chunk in enumerate(chunks):
        more = int(i < len(chunks) - 1)
        keys = f"a=T,f=100,c={cols},m={more}" if i == 0 else f"m={more}"
        parts.append(f"\x1b_G{keys};{chunk}\x1b\\")
    return "".join(parts) + "\n"
