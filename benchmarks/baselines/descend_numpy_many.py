"""What a user writes instead of `gradcli descend ... --from - --summary` for many starts on
Himmelblau: hand-vectorised numpy gradient descent over every start at once."""

import sys

import numpy as np

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 500
starts = np.loadtxt(sys.stdin, delimiter=",", ndmin=2)
lr = 0.01
p = starts.copy()


def f(x, y):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def grad(x, y):
    a = x**2 + y - 11
    b = x + y**2 - 7
    return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


for _ in range(steps):
    p -= lr * grad(p[:, 0], p[:, 1])
g = grad(p[:, 0], p[:, 1])
print("run,x,y,f,grad_norm")
for i, (row, gi) in enumerate(zip(p, g)):
    print(f"{i},{row[0]!r},{row[1]!r},{f(row[0], row[1])!r},{np.hypot(*gi)!r}")
