"""What a user writes instead of `gradcli descend` on Rosenbrock to CSV: a sympy-lambdify loop."""

import csv
import math
import sys

import sympy as sp

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
lr = 1e-4
x, y = sp.symbols("x y")
f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
value = sp.lambdify((x, y), f)
grad = sp.lambdify((x, y), [sp.diff(f, x), sp.diff(f, y)])
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["run", "method", "lr", "step", "x", "y", "f", "grad_x", "grad_y", "grad_norm"])
px, py = -1.2, 1.0
for step in range(steps + 1):
    gx, gy = grad(px, py)
    out.writerow([0, "gd", lr, step, px, py, value(px, py), gx, gy, math.hypot(gx, gy)])
    px, py = px - lr * gx, py - lr * gy
