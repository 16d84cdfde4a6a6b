"""Reductions: sum, mean, max, logsumexp, and log_softmax (which reduces to normalise).

A reduction collapses many elements into one, so its backward broadcasts the upstream
gradient back over the reduced axes (background/backprop-population-node.md §5, "sum
broadcasts the upstream gradient back to every element") and weights it by the local
derivative: 1 for sum, 1/n for mean, a tie-sharing mask for max, softmax for logsumexp.
"""

import math

import numpy as np

from . import ops_shape
from .tensor import from_op


def normalize_axes(axis, ndim, op):
    """`axis` (None, an int or a tuple of ints, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
    normal = tuple(sorted(int(a) % ndim for a in axes))
    if len(set(normal)) != len(normal):
        raise ValueError(f"{op}: axis {axis} repeats an axis")
    return normal


def _kept(shape, axes):
    """The shape a reduction over `axes` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(g, shape, axes):
    """Broadcast a reduction's upstream gradient back over the reduced `axes` of `shape`."""
    return ops_shape.broadcast_to(ops_shape.reshape(g, _kept(shape, axes)), shape)


def reduce_sum(x, axis=None, keepdims=False):
    """s = Σ x over `axis`;  ∂s/∂xᵢ = 1: sum broadcasts the upstream gradient to every element."""
    axes = normalize_axes(axis, x.ndim, "sum")
    return from_op(x.data.sum(axis=axes, keepdims=keepdims), "sum", (x,),
                   vjp=lambda g, s: (_spread(g, x.shape, axes),),
                   jvp=lambda s, t: reduce_sum(t, axes, keepdims))


def reduce_mean(x, axis=None, keepdims=False):
    """m = (1/n) Σ x over `axis`;  ∂m/∂xᵢ = 1/n: each element gets the upstream gradient / n.
    """
    axes = normalize_axes(axis, x.ndim, "mean")
    n = math.prod(x.shape[a] for a in axes)
    return from_op(x.data.mean(axis=axes, keepdims=keepdims), "mean", (x,),
                   vjp=lambda g, m: (_spread(g, x.shape, axes) * (1.0 / n),),
                   jvp=lambda m, t: reduce_mean(t, axes, keepdims))


def reduce_max(x, axis=None, keepdims=False):
    """m = max x over `axis`;  ∂m/∂xᵢ = 1/k if xᵢ is one of k tied maxima, else 0.

    Ties split the gradient evenly (a valid subgradient, and what `np.max`'s symmetry
    suggests); with no tie the whole gradient goes to the single argmax.
    """
    axes = normalize_axes(axis, x.ndim, "max")
    data = x.data.max(axis=axes, keepdims=keepdims)
    hits = x.data == np.reshape(data, _kept(x.shape, axes))
    share = (hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype)
    return from_op(data, "max", (x,),
                   vjp=lambda g, m: (_spread(g, x.shape, axes) * share,),
                   jvp=lambda m, t: reduce_sum(t * share, axes, keepdims))


def _logsumexp_kept(a, axes):
    """log Σ exp(a) over `axes` (keepdims), as m + log Σ exp(a − m) with m = max a: the exponent
    is ≤ 0, so exp never overflows."""
    m = a.max(axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # an all −inf slice: avoid inf − inf
    with np.errstate(under="ignore", divide="ignore"):
        return m + np.log(np.exp(a - m).sum(axis=axes, keepdims=True))


def logsumexp(x, axis=None, keepdims=False):
    """l = log Σ exp x over `axis`;  ∂l/∂xᵢ = exp(xᵢ − l) = softmax(x)ᵢ."""
    axes = normalize_axes(axis, x.ndim, "logsumexp")
    kept = _kept(x.shape, axes)
    data = _logsumexp_kept(x.data, axes)
    if not keepdims:
        data = data.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def softmax(lse):
        return (x - ops_shape.reshape(lse, kept)).exp()  # exp(xᵢ − l), l kept as a Tensor

    return from_op(data, "logsumexp", (x,),
                   vjp=lambda g, lse: (_spread(g, x.shape, axes) * softmax(lse),),
                   jvp=lambda lse, t: reduce_sum(t * softmax(lse), axes, keepdims))


def log_softmax(x, axis=-1):
    """y = x − logsumexp(x) along `axis`;  ∂L/∂x = ∂L/∂y − softmax(x) · Σ ∂L/∂y (softmax = eʸ)."""
    axes = normalize_axes(axis, x.ndim, "log_softmax")
    return from_op(x.data - _logsumexp_kept(x.data, axes), "log_softmax", (x,),
                   vjp=lambda g, y: (g - y.exp() * reduce_sum(g, axes, keepdims=True),),
                   jvp=lambda y, t: t - reduce_sum(y.exp() * t, axes, keepdims=True))
