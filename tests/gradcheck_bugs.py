"""Layers with planted backward bugs, shared by the gradient-check tests.

Each is a subclass of a correct layer that overrides ``backward`` with one
classic mistake, the way a student's edited copy would. ``PLANTED`` lists them
with the tensor a check must blame (names as in a report on the layer alone).
"""

from minidl import Dense, Tanh


class ScaledDense(Dense):
    def backward(self, dout):
        """A planted bug: dX = 1.01 · dZ Wᵀ (1% too large)."""
        return 1.01 * super().backward(dout)


class TransposedDW(Dense):
    def backward(self, dout):
        """A planted bug: dW = (Xᵀ dZ)ᵀ, the transpose of the right answer (W is square)."""
        x = self.cached()
        self.dW += (x.T @ dout).T
        self.db += dout.sum(axis=0)
        return dout @ self.W.T


class OverwritingDense(Dense):
    def backward(self, dout):
        """A planted bug: dW = Xᵀ dZ assigned, not accumulated."""
        x = self.cached()
        self.dW[...] = x.T @ dout
        self.db += dout.sum(axis=0)
        return dout @ self.W.T


class UnsummedBias(Dense):
    def backward(self, dout):
        """A planted bug: db = dZ[0] instead of Σ_n dZ[n]."""
        x = self.cached()
        self.dW += x.T @ dout
        self.db += dout[0]
        return dout @ self.W.T


class TanhWithoutDerivative(Tanh):
    def backward(self, dout):
        """A planted bug: dZ = dH, forgetting the (1 − H²) factor."""
        self.cached()
        return dout


def planted():
    """Fresh ``(layer, guilty tensors)`` pairs, float64, for inputs of width 4."""
    return [
        (ScaledDense(4, 3, rng=0, dtype="float64"), ["dx"]),
        (TransposedDW(4, 4, rng=0, dtype="float64"), ["W"]),
        (OverwritingDense(4, 3, rng=0, dtype="float64"), ["W"]),
        (UnsummedBias(4, 3, rng=0, dtype="float64"), ["b"]),
        (TanhWithoutDerivative(), ["dx"]),
    ]
