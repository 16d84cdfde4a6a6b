"""Forward mode: Jacobian-vector products with dual numbers.

A dual number is x + ε·ẋ with ε² = 0; arithmetic on duals carries the derivative along:
(x + εẋ)(y + εẏ) = xy + ε(ẋy + xẏ), and f(x + εẋ) = f(x) + ε f'(x)ẋ
(background/backprop-calculus-curriculum.md §3, Algorithm 3.1). Here a Tensor is the primal
part and its `.tangent` (a Tensor of the same shape) the ε part: every op that sees an operand
with a tangent also computes the tangent of its result, by the op's `jvp` rule. So `jvp` runs
the user's own function, unchanged, on Tensors that carry tangents, with no graph and no
reverse pass. One forward pass gives J·t for one direction t: the full Jacobian of
f: ℝⁿ → ℝᵐ takes n passes (reverse mode takes m).
"""

import numpy as np

from .functional import returned_tensor
from .mode import no_grad
from .tensor import Tensor


def _dual(primal, tangent, i):
    """A Tensor for `primal` whose tangent is `tangent` (same shape and dtype)."""
    x = Tensor(primal)
    t = np.asarray(tangent.data if isinstance(tangent, Tensor) else tangent, dtype=x.dtype)
    if t.shape != x.shape:
        raise ValueError(f"jvp: tangent {i} has shape {t.shape} but primal {i} has shape {x.shape}")
    x.tangent = Tensor(t)
    return x


def jvp(f, primals, tangents):
    """Evaluate f and its directional derivative: `(f(*primals), J·tangents)` as arrays.

    Args:
        f: function of Tensors returning a Tensor.
        primals: tuple (or list) of the arguments: numbers or arrays.
        tangents: tuple (or list) of directions, one per primal, of the same shapes.

    Example:
        >>> from minidl.autodiff import jvp
        >>> out, t = jvp(lambda x, y: x * y + x, (2.0, 3.0), (1.0, 0.0))   # ∂/∂x = y + 1
        >>> float(out), float(t)
        (8.0, 4.0)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists), one entry per "
                        "argument of f, e.g. jvp(f, (x,), (v,))")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    duals = [_dual(p, t, i) for i, (p, t) in enumerate(zip(primals, tangents, strict=True))]
    with no_grad():
        out = returned_tensor(f(*duals), "jvp")
    tangent = out.tangent.data if out.tangent is not None else np.zeros_like(out.data)
    return out.data, tangent
