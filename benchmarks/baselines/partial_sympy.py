"""What a user writes instead of
`gradcli partial "x**3*sin(x) + exp(2*x)/(1+x**2)" --wrt x --at 1.3`: sympy differentiates, then f
and the derivative are evaluated exactly at 13/10 and printed with their float values."""

import sys

import sympy as sp

at = sp.Rational(sys.argv[1] if len(sys.argv) > 1 else "1.3")
x = sp.Symbol("x")
f = x**3 * sp.sin(x) + sp.exp(2 * x) / (1 + x**2)
derivative = sp.diff(f, x)
value = f.subs(x, at)
print("f(x) =", f)
print("df/dx =", derivative)
print(f"at x = {at}: f = {value} ≈ {float(value)!r}")
print("df/dx =", repr(float(derivative.subs(x, at))))
