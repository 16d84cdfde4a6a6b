"""Differentiating through an optimum: the implicit-function theorem on the engine's products.

Setting (background/backprop-calculus-curriculum.md §9): an inner problem y*(x) = argmin_y
g(x, y), solved by any means, and an outer loss L(x, y*(x)). At the optimum ∇_y g(x, y*) = 0
for every x; differentiating that identity in x gives

    ∂²g/∂y² · ∂y*/∂x + ∂²g/∂y∂x = 0   ⇒   ∂y*/∂x = −(∂²g/∂y²)⁻¹ ∂²g/∂y∂x,

so, with H = ∂²g/∂y² (symmetric) and the chain rule,

    dL/dx = ∂L/∂x + (∂y*/∂x)ᵀ ∂L/∂y = ∂L/∂x − (∂²g/∂x∂y) q,   where  H q = ∂L/∂y.

Nothing about how y* was found is differentiated, no step of the solver is stored, and no
matrix is formed: q comes from conjugate gradient on Hessian-vector products (`hvp` in y),
and (∂²g/∂x∂y) q is one forward-over-reverse pass (tangent q on y, gradient in x). The
price: the result is exact only at an exact optimum, and needs H positive definite there.
`examples/implicit_ridge.py` checks it against finite differences and an unrolled solver.
"""

import numpy as np

from .functional import returned_scalar
from .graph import backprop
from .second_order import hvp
from .tensor import Tensor


def conjugate_gradient(matvec, b, tol=1e-10, max_iter=None):
    """Solve A q = b for symmetric positive definite A, given only q ↦ A q.

    The Hestenes–Stiefel iteration: r₀ = p₀ = b, q₀ = 0, then
    αₖ = rₖᵀrₖ / pₖᵀA pₖ,  qₖ₊₁ = qₖ + αₖ pₖ,  rₖ₊₁ = rₖ − αₖ A pₖ,
    pₖ₊₁ = rₖ₊₁ + (rₖ₊₁ᵀrₖ₊₁ / rₖᵀrₖ) pₖ, until ‖r‖ ≤ tol·‖b‖. In exact arithmetic it ends in
    at most n steps (the default `max_iter` is 2n, for rounding).

    Returns:
        (q, iterations): q of b's shape and the number of products A p used.

    Raises:
        ValueError: pᵀA p ≤ 0 for some p, so A is not positive definite.

    Example:
        >>> q, k = conjugate_gradient(lambda v: np.array([[4.0, 1.0], [1.0, 3.0]]) @ v, np.array([1.0, 2.0]))
        >>> np.round(q, 6).tolist(), k
        ([0.090909, 0.636364], 2)
    """
    b = np.asarray(b, dtype=np.float64)
    q, r = np.zeros_like(b), b.copy()
    p, rr = r.copy(), float(np.vdot(r, r))
    target = tol * np.sqrt(rr)
    limit = 2 * b.size if max_iter is None else max_iter
    for k in range(limit):
        if np.sqrt(rr) <= target:
            return q, k
        ap = np.asarray(matvec(p), dtype=np.float64)
        curvature = float(np.vdot(p, ap))
        if curvature <= 0:
            raise ValueError(f"conjugate_gradient: pᵀAp = {curvature:.3g} ≤ 0 at step {k}: the "
                             "matrix is not positive definite (for implicit_grad: y is not a "
                             "strict minimum of the inner problem)")
        alpha = rr / curvature
        q, r = q + alpha * p, r - alpha * ap
        rr_next = float(np.vdot(r, r))
        p, rr = r + (rr_next / rr) * p, rr_next
    return q, limit


def _mixed_product(inner, x, y, q):
    """(∂²g/∂x∂y) q = d/dε ∇ₓ g(x, y + εq): y carries the tangent q, the gradient is in x."""
    x = Tensor(x, requires_grad=True)
    y = Tensor(y)
    y.tangent = Tensor(np.asarray(q, dtype=y.dtype))
    (gradient,) = backprop(returned_scalar(inner(x, y), "implicit_grad"), [x])
    # no tangent: ∇ₓ g does not depend on y, so the outer loss sees x only directly
    return gradient.tangent.data if gradient.tangent is not None else np.zeros_like(x.data)


def implicit_grad(inner, outer, x, y_star, tol=1e-10, max_iter=None):
    """dL/dx for L(x, y*(x)), y*(x) = argmin_y inner(x, y), by the implicit-function theorem.

    Equation: dL/dx = ∂L/∂x − (∂²g/∂x∂y) q with (∂²g/∂y²) q = ∂L/∂y, all at (x, y*)
    (module docstring). Cost: one gradient of L, one CG solve of a few `hvp` in y (at most
    2·y.size), and one forward-over-reverse pass for the mixed product.

    Args:
        inner: g(x, y) → scalar Tensor, the problem y* minimises (x and y are Tensors).
        outer: L(x, y) → scalar Tensor.
        x: the outer variable (number or array).
        y_star: the inner minimiser at x, found by any solver; the formula is exact only
            where ∇_y g(x, y*) = 0, and its error grows with that gradient.
        tol, max_iter: the conjugate-gradient stopping rule (see `conjugate_gradient`).

    Returns:
        dL/dx, an array of x's shape.

    Example:
        >>> # y*(x) = argmin (y − x²)² = x², L = y ⇒ dL/dx = 2x
        >>> float(implicit_grad(lambda x, y: (y - x * x) ** 2, lambda x, y: y, 3.0, 9.0))
        6.0
    """
    x_t, y_t = Tensor(x, requires_grad=True), Tensor(y_star, requires_grad=True)
    dl_dx, dl_dy = (g.data for g in backprop(returned_scalar(outer(x_t, y_t), "implicit_grad"),
                                             [x_t, y_t]))
    x_fixed = Tensor(x_t.data)
    q, _ = conjugate_gradient(lambda v: hvp(lambda y: inner(x_fixed, y), y_t.data, v), dl_dy,
                              tol, max_iter)
    return dl_dx - _mixed_product(inner, x_t.data, y_t.data, q.astype(y_t.dtype))
