"""CSV column names that never repeat, whatever the variables are called.

A CSV header names some columns itself (``run``, ``f``, ``grad_norm`` …) and derives others from the
variables (``x``, ``grad_x``). A variable called ``f`` or ``lr`` — or ``norm``, whose gradient column
would be ``grad_norm`` — would repeat a name, and a reader keyed by name would silently lose a column.
The rule (docs/CLI.md): the command's own columns keep their names; a variable's column whose name
is already taken is written with ``var_`` before the variable's name (``var_f``, ``grad_var_norm``),
again until it is unique.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["VAR_PREFIX", "unique_columns"]

VAR_PREFIX = "var_"

#: A column: the command's own name (a str), or (prefix, variable) for a variable's column.
Part = str | tuple[str, str]


def unique_columns(parts: Sequence[Part]) -> list[str]:
    """The header for ``parts``: own names as given, each variable column ``prefix + name`` with
    ``var_`` put before the name while that would repeat an own name or an earlier column."""
    used = {p for p in parts if isinstance(p, str)}
    header: list[str] = []
    for part in parts:
        if isinstance(part, str):
            header.append(part)
            continue
        prefix, name = part
        column = prefix + name
        while column in used:
            name = VAR_PREFIX + name
            column = prefix + name
        used.add(column)
        header.append(column)
    return header
