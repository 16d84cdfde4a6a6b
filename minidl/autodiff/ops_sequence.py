"""Ops the recurrent layers' engine formulations need: stacking per-step Tensors along a
new (time) axis. Slicing one step out is ``getitem`` and an embedding look-up is a
``getitem`` with an integer array (its backward scatter-adds, so a repeated id gets every
gradient); see docs/derivations/recurrent.md.

The rule is written with Tensor ops, so it can be differentiated again (``hvp``).
"""

import numpy as np

from .tensor import as_tensor, from_op


def stack(tensors, axis: int = 1):
    """z = stack(x_1 … x_T) along a new ``axis``;  ∂L/∂x_t = (∂L/∂z) taken at index t of that axis.

    >>> from minidl.autodiff import Tensor
    >>> stack([Tensor([[1.0]]), Tensor([[2.0]])], axis=1).shape
    (1, 2, 1)
    """
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected at least one Tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: every Tensor must have the same shape, got {sorted(shapes)}")
    data = np.stack([t.data for t in tensors], axis=axis)
    axis = axis % data.ndim

    def pick(g, t):
        index = (slice(None),) * axis + (t,)
        return g[index]

    return from_op(data, "stack", tuple(tensors),
                   vjp=lambda g, z: tuple(pick(g, t) for t in range(len(tensors))),
                   jvp=lambda z, *tangents: stack(
                       [tan if tan is not None else as_tensor(np.zeros_like(x.data))
                        for tan, x in zip(tangents, tensors)], axis))
