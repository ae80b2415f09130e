"""The finite-difference check as a lesson: the two points of a small step, Δx, Δy and Δy/Δx.

``partial --check`` shows the whole computation a lesson writes out (y = 5x from x = 2 to 2.001);
``grad --check`` one compact pair of rows per component. JSON carries the same numbers as
``check.steps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gradcli.calculus.results import DifferenceStep, FiniteDifference
from gradcli.views.text import decimal

__all__ = ["check_record", "check_rows", "lesson_rows", "rounded_step"]


def check_record(fd: FiniteDifference) -> dict[str, Any]:
    record: dict[str, Any] = {
        "exact": fd.exact,
        "forward": fd.forward,
        "h_forward": fd.h_forward,
        "forward_error": fd.forward_error,
        "central": fd.central,
        "h_central": fd.h_central,
        "central_error": fd.central_error,
    }
    if fd.forward_step is not None and fd.central_step is not None:
        # The lesson's numbers: the two points of each step, Δx, Δy and Δy/Δx.
        record["steps"] = [
            _step_record("forward", fd.variable, fd.h_forward, fd.forward_step),
            _step_record("central", fd.variable, fd.h_central, fd.central_step),
        ]
    return record


def _step_record(method: str, variable: str, h: float, step: DifferenceStep) -> dict[str, Any]:
    return {
        "method": method,
        "variable": variable,
        "h": h,
        "x0": step.x0,
        "x1": step.x1,
        "f0": step.f0,
        "f1": step.f1,
        "dx": step.dx,
        "dy": step.dy,
        "slope": step.dy / step.dx if step.dx else None,
    }


def check_rows(label: str, fd: FiniteDifference, precision: int) -> list[list[str]]:
    """Two compact rows per derivative (grad --check, one pair per component)."""
    v = fd.variable or "x"
    return [
        [
            f"{label}  forward  (f({v}+h) − f({v}))/h",
            f"{decimal(fd.forward, 15)}  (h = {decimal(fd.h_forward, 3)}, error {decimal(fd.forward_error, 2)})",
        ],
        [
            f"{label}  central  (f({v}+h) − f({v}−h))/2h",
            f"{decimal(fd.central, 15)}  (h = {decimal(fd.h_central, 3)}, error {decimal(fd.central_error, 2)})",
        ],
    ]


def lesson_rows(fd: FiniteDifference, names: Sequence[str], f: str) -> list[list[str]]:
    """The slope of a small step as a lesson writes it out: the two points x and x + h, f at each,
    Δx, Δy and Δy/Δx (then the central difference in one row). ``f`` names the function whose
    slope is taken: f, or the lower derivative for a higher-order partial."""
    v, step = fd.variable, fd.forward_step
    if step is None or not v:
        return check_rows(f, fd, 6)

    def at(moved: str) -> str:
        return f"{f}({', '.join(moved if n == v else n for n in names)})"

    def exact(value: float) -> str:
        return decimal(value, 15)  # all the digits: the lesson is where they go

    dv, df = f"Δ{v}", "Δf" if v == "y" or "y" in names else "Δy"  # y = f(x): Δy/Δx
    return [
        [v, exact(step.x0)],
        [f"{v} + h", f"{exact(step.x1)}  (h = {decimal(fd.h_forward, 3)})"],
        [at(v), exact(step.f0)],
        [at(f"{v} + h"), exact(step.f1)],
        [f"{dv} = ({v} + h) − {v}", exact(step.dx)],
        [f"{df} = {at(f'{v} + h')} − {at(v)}", exact(step.dy)],
        [f"{df}/{dv}  (forward)", f"{exact(fd.forward)}  (error {decimal(fd.forward_error, 2)})"],
        [
            f"{df}/{dv}  (central: {v} − h to {v} + h)",
            f"{exact(fd.central)}  (h = {decimal(fd.h_central, 3)}, error {decimal(fd.central_error, 2)})",
        ],
    ]


def rounded_step(fd: FiniteDifference) -> str | None:
    """A note when x + h was rounded, so that Δx is not h (2.001 − 2 = 0.00099999999999989)."""
    step, v = fd.forward_step, fd.variable
    if step is None or step.dx == fd.h_forward:
        return None
    return f"{v} + h rounds to {step.x1:.17g} in float64: Δ{v} = {step.dx!r}, not h"
