"""Plant a bug in a copy of a layer and watch both gradient checks catch it.

A student copies ``Dense`` and rewrites its backward, averaging the bias
gradient over the batch instead of summing it. The forward is still right, so
training would run (just slowly, with the wrong bias step) — but the gradient
checks do not let it pass, and their reports name the guilty tensor:

1. finite differences (``check_module``) on the layer alone: row ``b`` fails;
2. the autodiff engine (``cross_check``) on a model using it: row ``0.b`` fails.

Run it: ``python examples/planted_bug.py``.
"""

import numpy as np

from minidl import Dense, ReLU, Sequential, SoftmaxCrossEntropy
from minidl.gradcheck import check_module, cross_check


class StudentDense(Dense):
    """A copy of Dense whose backward has one planted bug."""

    def backward(self, dout):
        """Z = X W + b  ⇒  dX = dZ Wᵀ,  dW += Xᵀ dZ,  db += Σ_n dZ[n] (meant to, at least)."""
        x = self.cached()
        self.dW += x.T @ dout  # (D, H)
        self.db += dout.mean(axis=0)  # the bug: mean over the batch, where Σ_n is right
        return dout @ self.W.T  # (N, D)


def main() -> int:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 4))

    print("1. finite differences vs StudentDense.backward\n")
    by_differences = check_module(StudentDense(4, 3, rng=0, dtype="float64"), x, rng=0)
    print(by_differences.table() + "\n")

    print("2. the autodiff engine vs the same backward, inside a model\n")
    model = Sequential(StudentDense(4, 5, rng=1, dtype="float64"), ReLU(),
                       Dense(5, 3, rng=2, dtype="float64"))
    by_engine = cross_check(model, x, rng.integers(0, 3, 8), SoftmaxCrossEntropy())
    print(by_engine.table() + "\n")

    caught = by_differences.failed == ["b"] and by_engine.failed == ["0.b"]
    print(f"caught: {caught} (guilty tensors: {by_differences.failed} and {by_engine.failed})")
    return 0 if caught else 1


if __name__ == "__main__":
    raise SystemExit(main())
