"""Forward vs reverse mode, measured: how many passes, and how long, for a full derivative.

background/backprop-calculus-curriculum.md §6: for F: ℝⁿ → ℝᵐ, forward mode gets one
column J·eᵢ of the Jacobian per pass (n passes), reverse mode one row eⱼᵀ·J per pass
(m passes). So for a loss f: ℝⁿ → ℝ reverse mode needs 1 pass whatever n is, while for a
curve g: ℝ → ℝᵐ forward mode needs 1 pass whatever m is. This script counts the passes each
mode actually makes through minidl's engine (`jvp` calls; `vjp_fn` sweeps over the graph
recorded by one `vjp` forward pass), times them, and checks that both Jacobians agree.

Run:  python examples/forward_vs_reverse.py [--sizes 10 100 1000]
"""

import argparse
import time

import numpy as np

from minidl.autodiff import jvp, vjp


def f(x):
    """f: ℝⁿ → ℝ, a smooth scalar of every input."""
    return (x.tanh() * x).sum() + x.logsumexp()


def curve(weights):
    """g: ℝ → ℝᵐ, g(t) = tanh(t·w) + σ(t·w)."""
    def g(t):
        return (t * weights).tanh() + (t * weights).sigmoid()
    return g


def forward_jacobian(fn, x, n_out):
    """One jvp per input direction eᵢ: column i of J. Returns (J, passes)."""
    columns = [jvp(fn, (x,), (e.reshape(x.shape),))[1].reshape(n_out) for e in np.eye(x.size)]
    return np.stack(columns, axis=1), len(columns)


def reverse_jacobian(fn, x, n_out):
    """One recorded forward pass, then one reverse sweep per output direction eⱼ: row j."""
    out, vjp_fn = vjp(fn, x)
    rows = [vjp_fn(e.reshape(out.shape))[0].reshape(x.size) for e in np.eye(n_out)]
    return np.stack(rows), len(rows)


def timed(compute, *args, repeats=3):
    """The result of compute(*args) and its best wall time over `repeats` runs."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = compute(*args)
        best = min(best, time.perf_counter() - start)
    return result, best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000],
                        help="the n of f: ℝⁿ → ℝ and the m of g: ℝ → ℝᵐ")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    print("| function | size | forward passes | forward s | reverse passes | reverse s "
          "| forward ÷ reverse time | max abs(J_fwd − J_rev) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        problems = [("f: ℝⁿ→ℝ, n = size", f, rng.standard_normal(size), 1),
                    ("g: ℝ→ℝᵐ, m = size", curve(rng.standard_normal(size)), np.array(0.3), size)]
        for label, fn, x, n_out in problems:
            (j_fwd, p_fwd), t_fwd = timed(forward_jacobian, fn, x, n_out)
            (j_rev, p_rev), t_rev = timed(reverse_jacobian, fn, x, n_out)
            print(f"| {label} | {size} | {p_fwd} | {t_fwd:.5f} | {p_rev} | {t_rev:.5f} | "
                  f"{t_fwd / t_rev:.3g} | {np.max(np.abs(j_fwd - j_rev)):.1e} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
