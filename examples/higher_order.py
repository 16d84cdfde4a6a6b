"""Third and higher derivatives by nesting: how exact, and what each order costs.

Three tables:
1. f‴ of tanh, exp, x⁴, sigmoid and log at nine points, by `nth_derivative` (three nested
   reverse sweeps), against the closed forms — the worst relative error.
2. The price of nesting: the k-th derivative of tanh is k reverse sweeps, each over the graph
   the sweeps before it recorded. The table counts that graph's nodes and times the k-th
   derivative against one evaluation of f, both measured in the same interleaved rounds.
3. A third-order directional derivative D³f(x)[v, v, v] of f(x) = Σ tanh(Wx) · ‖x‖², x ∈ ℝⁿ:
   three passes (forward-over-reverse-over-reverse) whatever n is, against the whole tensor
   ∇³f, n(n + 1)/2 such products — and, for a polynomial in three variables, against the
   number worked out by hand.

Costs are ratios to one evaluation of f (recording its graph), the median over interleaved
rounds (f, then each contestant, round after round, as in minidl/bench/runner.py) of this
process's CPU time, not the wall clock: on a shared machine the other processes' load then
barely moves them.

    python examples/higher_order.py [--repeats 9] [--sizes 4 16 64]
"""

import argparse
import os
import statistics
import time

import numpy as np

from minidl.autodiff import Tensor, backprop
from minidl.autodiff.graph import topo_order
from minidl.autodiff.higher_order import nth_derivative, third_derivative_tensor, third_directional


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


CLOSED_THIRD = [
    ("tanh", lambda z: z.tanh(), lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2)),
    ("exp", lambda z: z.exp(), np.exp),
    ("x^4", lambda z: z ** 4, lambda x: 24 * x),
    ("sigmoid", lambda z: z.sigmoid(),
     lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 6 * sigmoid(x) + 6 * sigmoid(x) ** 2)),
    ("log", lambda z: z.log(), lambda x: 2 / x ** 3),
]


def accuracy_table():
    print("1. f''' by three nested reverse sweeps, against the closed form (9 points)")
    print(f"{'f':>8}  {'closed form':>28}  {'max relative error':>18}")
    forms = {"tanh": "(1 - tanh²)(6 tanh² - 2)", "exp": "eˣ", "x^4": "24x",
             "sigmoid": "σ(1 - σ)(1 - 6σ + 6σ²)", "log": "2 / x³"}
    worst = 0.0
    for name, f, closed in CLOSED_THIRD:
        x = np.linspace(0.25, 3.0, 9) if name == "log" else np.linspace(-2.0, 2.0, 9)
        got, want = nth_derivative(f, 3)(x), closed(x)
        error = float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-12)))
        worst = max(worst, error)
        print(f"{name:>8}  {forms[name]:>28}  {error:>18.1e}")
    return worst


F_CALLS = 20  # f alone is quick: time 20 calls and divide, so the timer's noise stays small


def cost_in_f(f, x, contestants, repeats):
    """{name: CPU time of one call / CPU time of one f(x)}, medians of per-round ratios."""
    def many_f():
        for _ in range(F_CALLS):
            f(Tensor(x, requires_grad=True))

    runs = {"f": many_f, **contestants}
    seconds = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            started = time.process_time()
            run()
            seconds[name].append(time.process_time() - started)
    return {name: F_CALLS * statistics.median(t / r for t, r in zip(seconds[name], seconds["f"], strict=True))
            for name in contestants}


def derivative_graph(x, order):
    """The k-th derivative of tanh at x as a Tensor still on its recorded graph."""
    leaf = Tensor(x, requires_grad=True)
    out = leaf.tanh()
    for _ in range(order):
        (out,) = backprop(out.sum(), [leaf], create_graph=True)
    return out


def cost_table(repeats):
    print("\n2. the k-th derivative of tanh on 1000 points: k nested sweeps")
    x = np.linspace(-2.0, 2.0, 1000)
    orders = range(1, 6)
    costs = cost_in_f(lambda z: z.tanh(), x, {
        k: (lambda k=k: nth_derivative(lambda z: z.tanh(), k)(x)) for k in orders}, repeats)
    print(f"{'order k':>8}  {'graph nodes':>11}  {'cost / f':>9}")
    for k in orders:
        nodes = len(topo_order(derivative_graph(x, k), grad_only=False))
        print(f"{k:>8}  {nodes:>11}  {costs[k]:>9.1f}")
    # tanh⁽⁵⁾ = 8(1 − t²)(2 − 15t² + 15t⁴), t = tanh x: the derivative of the fourth,
    # 8t(1 − t²)(2 − 3t²) = 8(2t − 5t³ + 3t⁵), times t' = 1 − t²
    t = np.tanh(x)
    closed = 8 * (1 - t * t) * (2 - 15 * t ** 2 + 15 * t ** 4)
    error = float(np.max(np.abs(derivative_graph(x, 5).data - closed)))
    print(f"order 5 against the closed form 8(1 - t²)(2 - 15t² + 15t⁴): max |error| {error:.1e}")
    return error


def directional_table(sizes, repeats):
    print("\n3. D³f(x)[v,v,v] for f(x) = Σ tanh(Wx)·‖x‖²: three passes whatever n is")
    rng = np.random.default_rng(0)
    print(f"{'n':>5}  {'directional / f':>15}  {'whole tensor / f':>16}  {'tensor·vvv - directional':>24}")
    for n in sizes:
        w, x, v = Tensor(rng.standard_normal((8, n))), rng.standard_normal(n), rng.standard_normal(n)

        def f(z, w=w):
            return (w @ z).tanh().sum() * (z * z).sum()

        contestants = {"directional": lambda f=f, x=x, v=v: third_directional(f, x, v)}
        whole = n <= 16  # n(n + 1)/2 products: 2,080 of them at n = 64
        if whole:
            contestants["tensor"] = lambda f=f, x=x: third_derivative_tensor(f, x)
        costs = cost_in_f(f, x, contestants, repeats)
        if whole:
            tensor = third_derivative_tensor(f, x)
            gap = abs(float(np.einsum("ijk,i,j,k->", tensor, v, v, v)) - third_directional(f, x, v))
            print(f"{n:>5}  {costs['directional']:>15.1f}  {costs['tensor']:>16.1f}  {gap:>24.1e}")
        else:
            print(f"{n:>5}  {costs['directional']:>15.1f}  {'(not run)':>16}  {'':>24}")

    # p(x, y, z) = x²y + y³z + xyz + x⁴ along v = (a, b, c): D³p[v,v,v] is 6 × the t³
    # coefficient of p(point + t v), worked out term by term below
    point, v = np.array([0.3, -1.1, 0.7]), np.array([1.0, 2.0, -0.5])
    (x0, y0, z0), (a, b, c) = point, v

    def p(t):
        return t[0] * t[0] * t[1] + t[1] ** 3 * t[2] + t[0] * t[1] * t[2] + t[0] ** 4

    # x²y → 6a²b;  y³z → 6b³z + 18b²c·y;  xyz → 6abc;  x⁴ → 24a³x
    by_hand = 6 * a * a * b + 6 * b ** 3 * z0 + 18 * b * b * c * y0 + 6 * a * b * c + 24 * a ** 3 * x0
    engine = third_directional(p, point, v)
    print(f"polynomial x²y + y³z + xyz + x⁴ at {point.tolist()} along {v.tolist()}: "
          f"engine {engine:.12f}, by hand {by_hand:.12f}")
    return abs(engine - by_hand)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="interleaved timing rounds")
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 16, 64],
                        help="input sizes n for the directional-derivative table")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f}")
    worst = accuracy_table()
    fifth = cost_table(args.repeats)
    gap = directional_table(args.sizes, args.repeats)
    print(f"\nworst relative error of f''' {worst:.1e}; fifth-order error {fifth:.1e}; "
          f"polynomial gap {gap:.1e}")
    return 0 if worst < 1e-10 and fifth < 1e-10 and gap < 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
