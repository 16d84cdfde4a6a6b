"""Matrix multiplication `a @ b`: matrix–matrix, matrix–vector, vector–vector and batched.

For C = A B (background/backprop-calculus-curriculum.md §5):
    ∂L/∂A = ∂L/∂C · Bᵀ,   ∂L/∂B = Aᵀ · ∂L/∂C.
Vectors are first reshaped to a row (left) or a column (right) and the result reshaped back,
as numpy does, so one rule covers every case; batch axes broadcast, and the reverse sweep sums
their gradients back (`unbroadcast`).
"""

import numpy as np

from . import ops_shape
from .tensor import from_op, operands


def _compatible(a_shape, b_shape):
    """Whether numpy's matmul rules accept the two shapes (no 0-d operand, equal inner
    dimensions, broadcastable batch axes)."""
    if not a_shape or not b_shape:
        return False
    inner = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if a_shape[-1] != inner:
        return False
    try:
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        return False
    return True


def _swap_last(x):
    """x with its last two axes swapped (the matrix transpose of every batch entry)."""
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return ops_shape.transpose(x, axes)


def _matmul_nd(a, b):
    """C = A B for ndim ≥ 2;  ∂L/∂A = ∂L/∂C · Bᵀ,  ∂L/∂B = Aᵀ · ∂L/∂C.

    An operand that needs no gradient (a batch of data) gets none: that product is the
    largest of a training step's, and skipping it is what PyTorch does too.
    """
    def vjp(g, c):
        return (_matmul_nd(g, _swap_last(b)) if a.requires_grad else None,
                _matmul_nd(_swap_last(a), g) if b.requires_grad else None)

    return from_op(np.matmul(a.data, b.data), "matmul", (a, b), vjp=vjp,
                   jvp=lambda c, ta, tb: _matmul_nd(ta, b) + _matmul_nd(a, tb))


def matmul(a, b):
    """a @ b with numpy's rules; vectors become a row (left) or a column (right) and back.

    >>> from minidl.autodiff import Tensor
    >>> (Tensor([[1.0, 2.0]]) @ [[3.0], [4.0]]).data.tolist()
    [[11.0]]
    """
    a, b = operands(a, b)
    if not _compatible(a.shape, b.shape):
        raise ValueError(f"matmul: cannot multiply {a.shape} by {b.shape}")
    a2 = a if a.ndim > 1 else ops_shape.reshape(a, (1, -1))
    b2 = b if b.ndim > 1 else ops_shape.reshape(b, (-1, 1))
    out = _matmul_nd(a2, b2)
    if a.ndim > 1 and b.ndim > 1:
        return out
    # drop the row / column axes the vectors were given
    shape = out.shape[:-2] + out.shape[-2:-1] * (a.ndim > 1) + out.shape[-1:] * (b.ndim > 1)
    return ops_shape.reshape(out, shape)
