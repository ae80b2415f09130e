"""What ``descend`` and ``plot`` make of --subject-to and --bounds: the function over every
variable the constraint names, and the projection a projected-gradient descent steps with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradcli.errors import UsageError

if TYPE_CHECKING:
    from gradcli.calculus.lagrange import Constraint
    from gradcli.function import Function
    from gradcli.optimize.projection import Projection


def load_constraints(
    fn: Function, subject_to: list[str] | None, vars: str | None, let: str | None
) -> tuple[Function, tuple[Constraint, ...]]:
    """f over its variables and the constraints' (see :func:`gradcli.calculus.lagrange.constrained`)."""
    if not subject_to:
        return fn, ()
    from gradcli.calculus.lagrange import constrained

    return constrained(fn, subject_to, vars, let)


def load_projection(
    fn: Function, constraints: tuple[Constraint, ...], bounds: str | None
) -> Projection | None:
    """The projection of a projected-gradient descent, or a one-line refusal (exit 2) where the
    set has no simple nearest point: one circle/sphere, or one box."""
    if not constraints and bounds is None:
        return None
    if constraints and bounds is not None:
        raise UsageError(
            "--subject-to and --bounds together: the nearest point of their intersection has no "
            "simple formula; give one of them"
        )
    if bounds is not None:
        from gradcli.optimize.projection import parse_bounds

        return parse_bounds(bounds, fn.names)
    if len(constraints) > 1:
        raise UsageError(
            "descend projects onto one constraint (a circle, sphere, line or plane), not several",
            hint="critical --subject-to finds the stationary points on several",
        )
    from gradcli.optimize.projection import simple_set

    (c,) = constraints
    return simple_set(c.expr, fn.variables, c.text)
