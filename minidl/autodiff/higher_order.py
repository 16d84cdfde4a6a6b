"""Third and higher derivatives, by nesting the engine's first-order passes.

The curriculum's question "how would you compute third-order derivatives efficiently?"
(background/backprop-calculus-curriculum.md §9) has the answer of the second order, one
level deeper: never build the n × n × n tensor T = ∇³f unless you need all of it, and get
its contractions with directions from nested products, each a constant multiple of the
cost of f whatever n is (about 30 evaluations of f at the sizes `examples/higher_order.py`
measures, most of it the engine's per-op overhead).

- `nth_derivative(f, k)`: f⁽ᵏ⁾ of a function applied element by element, from k nested
  reverse sweeps (`create_graph=True` on all but the last). Each sweep runs over the graph
  that the sweeps before it recorded, and that graph grows by a constant factor per order
  (`examples/higher_order.py` counts the nodes), so the k-th derivative costs about cᵏ
  evaluations of f: fine for small k, which is what nesting is for.
- `third_order_product(f, x, u, v)`: the vector T[u, v, ·] = ∇ₓ(uᵀ∇²f(x) v), from ONE
  forward pass carrying the tangent u and TWO reverse sweeps (forward-over-reverse-over-
  reverse), whatever n is; `method="reverse"` does three reverse sweeps instead.
- `third_directional(f, x, v)`: the number D³f(x)[v, v, v] = d³/dt³ f(x + t v) at t = 0,
  which is T[v, v, ·]·v: the same three passes.
- `third_derivative_tensor(f, x)`: all of T, from n(n + 1)/2 products T[eᵢ, eⱼ, ·]
  (T is symmetric in its three indices, so the columns j > i are copies).
"""

import numpy as np

from .functional import returned_scalar
from .graph import backprop
from .tensor import Tensor

METHODS = ("forward", "reverse")


def nth_derivative(f, order):
    """Turn `f`, applied element by element, into x ↦ f⁽ᵒʳᵈᵉʳ⁾(x) (an array of x's shape).

    Equation: g₀ = f(x), gₖ = ∇ₓ Σᵢ gₖ₋₁,ᵢ. When output i depends on input i only, the sum
    has the diagonal derivative ∂/∂xᵢ Σⱼ gⱼ = g'ᵢ, so gₖ = f⁽ᵏ⁾(x) at every point at once.
    (For any other f this is the k-th derivative tensor of Σf contracted with ones in all but
    one index.) Cost: one forward pass and `order` reverse sweeps, each over the graph the
    sweeps before it recorded (`create_graph=True`), so about cᵒʳᵈᵉʳ evaluations of f.

    Example:
        >>> from minidl.autodiff.higher_order import nth_derivative
        >>> nth_derivative(lambda x: x ** 4, 3)([1.0, 2.0]).tolist()   # 24x
        [24.0, 48.0]
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"nth_derivative: order must be an int ≥ 1, got {order!r}")

    def derivative(x):
        x = Tensor(x, requires_grad=True)
        out = f(x)
        if not isinstance(out, Tensor) or out.shape != x.shape:
            raise ValueError(f"nth_derivative: f must act element by element and return a "
                             f"Tensor of x's shape {x.shape}, got "
                             f"{getattr(out, 'shape', type(out).__name__)}")
        for k in range(order):
            # a derivative that no longer depends on x (a polynomial run out) is constant:
            # every further one is 0, which backprop returns for an output off the graph
            (out,) = backprop(out.sum(), [x], create_graph=k < order - 1)
        return out.data

    return derivative


def _direction(value, x, who, name):
    direction = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=x.dtype)
    if direction.shape != x.shape:
        raise ValueError(f"{who}: {name} has shape {direction.shape} but x has shape {x.shape}")
    return direction


def third_order_product(f, x, u, v, method="forward"):
    """T[u, v, ·] = Σⱼₖ ∂³f/∂xᵢ∂xⱼ∂xₖ · uⱼ vₖ for scalar `f`, an array of x's shape.

    Equation: T[u, v, ·] = ∇ₓ(uᵀ H(x) v) = d/dε ∇ₓ(∇f(x + εu)·v) at ε = 0.
    - "forward" (forward-over-reverse-over-reverse): x carries the tangent u through the
      forward pass; the first reverse sweep records ∇f (`create_graph=True`), the scalar
      s = ∇f·v is formed, and the second sweep gives ∇s = H v, whose tangent is T[u, v, ·].
      One forward and two reverse sweeps, each doing about twice the arithmetic.
    - "reverse" (reverse-over-reverse-over-reverse): ∇(∇(∇f·u)·v), three reverse sweeps,
      the first two recorded; no tangents, but a deeper recorded graph.

    Example:
        >>> third_order_product(lambda x: (x ** 4).sum(), [1.0, 2.0], [1.0, 1.0], [1.0, 1.0]).tolist()
        [24.0, 48.0]
    """
    if method not in METHODS:
        raise ValueError(f"third_order_product: method must be one of {', '.join(METHODS)}, "
                         f"got {method!r}")
    x = Tensor(x, requires_grad=True)
    u = _direction(u, x, "third_order_product", "u")
    v = Tensor(_direction(v, x, "third_order_product", "v"))
    if method == "forward":
        x.tangent = Tensor(u)
    out = returned_scalar(f(x), "third_order_product")
    (gradient,) = backprop(out, [x], create_graph=True)
    if method == "reverse":
        (gradient,) = backprop((gradient * Tensor(u)).sum(), [x], create_graph=True)
    (product,) = backprop((gradient * v).sum(), [x])
    if method == "reverse":
        return product.data
    # no tangent: H v does not depend on x along u (f is at most quadratic there), T = 0
    return product.tangent.data if product.tangent is not None else np.zeros_like(x.data)


def third_directional(f, x, v, method="forward"):
    """D³f(x)[v, v, v] = d³/dt³ f(x + t v) at t = 0, as a float: T[v, v, ·]·v.

    Three passes (see `third_order_product`), whatever the size of x.

    Example:
        >>> third_directional(lambda x: (x ** 3).sum(), [5.0, -1.0], [1.0, 2.0])   # 6·Σvᵢ³
        54.0
    """
    product = third_order_product(f, x, v, v, method)
    return float(np.sum(product * np.asarray(v, dtype=product.dtype)))


def third_derivative_tensor(f, x, method="forward"):
    """∇³f(x), of shape x.shape * 3, from n(n + 1)/2 products T[eᵢ, eⱼ, ·] (j ≤ i).

    T is symmetric in its three indices (f smooth), so T[eⱼ, eᵢ, ·] = T[eᵢ, eⱼ, ·] is copied,
    not computed. Each product is three passes, so the whole tensor is ~1.5 n² passes.
    """
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    n = x.size
    tensor = np.empty((n, n, n), dtype=x.dtype)
    eye = np.eye(n, dtype=x.dtype)
    for i in range(n):
        for j in range(i + 1):
            column = np.ravel(third_order_product(f, x, eye[i].reshape(x.shape),
                                                  eye[j].reshape(x.shape), method))
            tensor[i, j], tensor[j, i] = column, column
    return tensor.reshape(x.shape * 3)
