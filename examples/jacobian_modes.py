"""Forward or reverse mode? Time a full Jacobian both ways as n (inputs) and m (outputs) vary.

f(x) = tanh(W x) · (Σx + 1), W of shape (m, n). Forward mode needs n JVPs, reverse mode m VJPs
(one recorded forward pass, then m sweeps), so the crossover sits near n = m; `mode="auto"`
chooses by comparing n with m, and the table shows whether that choice was the faster one.
The timings share the machine with whatever else runs: compare the ratios within one run.

    python examples/jacobian_modes.py
"""

import os
import time

import numpy as np

from minidl.autodiff import Tensor, jacobian
from minidl.autodiff.jacobian import choose_mode


def best_time(fn, repeats=3):
    """The fastest of a few runs, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'n':>5} {'m':>5} {'forward s':>10} {'reverse s':>10} {'fwd/rev':>8} "
          f"{'auto':>8} {'faster':>8}")
    agree = total = 0
    for n, m in [(2, 200), (10, 200), (50, 200), (100, 100), (200, 50), (200, 10), (200, 2)]:
        w, x = Tensor(rng.standard_normal((m, n))), rng.standard_normal(n)

        def f(t, w=w):
            return (w @ t).tanh() * (t.sum() + 1.0)
        t_fwd = best_time(lambda f=f, x=x: jacobian(f, mode="forward")(x))
        t_rev = best_time(lambda f=f, x=x: jacobian(f, mode="reverse")(x))
        auto, faster = choose_mode(n, m), ("forward" if t_fwd < t_rev else "reverse")
        total += 1
        agree += auto == faster
        print(f"{n:>5} {m:>5} {t_fwd:>10.4f} {t_rev:>10.4f} {t_fwd / t_rev:>8.2f} "
              f"{auto:>8} {faster:>8}")
    print(f"auto chose the faster mode in {agree} of {total} cases "
          "(near n = m the two are close and either may win)")


if __name__ == "__main__":
    main()
