"""Element-wise ops: + − × ÷ power, negation, exp, log, tanh, relu, sigmoid.

Every Jacobian here is diagonal (background/backprop-population-node.md §4), so each rule
multiplies the upstream gradient by a local derivative, element by element. Binary ops
broadcast like numpy; their rules return gradients of the broadcast shape and the reverse
sweep sums each back to its operand's shape (`ops_shape.unbroadcast`).

Each op hands `from_op` two rules, both written with Tensor ops so that they can be
differentiated again (which is what `hvp` relies on):
- `vjp(g, z)`: one gradient per operand (reverse mode, p̄ += z̄ · ∂z/∂p);
- `jvp(z, *tangents)`: the tangent of the result (forward mode, ż = Σ ∂z/∂p · ṗ).
"""

import numpy as np

from .tensor import from_op, operands


def add(a, b):
    """z = a + b;  ∂z/∂a = 1, ∂z/∂b = 1."""
    a, b = operands(a, b)
    return from_op(a.data + b.data, "add", (a, b),
                   vjp=lambda g, z: (g, g),
                   jvp=lambda z, ta, tb: ta + tb)


def sub(a, b):
    """z = a − b;  ∂z/∂a = 1, ∂z/∂b = −1."""
    a, b = operands(a, b)
    return from_op(a.data - b.data, "sub", (a, b),
                   vjp=lambda g, z: (g, -g),
                   jvp=lambda z, ta, tb: ta - tb)


def mul(a, b):
    """z = a · b;  ∂(a·b)/∂a = b, ∂(a·b)/∂b = a."""
    a, b = operands(a, b)
    return from_op(a.data * b.data, "mul", (a, b),
                   vjp=lambda g, z: (g * b, g * a),
                   jvp=lambda z, ta, tb: ta * b + a * tb)


def div(a, b):
    """z = a / b;  ∂z/∂a = 1/b, ∂z/∂b = −a/b² = −z/b."""
    a, b = operands(a, b)
    return from_op(a.data / b.data, "div", (a, b),
                   vjp=lambda g, z: (g / b, -g * z / b),
                   jvp=lambda z, ta, tb: (ta - z * tb) / b)


def power(a, b):
    """z = aᵇ;  ∂z/∂a = b·aᵇ⁻¹, ∂z/∂b = aᵇ·log a.

    The exponent's derivative needs a > 0, so it is formed only when the exponent is a
    variable (requires grad / carries a tangent); `x ** 2` works for negative x.
    """
    a, b = operands(a, b)
    # Where a formula would meet 0·∞ it is replaced by its limit 0, as PyTorch does:
    # b·aᵇ⁻¹ at b = 0 (the base is swapped for 1 there), and aᵇ·log a at a = 0.
    exponent_zero = (b.data == 0).astype(a.dtype)
    base_zero = (a.data == 0).astype(a.dtype)

    def da():  # ∂z/∂a = b·aᵇ⁻¹
        return b * (a * (1 - exponent_zero) + exponent_zero) ** (b - 1)

    def db(z):  # ∂z/∂b = aᵇ·log a
        return z * log(a * (1 - base_zero) + base_zero)

    def vjp(g, z):
        return g * da(), (g * db(z) if b.requires_grad else None)

    def jvp(z, ta, tb):
        dz = ta * da()
        return dz + tb * db(z) if b.tangent is not None else dz

    return from_op(a.data ** b.data, "pow", (a, b), vjp, jvp)


def neg(x):
    """z = −x;  ∂z/∂x = −1."""
    return from_op(-x.data, "neg", (x,),
                   vjp=lambda g, z: (-g,),
                   jvp=lambda z, t: -t)


def exp(x):
    """z = eˣ;  exp' = exp, so ∂z/∂x = z."""
    return from_op(np.exp(x.data), "exp", (x,),
                   vjp=lambda g, z: (g * z,),
                   jvp=lambda z, t: t * z)


def log(x):
    """z = log x;  ∂z/∂x = 1/x."""
    return from_op(np.log(x.data), "log", (x,),
                   vjp=lambda g, z: (g / x,),
                   jvp=lambda z, t: t / x)


def tanh(x):
    """a = tanh x;  tanh' = 1 − tanh², so ∂a/∂x = 1 − a²."""
    return from_op(np.tanh(x.data), "tanh", (x,),
                   vjp=lambda g, a: (g * (1 - a * a),),
                   jvp=lambda a, t: t * (1 - a * a))


def relu(x):
    """z = max(x, 0);  relu'(x) = 1[x > 0], so relu'(0) = 0 (the mask is a constant)."""
    mask = (x.data > 0).astype(x.dtype)
    return from_op(x.data * mask, "relu", (x,),
                   vjp=lambda g, z: (g * mask,),
                   jvp=lambda z, t: t * mask)


def _stable_sigmoid(x):
    """σ(x) from e^(−|x|) ≤ 1, which cannot overflow (it underflows harmlessly to 0)."""
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(x):
    """s = σ(x) = 1 / (1 + e⁻ˣ);  σ' = σ(1 − σ), so ∂s/∂x = s(1 − s)."""
    return from_op(_stable_sigmoid(x.data), "sigmoid", (x,),
                   vjp=lambda g, s: (g * s * (1 - s),),
                   jvp=lambda s, t: t * s * (1 - s))
