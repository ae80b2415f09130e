"""What a user writes instead of `gradcli descend ... --from - --summary` for many starts on
Himmelblau: hand-vectorised numpy gradient descent over every start at once.

    python benchmarks/baselines/descend_numpy_many.py [STEPS] < starts.csv

``descend`` is the loop itself, importable so that benchmarks/bench_kernel.py can time it
in-process against gradcli's descent kernel.
"""

import sys

import numpy as np


def f(x, y):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def grad(x, y):
    a = x**2 + y - 11
    b = x + y**2 - 7
    return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)


def descend(starts, steps, lr=0.01):
    """``steps`` gd steps from every start (rows of ``starts``): the final points and gradients."""
    p = starts.copy()
    for _ in range(steps):
        p -= lr * grad(p[:, 0], p[:, 1])
    return p, grad(p[:, 0], p[:, 1])


def write(p, g, out):
    """The final points as this script's CSV."""
    out.write("run,x,y,f,grad_norm\n")
    for i, (row, gi) in enumerate(zip(p, g)):
        out.write(f"{i},{row[0]!r},{row[1]!r},{f(row[0], row[1])!r},{np.hypot(*gi)!r}\n")


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    starts = np.loadtxt(sys.stdin, delimiter=",", ndmin=2)
    p, g = descend(starts, steps)
    write(p, g, sys.stdout)


if __name__ == "__main__":
    main()
