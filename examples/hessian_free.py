"""Hessian-free Newton (Newton steps by conjugate gradient on `hvp`) against gradient descent
on an ill-conditioned problem, and the two ways of computing H·v measured against each other.

f(x) = ½ xᵀAx + ¼ Σ c·xᵢ⁴ − bᵀx with A's eigenvalues spread from 1 to 1000 (condition number
1000). Gradient descent with the safe step 1/L crawls along the flat directions; each Newton-CG
step solves H d = −∇f with a few conjugate-gradient iterations, each needing one H·v and never
the Hessian itself (background/backprop-calculus-curriculum.md §9).

    python examples/hessian_free.py
"""

import os
import time
import tracemalloc

import numpy as np

from minidl.autodiff import Tensor, conjugate_gradient, grad, hvp, hvp_reverse

N, TOL = 30, 1e-8
rng = np.random.default_rng(0)
Q, _ = np.linalg.qr(rng.standard_normal((N, N)))
A = Tensor(Q @ np.diag(np.logspace(0, 3, N)) @ Q.T)
B = Tensor(rng.standard_normal(N))
QUARTIC = 0.1


def f(x):
    return 0.5 * (x * (A @ x)).sum() + 0.25 * QUARTIC * (x * x * x * x).sum() - (B * x).sum()


gradient = grad(f)


def newton_cg(x):
    steps = products = 0
    while np.linalg.norm(g := gradient(x)) > TOL and steps < 100:
        d, k = conjugate_gradient(lambda v, x=x: hvp(f, x, v), -g, tol=1e-10, max_iter=50)  # H d = −∇f
        x, steps, products = x + d, steps + 1, products + k
    return steps, products, float(np.linalg.norm(gradient(x)))


def gradient_descent(x, limit=200_000):
    lr, steps = 1.0 / 1100.0, 0  # 1/L with L ≈ λ_max(A) + the quartic's curvature near 0
    while np.linalg.norm(g := gradient(x)) > TOL and steps < limit:
        x, steps = x - lr * g, steps + 1
    return steps, float(np.linalg.norm(gradient(x)))


def cost(fn, *args):
    """(seconds, peak traced bytes) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    fn(*args)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def main():
    print(f"load average {os.getloadavg()[0]:.2f}; n = {N}, condition number of A = 1000")
    x0 = np.zeros(N)
    start = time.perf_counter()
    steps, products, final = newton_cg(x0)
    t_newton = time.perf_counter() - start
    start = time.perf_counter()
    gd_steps, gd_final = gradient_descent(x0)
    t_gd = time.perf_counter() - start
    print(f"{'method':>16} {'steps':>7} {'H·v':>6} {'final ‖∇f‖':>11} {'seconds':>8}")
    print(f"{'Newton-CG':>16} {steps:>7} {products:>6} {final:>11.1e} {t_newton:>8.3f}")
    print(f"{'gradient descent':>16} {gd_steps:>7} {'-':>6} {gd_final:>11.1e} {t_gd:>8.3f}")
    x, v = rng.standard_normal(N), rng.standard_normal(N)
    print("H·v both ways (best of 20 calls; peak memory of one):")
    for name, fn in (("forward-over-reverse hvp", hvp), ("reverse-over-reverse", hvp_reverse)):
        seconds = min(cost(fn, f, x, v)[0] for _ in range(20))
        print(f"  {name:>26}: {seconds * 1e3:.3f} ms, peak {cost(fn, f, x, v)[1] / 1024:.1f} KiB")
    print(f"  agree to {np.abs(hvp(f, x, v) - hvp_reverse(f, x, v)).max():.1e}")


if __name__ == "__main__":
    main()
