"""Hessian-vector products H(x)·v, by forward-over-reverse.

Method: forward mode (dual numbers) pushed through a reverse sweep. `x` gets the tangent `v`;
the forward pass records the graph and carries tangents; then the reverse sweep runs, and
because every backward rule is written with Tensor ops (see `ops_elementwise`), the
gradient ∇f(x) it computes carries a tangent too: the directional derivative of ∇f along v,
d/dε ∇f(x + εv) = H(x)·v.

Why this one rather than reverse-over-reverse (`backprop(..., create_graph=True)`, then a
second sweep over the recorded backward pass, which the engine also supports):
- it costs one forward and one reverse sweep, each doing about twice the arithmetic, and
  keeps the graph of the forward pass only; reverse-over-reverse must record the whole
  backward pass as a second graph (about twice the memory) and sweep back through it;
- it needs no extra traversal logic: the forward-mode rules that `jvp` already uses do the
  second differentiation.
Tests check both against each other and against finite differences of `grad`.
"""

import numpy as np

from .functional import returned_scalar
from .graph import backprop
from .tensor import Tensor


def hvp(f, x, v):
    """H(x)·v for scalar `f`, with H = ∇²f, as an array of x's shape (forward-over-reverse).

    Example:
        >>> from minidl.autodiff import hvp
        >>> hvp(lambda x: (x ** 3).sum(), [1.0, 2.0], [1.0, 1.0]).tolist()   # H = diag(6x)
        [6.0, 12.0]
    """
    x = Tensor(x, requires_grad=True)
    direction = np.asarray(v, dtype=x.dtype)
    if direction.shape != x.shape:
        raise ValueError(f"hvp: v has shape {direction.shape} but x has shape {x.shape}")
    x.tangent = Tensor(direction)
    out = returned_scalar(f(x), "hvp")
    (gradient,) = backprop(out, [x])
    if gradient.tangent is None:  # ∇f does not depend on x: f is affine, H = 0
        return np.zeros_like(x.data)
    return gradient.tangent.data
