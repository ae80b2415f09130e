"""What a user writes instead of `gradcli grad "x1**2+...+xN**2" --at 1,...,1 --format json`: the
sum built in one go with sympy, every partial derivative, and exact values at the point."""

import json
import sys

import sympy as sp

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
xs = sp.symbols(f"x1:{n + 1}")
f = sp.Add(*(v**2 for v in xs))
gradient = [sp.diff(f, v) for v in xs]
at = dict.fromkeys(xs, sp.Integer(1))
values = [g.xreplace(at) for g in gradient]
norm = sp.sqrt(sp.Add(*(v**2 for v in values)))
print(
    json.dumps(
        {
            "gradient": [str(g) for g in gradient],
            "value": float(f.xreplace(at)),
            "at_gradient": [float(v) for v in values],
            "norm": float(norm),
            "exact_norm": str(norm),
        }
    )
)
