"""The gradient of a validation loss through a solved problem: ridge regression's log λ.

Inner problem: w*(θ) = argmin_w g(θ, w) = ½·mean((X w − y)²) + ½·e^θ·‖w‖² on the training
rows. Outer loss: L(w*) = ½·mean((X_val w* − y_val)²) on held-out rows. dL/dθ three ways:

1. implicit: `implicit_grad` — the implicit-function theorem at the solved w*,
   dL/dθ = −(∂²g/∂θ∂w) q with (∂²g/∂w²) q = ∂L/∂w (conjugate gradient on `hvp`);
   nothing of the solver is stored;
2. finite differences: (L(w*(θ + h)) − L(w*(θ − h))) / 2h, each w* an exact linear solve;
3. unrolled: T steps of gradient descent from w = 0, w ← w − η(Xᵀ(Xw − y)/n + e^θ w), every
   step recorded by the engine, then one reverse sweep to θ. It approaches the other two as
   T grows, at a graph T steps long.

Data: `--data fashion` (the default) takes the shipped Fashion-MNIST, the two classes that
are hardest to tell apart (T-shirt/top = +1, shirt = −1), 200 training rows and 500
validation rows from the test split, pixels projected to 50 features by a seeded Gaussian
matrix and standardised. `--data synthetic` draws a seeded linear problem instead.

    python examples/implicit_ridge.py [--data fashion|synthetic] [--log-lambda -1] [--steps 10 100 1000 3000]
"""

import argparse
import os
import time

import numpy as np

from minidl.autodiff import Tensor, backprop
from minidl.autodiff.graph import topo_order
from minidl.autodiff.implicit import implicit_grad


def fashion_rows(n_train, n_val, features, rng):
    from minidl.data import load_dataset

    ds = load_dataset("fashion-mnist", limit_train=10 * n_train)

    def two_classes(x, y, n):
        keep = np.flatnonzero((y == 0) | (y == 6))[:n]
        return x[keep].astype(np.float64), np.where(y[keep] == 0, 1.0, -1.0)

    (x, y), (x_val, y_val) = two_classes(ds.x_train, ds.y_train, n_train), \
        two_classes(ds.x_test, ds.y_test, n_val)
    projection = rng.standard_normal((x.shape[1], features)) / np.sqrt(x.shape[1])
    return x @ projection, y, x_val @ projection, y_val


def synthetic_rows(n_train, n_val, features, rng):
    w_true = rng.standard_normal(features)
    x, x_val = rng.standard_normal((n_train, features)), rng.standard_normal((n_val, features))
    return x, x @ w_true + 3 * rng.standard_normal(n_train), x_val, \
        x_val @ w_true + 3 * rng.standard_normal(n_val)


def standardised(x, y, x_val, y_val):
    """Features and targets centred (and features scaled) by the training rows' statistics."""
    mean, std, y_mean = x.mean(0), x.std(0), y.mean()
    return (x - mean) / std, y - y_mean, (x_val - mean) / std, y_val - y_mean


class Ridge:
    """The inner and outer problems, in the engine (Tensors) and in closed form (numpy)."""

    def __init__(self, x, y, x_val, y_val):
        self.x, self.y, self.x_val, self.y_val = x, y, x_val, y_val
        self.gram = x.T @ x / len(x)  # (D, D)
        self.xty = x.T @ y / len(x)   # (D,)

    def inner(self, theta, w):
        residual = Tensor(self.x) @ w - Tensor(self.y)
        return 0.5 * (residual * residual).mean() + 0.5 * theta.exp() * (w * w).sum()

    def outer(self, theta, w):
        residual = Tensor(self.x_val) @ w - Tensor(self.y_val)
        return 0.5 * (residual * residual).mean()

    def solve(self, theta):
        """w*(θ) = (XᵀX/n + e^θ I)⁻¹ Xᵀy/n, the inner problem's exact minimiser."""
        return np.linalg.solve(self.gram + np.exp(theta) * np.eye(len(self.gram)), self.xty)

    def validation_loss(self, theta):
        residual = self.x_val @ self.solve(theta) - self.y_val
        return 0.5 * float(np.mean(residual ** 2))

    def learning_rate(self, theta):
        """1/L, L = λ_max(XᵀX/n) + e^θ: the largest safe gradient-descent step."""
        return 1.0 / (np.linalg.eigvalsh(self.gram)[-1] + np.exp(theta))

    def unrolled(self, theta, steps):
        """dL/dθ through `steps` recorded gradient-descent steps, and the graph's node count."""
        theta_t = Tensor(theta, requires_grad=True)
        w = Tensor(np.zeros(len(self.gram)), requires_grad=True)
        lr = self.learning_rate(theta)
        gram, xty = Tensor(self.gram), Tensor(self.xty)
        for _ in range(steps):
            # ∇_w g written out: asking the engine for it (backprop with create_graph) would
            # walk the whole chain of earlier steps each time, quadratic in the steps
            w = w - lr * (gram @ w - xty + theta_t.exp() * w)
        loss = self.outer(theta_t, w)
        nodes = len(topo_order(loss))
        (d_theta,) = backprop(loss, [theta_t])
        return float(d_theta.data), nodes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("fashion", "synthetic"), default="fashion",
                        help="the shipped Fashion-MNIST (two classes, projected) or a seeded linear problem")
    parser.add_argument("--log-lambda", type=float, default=-1.0, help="θ = log λ to differentiate at")
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 100, 1000, 3000],
                        help="gradient-descent steps to unroll")
    parser.add_argument("--train", type=int, default=200, help="training rows")
    parser.add_argument("--val", type=int, default=500, help="validation rows")
    parser.add_argument("--features", type=int, default=50, help="features after projection")
    parser.add_argument("--theta-step", type=float, default=50.0,
                        help="step size of the five gradient steps on θ at the end")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    rows = (fashion_rows if args.data == "fashion" else synthetic_rows)(
        args.train, args.val, args.features, rng)
    ridge, theta = Ridge(*standardised(*rows)), args.log_lambda
    eig = np.linalg.eigvalsh(ridge.gram)
    print(f"load average {os.getloadavg()[0]:.2f}; data {args.data}: {len(ridge.x)} training and "
          f"{len(ridge.x_val)} validation rows, {ridge.x.shape[1]} features")
    print(f"θ = log λ = {theta}; condition number of the inner problem "
          f"{(eig[-1] + np.exp(theta)) / (eig[0] + np.exp(theta)):.0f}; "
          f"validation loss {ridge.validation_loss(theta):.6f}")

    implicit_s = []
    for _ in range(3):  # the median of three, solve included
        started = time.process_time()
        implicit = float(implicit_grad(ridge.inner, ridge.outer, theta, ridge.solve(theta)))
        implicit_s.append(time.process_time() - started)
    implicit_s = float(np.median(implicit_s))
    h = 1e-5
    finite = (ridge.validation_loss(theta + h) - ridge.validation_loss(theta - h)) / (2 * h)
    print(f"\n{'method':>24}  {'dL/dθ':>14}  {'vs implicit':>11}  {'graph nodes':>11}  "
          f"{'time / implicit':>15}")
    print(f"{'implicit (CG on hvp)':>24}  {implicit:>14.10f}  {'':>11}  {'-':>11}  {1.0:>15.2f}")
    print(f"{'central differences':>24}  {finite:>14.10f}  {abs(finite - implicit):>11.1e}")
    gaps = []
    for steps in args.steps:
        started = time.process_time()
        unrolled, nodes = ridge.unrolled(theta, steps)
        ratio = (time.process_time() - started) / implicit_s
        gaps.append(abs(unrolled - implicit))
        print(f"{f'unrolled, {steps} steps':>24}  {unrolled:>14.10f}  {gaps[-1]:>11.1e}  "
              f"{nodes:>11,}  {ratio:>15.2f}")
    print("graph nodes: what the unrolled solver records; the implicit gradient records only g's and "
          "L's own graphs.\nTime ratios: this process's CPU time, one run each against the implicit "
          "gradient's median of three (CPU time, so that other load on the machine barely moves them).")

    # the point of the gradient: descend on θ itself, 5 steps, against a grid search
    path = [theta]
    for _ in range(5):
        g = float(implicit_grad(ridge.inner, ridge.outer, path[-1], ridge.solve(path[-1])))
        path.append(path[-1] - args.theta_step * g)
    grid = np.linspace(theta - 3, theta + 3, 601)
    best = grid[np.argmin([ridge.validation_loss(t) for t in grid])]
    print(f"\n5 gradient steps on θ (step {args.theta_step:g}): θ {' → '.join(f'{t:.3f}' for t in path)}; "
          f"validation loss {ridge.validation_loss(path[0]):.6f} → {ridge.validation_loss(path[-1]):.6f} "
          f"(a grid over θ ± 3 finds its minimum {ridge.validation_loss(best):.6f} at θ = {best:.2f})")
    agree = abs(finite - implicit) <= 1e-6 * max(1.0, abs(implicit))
    return 0 if agree and gaps[-1] <= gaps[0] else 1


if __name__ == "__main__":
    raise SystemExit(main())
