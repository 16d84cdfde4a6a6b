"""Ops that move numbers without changing them: reshape, transpose, indexing, broadcasting.

Their Jacobians are permutations, selections and copies, so each backward rule sends every
upstream gradient back to the element it came from: reshape back, transpose by the inverse
permutation, scatter into place, or sum over the copies a broadcast made. `unbroadcast` is
the one helper the reverse sweep uses to sum a gradient back to its operand's shape.
"""

import numpy as np

from .tensor import Tensor, from_op


def reshape(x, shape):
    """y = x viewed with `shape`;  ∂L/∂x = reshape(∂L/∂y, x.shape) (nothing moves)."""
    return from_op(x.data.reshape(shape), "reshape", (x,),
                   vjp=lambda g, y: (reshape(g, x.shape),),
                   jvp=lambda y, t: reshape(t, y.shape))


def transpose(x, axes=None):
    """y = x with axes permuted;  ∂L/∂x = transpose(∂L/∂y, inverse permutation)."""
    if axes is None or (x.ndim == 2 and tuple(axes) in ((1, 0), (-1, -2), (1, -2), (-1, 0))):
        # The common case, a matrix transpose (every matmul's backward makes two): its own
        # inverse, and `.T` is the cheapest way to ask numpy for it.
        data, order = x.data.T, tuple(range(x.ndim))[::-1]
        inverse = order
    else:
        data = np.transpose(x.data, axes)  # numpy validates `axes`
        order = tuple(a % x.ndim for a in axes)
        inverse = tuple(sorted(range(x.ndim), key=order.__getitem__))
    return from_op(data, "transpose", (x,),
                   vjp=lambda g, y: (transpose(g, inverse),),
                   jvp=lambda y, t: transpose(t, order))


def _check_key(key):
    parts = key if isinstance(key, tuple) else (key,)
    if any(isinstance(part, Tensor) for part in parts):
        raise TypeError("Tensor indexing: use ints, slices or integer numpy arrays as "
                        "indices, not Tensors (indices are not differentiable)")


def getitem(x, key):
    """y = x[key];  each picked element sends its gradient back to where it came from.

    Backward scatters with np.add.at, so an index picked twice receives both gradients.
    """
    _check_key(key)
    return from_op(x.data[key], "getitem", (x,),
                   vjp=lambda g, y: (scatter_add(g, key, x.shape),),
                   jvp=lambda y, t: t[key])


def scatter_add(g, key, shape):
    """z = zeros(shape), z[key] += g (np.add.at);  its adjoint is indexing: ∂L/∂g = (∂L/∂z)[key].
    """
    data = np.zeros(shape, dtype=g.dtype)
    np.add.at(data, key, g.data)
    return from_op(data, "scatter_add", (g,),
                   vjp=lambda gz, z: (gz[key],),
                   jvp=lambda z, t: scatter_add(t, key, shape))


def broadcast_to(x, shape):
    """y = x copied out to `shape`;  each copy sends its gradient back: ∂L/∂x = unbroadcast(∂L/∂y).
    """
    shape = tuple(shape)
    return from_op(np.broadcast_to(x.data, shape), "broadcast_to", (x,),
                   vjp=lambda g, y: (unbroadcast(g, x.shape),),
                   jvp=lambda y, t: broadcast_to(t, shape))


def _sum_to(array, shape):
    """Sum `array` over the axes numpy broadcasting added or stretched to reach its shape."""
    lead = array.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape)
                      if n == 1 and array.shape[lead + i] != 1)
    return array.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)


def unbroadcast(g, shape):
    """Sum g down to `shape`, undoing numpy broadcasting;  its adjoint is broadcast_to.

    Broadcasting repeats an element along the new or stretched axes, so that element's
    gradient is the sum of its copies' gradients.
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    return from_op(_sum_to(g.data, shape), "unbroadcast", (g,),
                   vjp=lambda gz, z: (broadcast_to(gz, g.shape),),
                   jvp=lambda z, t: unbroadcast(t, shape))
