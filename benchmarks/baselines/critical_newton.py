"""What a user writes instead of `gradcli critical "(x**2+y-11)**2+(x+y**2-7)**2"`: sympy for the
gradient and Hessian, then vectorised Newton iterations in numpy from a grid of starts; the distinct
stationary points are classified by the Hessian's eigenvalues."""

import numpy as np
import sympy as sp

x, y = sp.symbols("x y")
f = (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2
value = sp.lambdify((x, y), f, "numpy")
gradient = sp.lambdify((x, y), [sp.diff(f, v) for v in (x, y)], "numpy")
hessian = sp.lambdify((x, y), sp.hessian(f, (x, y)), "numpy")

grid = np.linspace(-5, 5, 21)
gx, gy = np.meshgrid(grid, grid)
px, py = gx.ravel(), gy.ravel()
with np.errstate(all="ignore"):  # a start on a singular Hessian diverges and is dropped below
    for _ in range(60):
        g1, g2 = gradient(px, py)
        (a, b), (c, d) = hessian(px, py)
        det = a * d - b * c
        px = px - (d * g1 - b * g2) / det
        py = py - (a * g2 - c * g1) / det
    g1, g2 = gradient(px, py)
    found = np.isfinite(px) & np.isfinite(py) & (np.hypot(g1, g2) < 1e-8)
points = np.unique(np.round(np.stack([px[found], py[found]], axis=1), 9), axis=0)
print("x,y,f,eigenvalue_1,eigenvalue_2,classification")
for px0, py0 in points.tolist():
    low, high = np.linalg.eigvalsh(np.array(hessian(px0, py0), dtype=float)).tolist()
    kind = "minimum" if low > 0 else "maximum" if high < 0 else "saddle"
    print(f"{px0!r},{py0!r},{float(value(px0, py0))!r},{low!r},{high!r},{kind}")
