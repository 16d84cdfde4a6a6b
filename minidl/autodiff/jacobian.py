"""Whole Jacobians and Hessians, built from the engine's one-direction products.

For f: ℝⁿ → ℝᵐ the Jacobian J (m × n) can be had column by column, one JVP J·eⱼ per input
element (forward mode, n passes), or row by row, one VJP eᵢᵀJ per output element (reverse
mode, m passes: one forward pass records the graph, then m reverse sweeps over it)
(background/backprop-calculus-curriculum.md §3–§4). Each pass costs a small multiple of one
evaluation of f, so the cheaper side is the one with fewer passes: `mode="auto"` picks
forward when n ≤ m and reverse otherwise — the answer to the curriculum's question of an AD
system that chooses its mode. `examples/jacobian_modes.py` measures the crossover.

The Hessian of a scalar f is the Jacobian of ∇f; it is built column by column from
Hessian-vector products H·eⱼ (`hvp`, forward-over-reverse), n of them.
"""

import numbers

import numpy as np

from .forward import jvp
from .functional import vjp
from .second_order import hvp

MODES = ("auto", "forward", "reverse")


def _output_size(f, args, i):
    """The output's shape, from one evaluation (forward mode, a zero tangent: no graph kept)."""
    out_value, _ = jvp(lambda xi: f(*_replace(args, i, xi)), (args[i],),
                       (np.zeros(np.shape(args[i])),))
    return np.shape(out_value)


def _differentiated(args, argnums, who):
    """``(i, x)``: the position of the argument to differentiate and its value as a float array."""
    if not -len(args) <= argnums < len(args):
        raise ValueError(f"{who}: argnums {argnums} is out of range for {len(args)} positional arguments")
    i = argnums % len(args)
    return i, np.asarray(args[i], dtype=np.result_type(np.asarray(args[i]).dtype, np.float32))


def _replace(args, i, value):
    args = list(args)
    args[i] = value
    return args


def choose_mode(n_inputs, n_outputs):
    """"forward" when there are no more inputs than outputs (n ≤ m passes), else "reverse"."""
    return "forward" if n_inputs <= n_outputs else "reverse"


def _check(argnums, mode, who):
    if not isinstance(argnums, numbers.Integral):
        raise TypeError(f"{who}: argnums must be one int (the argument to differentiate), "
                        f"got {argnums!r}")
    if mode not in MODES:
        raise ValueError(f"{who}: mode must be one of {', '.join(MODES)}, got {mode!r}")


def jacobian(f, argnums=0, mode="auto"):
    """Turn `f` into a function returning its Jacobian ∂f/∂args[argnums], of shape
    f(x).shape + x.shape.

    Args:
        f: function of Tensors returning a Tensor.
        argnums: which positional argument to differentiate (the others are held fixed).
        mode: "forward" (one JVP per input element), "reverse" (one VJP per output element)
            or "auto" (whichever needs fewer passes).

    Example:
        >>> from minidl.autodiff import jacobian
        >>> jacobian(lambda x: x * x)([1.0, 2.0]).tolist()
        [[2.0, 0.0], [0.0, 4.0]]
    """
    _check(argnums, mode, "jacobian")

    def jacobian_f(*args):
        i, x = _differentiated(args, argnums, "jacobian")
        args = _replace(args, i, x)
        out_shape = _output_size(f, args, i)
        n, m = x.size, int(np.prod(out_shape, dtype=int))
        chosen = choose_mode(n, m) if mode == "auto" else mode
        jac = np.empty((m, n), dtype=x.dtype)
        if chosen == "forward":
            for j in range(n):
                direction = np.zeros(n, dtype=x.dtype)
                direction[j] = 1
                _, column = jvp(lambda xi: f(*_replace(args, i, xi)), (x,),
                                (direction.reshape(x.shape),))
                jac[:, j] = np.ravel(column)
        else:
            _, vjp_fn = vjp(lambda xi: f(*_replace(args, i, xi)), x)
            for k in range(m):
                cotangent = np.zeros(m, dtype=x.dtype)
                cotangent[k] = 1
                (row,) = vjp_fn(cotangent.reshape(out_shape))
                jac[k, :] = np.ravel(row)
        return jac.reshape(tuple(out_shape) + x.shape)

    return jacobian_f


def hessian(f, argnums=0):
    """Turn scalar `f` into a function returning ∇²f with respect to args[argnums], of shape
    x.shape + x.shape, by n forward-over-reverse Hessian-vector products.

    Example:
        >>> from minidl.autodiff import hessian
        >>> hessian(lambda x: (x ** 3).sum())([1.0, 2.0]).tolist()   # diag(6x)
        [[6.0, 0.0], [0.0, 12.0]]
    """
    _check(argnums, "auto", "hessian")

    def hessian_f(*args):
        i, x = _differentiated(args, argnums, "hessian")
        n = x.size
        hess = np.empty((n, n), dtype=x.dtype)
        for j in range(n):
            direction = np.zeros(n, dtype=x.dtype)
            direction[j] = 1
            column = hvp(lambda xi: f(*_replace(args, i, xi)), x, direction.reshape(x.shape))
            hess[:, j] = np.ravel(column)
        return hess.reshape(x.shape + x.shape)

    return hessian_f
