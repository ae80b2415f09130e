"""What a user writes instead of `gradcli plot "x**2+y**2" -o bowl.png`: contours, labelled lines,
gradient arrows and a colour bar with plain matplotlib."""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "bowl.png"
x = np.linspace(-3, 3, 200)
X, Y = np.meshgrid(x, x)
Z = X**2 + Y**2
fig, ax = plt.subplots(figsize=(8, 6.5), dpi=150)
filled = ax.contourf(X, Y, Z, levels=15, cmap="viridis")
lines = ax.contour(X, Y, Z, levels=15, colors="white", linewidths=0.6)
ax.clabel(lines, fontsize=8)
q = np.linspace(-3, 3, 15)
QX, QY = np.meshgrid(q, q)
ax.quiver(QX, QY, 2 * QX, 2 * QY, color="white")
fig.colorbar(filled, ax=ax, label="f(x, y)")
ax.set_aspect("equal")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title(r"$f(x, y) = x^{2} + y^{2}$")
fig.savefig(out)
