"""What a user writes instead of `gradcli grad "x**2+y**2" --at 3,1`: a minimal sympy script."""

import sympy as sp

x, y = sp.symbols("x y", real=True)
f = x**2 + y**2
gradient = [sp.diff(f, v) for v in (x, y)]
at = {x: 3, y: 1}
values = [g.subs(at) for g in gradient]
print("grad f =", gradient)
print(
    "at (3, 1):",
    values,
    "norm",
    sp.sqrt(sum(v**2 for v in values)),
    float(sp.sqrt(sum(v**2 for v in values))),
)
