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
Those are counts of arithmetic, not measurements: on the small problem of
`examples/hessian_free.py` (n = 30, a few dozen ops) `hvp_reverse` was measured the faster of
the two and with the lower peak traced memory (0.95 vs 1.2 ms, 26 vs 47 KiB), because the
tangent-carrying forward pass allocates a Tensor per tangent; the cost model above is the
asymptotic one.
"""

import numpy as np

from .forward import jvp
from .functional import returned_scalar, vjp
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


def hvp_reverse(f, x, v):
    """H(x)·v by reverse-over-reverse: ∇f recorded with `create_graph=True`, then the gradient
    of the scalar ∇f·v, since ∇ₓ(∇f(x)·v) = H v for constant v. Same result as `hvp`;
    it records the backward pass as a second graph (see the module docstring for the cost).

    Example:
        >>> hvp_reverse(lambda x: (x ** 3).sum(), [1.0, 2.0], [1.0, 1.0]).tolist()
        [6.0, 12.0]
    """
    x = Tensor(x, requires_grad=True)
    direction = Tensor(np.asarray(v, dtype=x.dtype))
    if direction.shape != x.shape:
        raise ValueError(f"hvp_reverse: v has shape {direction.shape} but x has shape {x.shape}")
    out = returned_scalar(f(x), "hvp_reverse")
    (gradient,) = backprop(out, [x], create_graph=True)
    directional = (gradient * direction).sum()
    if not directional.requires_grad:  # ∇f does not depend on x: f is affine, H = 0
        return np.zeros_like(x.data)
    (product,) = backprop(directional, [x])
    return product.data


def hvp_finite(grad_f, x, v, eps=None):
    """H(x)·v ≈ (∇f(x + εv) − ∇f(x)) / ε from two gradients, no second derivative at all.

    Truncation error O(ε), rounding error O(δ/ε) (δ the gradient's own rounding): the error
    against ε is V-shaped, best near √δ ≈ 1.5e-8 in float64 (the default, scaled by
    max(1, |x|)/|v|). `grad_f` maps an array to the gradient array.
    """
    x, v = np.asarray(x, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if eps is None:
        eps = np.sqrt(np.finfo(np.float64).eps) * max(1.0, float(np.abs(x).max(initial=0.0))) / \
            max(float(np.linalg.norm(v)), np.finfo(np.float64).tiny)
    return (np.asarray(grad_f(x + eps * v)) - np.asarray(grad_f(x))) / eps


def gauss_newton_product(residuals, x, v):
    """Jᵀ(J v) for the least-squares loss ½‖r(x)‖², J = ∂r/∂x: one JVP, then one VJP.

    The Gauss–Newton matrix JᵀJ is the Hessian of ½‖r‖² without the Σ rᵢ ∇²rᵢ term: always
    positive semi-definite, and exact when r is affine.

    Example:
        >>> gauss_newton_product(lambda x: x * 2.0, [1.0, 1.0], [1.0, 0.0]).tolist()  # JᵀJ = 4I
        [4.0, 0.0]
    """
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    _, jv = jvp(residuals, (x,), (np.asarray(v, dtype=x.dtype),))
    _, vjp_fn = vjp(residuals, x)
    (product,) = vjp_fn(jv)
    return product
