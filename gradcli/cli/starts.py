"""Starts for ``descend --from``: a float array, read fast from plain-decimal lines of stdin; and
the generated ones of ``--starts`` (:func:`generated_starts`).

A million starts piped in must not become a million tuples of exact sympy numbers (≈ 2.6 KB each):
a descent computes in floats anyway. A line of plain decimals (``3,1``, ``-1.5e-3, 2``) is parsed
with ``float`` straight into a flat array of 8-byte numbers; any other line (``pi/4,1``,
``x=3,y=1``) goes through :func:`gradcli.points.parse_point`, the exact parser, which also gives the
errors. ``float`` of a plain decimal is the value the exact parser's float would be, so the numbers
are the same either way.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from gradcli.errors import UsageError

if TYPE_CHECKING:
    from gradcli.function import Function
    from gradcli.optimize.starts import Generated
    from gradcli.views.render import Document

__all__ = ["add_starts_field", "generated_starts", "load_starts", "note_seed"]

_NUMBER = r"\s*[+-]?(?:[0-9]{1,30}\.?[0-9]{0,30}|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?\s*"
SAFE = (1e-300, 1e300)  # beyond these magnitudes the exact parser decides (and explains)


def load_starts(
    texts: Sequence[str] | None,
    fn: Function,
    *,
    option: str = "--from",
    stdin: TextIO | None = None,
) -> Any:
    """The starts given with ``option`` (repeatable, '-' reads one per line from stdin) as an
    ``(S, n)`` float array."""
    import numpy as np

    from gradcli.cli.inputs import stdin_stream
    from gradcli.points import parse_point
    from gradcli.points.lines import MAX_LINE, PointLines, read_lines

    n = len(fn.names)
    parameter = option.lstrip("-").replace("-", "_")
    plain = re.compile(_NUMBER + ("," + _NUMBER) * (n - 1)) if n else None
    values = array("d")
    for text in texts or []:
        if text.strip() != "-":
            values.extend(parse_point(text, fn, parameter=parameter).values)
            continue
        source = stdin if stdin is not None else stdin_stream("points")
        # Plain decimal rows go straight into floats (a million starts stay small); anything else —
        # pi/4, x=…, (3, 1), gradcli's own CSV with its header or NDJSON — goes through PointLines.
        reader = PointLines(fn, parameter=parameter)
        for number, line in read_lines(source):
            if line is None:
                raise UsageError(f"stdin line {number}: longer than {MAX_LINE} characters")
            row = _plain_row(line, plain) if reader.columns is None else None
            if row is not None:
                values.extend(row)
                continue
            try:
                point = reader.read(line)
            except UsageError as exc:
                raise UsageError(
                    f"stdin line {number}: {exc.template}",
                    hint=exc.hint_template,
                    parameters=exc.parameters,
                ) from None
            if point is not None:
                values.extend(point.values)
    return np.frombuffer(values, dtype=float).reshape(-1, max(n, 1)) if n else np.empty((0, 0))


def _plain_row(line: str, plain: re.Pattern[str] | None) -> list[float] | None:
    """The coordinates of a line of plain decimals in range, or None (the exact parser decides)."""
    if plain is None or not plain.fullmatch(line):
        return None
    row = [float(part) for part in line.split(",")]
    low, high = SAFE
    for v in row:
        if v and not low < abs(v) < high:
            return None
    return row


def generated_starts(
    spec: str | None,
    seed: int | None,
    fn: Function,
    expr: str,
    range_text: str | None,
    noisy: bool = False,
) -> Generated | None:
    """The starts ``--starts`` asks for (None without it), in ``--range`` (``range_text``, plot's
    syntax): an axis it leaves out keeps the named function's suggested window (``@himmelblau``'s
    −5:5) or −3:3, plot's default."""
    from gradcli.cli.figure_options import parse_ranges
    from gradcli.optimize.starts import DEFAULT_RANGE, generate, parse_spec
    from gradcli.presets import lookup

    if spec is None:
        if seed is not None and not noisy:  # with --noise, the seed is the noise's
            raise UsageError(
                "--seed draws the --starts and the --noise: give --starts N or --noise SIGMA too",
                hint="--starts 200",
            )
        return None
    wanted = parse_spec(spec)
    given = parse_ranges(range_text, fn.names)
    preset = lookup(expr.strip())
    window = dict(zip(fn.names, preset.range)) if preset is not None else {}
    ranges = [given.get(n) or window.get(n) or DEFAULT_RANGE for n in fn.names]
    return generate(wanted, ranges, seed)


def note_seed(seed: int) -> None:
    """The seed chosen for --starts, on stderr (machine output stays data): the run repeats with
    it. (A table shows it in its heading: :func:`add_starts_field`.)"""
    from gradcli.cli.app import write_stderr

    write_stderr(f"gradcli: note: --starts drew with --seed {seed} (give it to repeat this run)\n")


def add_starts_field(doc: Document, drawn: Generated | None) -> None:
    """The heading line of a table that says how the starts were made (and the seed)."""
    if drawn is not None:
        from gradcli.views.descent import starts_field

        doc.fields.insert(2, starts_field(drawn, doc.record.get("variables", ())))
