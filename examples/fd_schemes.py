"""Error of each finite-difference scheme against its step h: the V of truncation vs rounding.

For f(x) = sin(x)·eˣ at x = 0.4 (exact f' known), every scheme of `numerical_grad` is run over
h = 1e-1 … 1e-16. To the right of each V's bottom the truncation error ~C·hᵖ dominates (slope p
on the log-log plot: 1 forward, 2 central, 4 fourth-order and Richardson); to the left the
rounding error ~ε/h of subtracting nearly equal numbers grows. The complex step subtracts
nothing, so it has no left arm: it reaches machine precision and stays there.
(background/backprop-calculus-curriculum.md §8.)

    python examples/fd_schemes.py [--out docs/fd-schemes.png]

The table is printed always; the picture needs matplotlib.
"""

import argparse

import numpy as np

from minidl.gradcheck.numerical import SCHEMES, numerical_grad, scheme_eps

X = np.array([0.4])
EXACT = float(((np.cos(X) + np.sin(X)) * np.exp(X))[0])
STEPS = np.logspace(-1, -16, 31)


def f(v):
    return (np.sin(v) * np.exp(v)).sum()


def errors(scheme):
    """|estimate − f'| for every step in STEPS (floored at 1e-17 so a log plot can show 0)."""
    return np.array([max(abs(numerical_grad(f, X.copy(), eps=h, scheme=scheme)[0] - EXACT), 1e-17)
                     for h in STEPS])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/fd-schemes.png", help="where to save the picture")
    args = parser.parse_args()
    table = {scheme: errors(scheme) for scheme in SCHEMES}
    print(f"{'scheme':>11} {'best h':>9} {'best error':>11} {'default h':>10} {'err@default':>12}"
          f" {'err(h)/err(h/2) at h=0.08':>26}")
    for scheme, err in table.items():
        best = int(np.argmin(err))
        default = abs(numerical_grad(f, X.copy(), scheme=scheme)[0] - EXACT)
        halving = (abs(numerical_grad(f, X.copy(), eps=0.08, scheme=scheme)[0] - EXACT) /
                   max(abs(numerical_grad(f, X.copy(), eps=0.04, scheme=scheme)[0] - EXACT), 1e-17))
        print(f"{scheme:>11} {STEPS[best]:>9.1e} {err[best]:>11.1e} "
              f"{scheme_eps(X, scheme)[0]:>10.1e} {default:>12.1e} {halving:>26.1f}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed, so no picture (pip install matplotlib); "
              "the table above holds the same numbers")
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for scheme, err in table.items():
        ax.loglog(STEPS, err, marker=".", label=scheme)
    ax.set_xlabel("step h")
    ax.set_ylabel("|estimate − f'(x)|")
    ax.set_title("Finite-difference error against step: f(x) = sin(x)·eˣ at x = 0.4")
    ax.invert_xaxis()
    ax.legend()
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
