"""Whole Jacobians and Hessians, built from the engine's one-direction products.

For f: ℝⁿ → ℝᵐ the Jacobian J (m × n) can be had column by column, one JVP J·eⱼ per input
element (forward mode, n passes), or row by row, one VJP eᵢᵀJ per output element (reverse
mode, m passes: one forward pass records the graph, then m reverse sweeps over it)
(background/backprop-calculus-curriculum.md §3–§4). Each pass costs a small multiple of one
evaluation of f, so the cheaper side is the one with fewer passes: `mode="auto"` picks
forward when n ≤ m and reverse otherwise — the answer to the curriculum's question of an AD
system that chooses its mode. `examples/jacobian_modes.py` measures the crossover.

The Hessian of a scalar f is the Jacobian of ∇f; it is built column by column from
Hessian-vector products H·eⱼ (forward-over-reverse, as `hvp`), n of them.

`argnums` may be a tuple, as in JAX: then n counts the elements of every chosen argument,
and the results are a tuple of Jacobians (one per argument) or a tuple of tuples of Hessian
blocks, block (a, b) = ∂²f/∂x_a∂x_b of shape x_a.shape + x_b.shape.
"""

import numbers

import numpy as np

from .forward import jvp
from .functional import _argnums as argument_positions  # grad's own check, shared
from .functional import returned_scalar, returned_tensor, vjp
from .graph import backprop
from .mode import no_grad
from .tensor import Tensor

MODES = ("auto", "forward", "reverse")


def _chosen(args, argnums, who):
    """``(positions, xs, call)``: the positions to differentiate, their values as float
    arrays, and ``call(*xs)``, which runs f's arguments with those positions replaced."""
    positions = argument_positions(argnums, len(args), who)
    xs = [np.asarray(args[i], dtype=np.result_type(np.asarray(args[i]).dtype, np.float32))
          for i in positions]

    def with_values(values):
        replaced = list(args)
        for i, value in zip(positions, values, strict=True):
            replaced[i] = value
        return replaced

    return positions, xs, with_values


def choose_mode(n_inputs, n_outputs):
    """"forward" when there are no more inputs than outputs (n ≤ m passes), else "reverse"."""
    return "forward" if n_inputs <= n_outputs else "reverse"


def _check(argnums, mode, who):
    ints = argnums if isinstance(argnums, tuple) else (argnums,)
    if not all(isinstance(i, numbers.Integral) for i in ints):
        raise TypeError(f"{who}: argnums must be an int or a tuple of ints (the arguments to "
                        f"differentiate), got {argnums!r}")
    if mode not in MODES:
        raise ValueError(f"{who}: mode must be one of {', '.join(MODES)}, got {mode!r}")


def _unit(size, j, dtype, shape):
    """eⱼ of ℝ^size, shaped `shape`."""
    e = np.zeros(size, dtype=dtype)
    e[j] = 1
    return e.reshape(shape)


def jacobian(f, argnums=0, mode="auto"):
    """Turn `f` into a function returning its Jacobian ∂f/∂args[argnums], of shape
    f(x).shape + x.shape (a tuple of such arrays, one per argument, for a tuple `argnums`).

    Args:
        f: function of Tensors returning a Tensor.
        argnums: which positional argument(s) to differentiate (the others are held fixed).
        mode: "forward" (one JVP per input element), "reverse" (one VJP per output element)
            or "auto" (whichever needs fewer passes; n counts every chosen argument).

    Example:
        >>> from minidl.autodiff import jacobian
        >>> jacobian(lambda x: x * x)([1.0, 2.0]).tolist()
        [[2.0, 0.0], [0.0, 4.0]]
        >>> [j.tolist() for j in jacobian(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0)]
        [3.0, 2.0]
    """
    _check(argnums, mode, "jacobian")

    def jacobian_f(*args):
        _, xs, with_values = _chosen(args, argnums, "jacobian")

        def f_of(*values):
            return f(*with_values(values))

        with no_grad():  # one evaluation for the output's shape; no graph kept
            out_shape = returned_tensor(f_of(*[Tensor(x) for x in xs]), "jacobian").shape
        n, m = sum(x.size for x in xs), int(np.prod(out_shape, dtype=int))
        chosen = choose_mode(n, m) if mode == "auto" else mode
        jacs = [np.empty((m, x.size), dtype=x.dtype) for x in xs]
        if chosen == "forward":
            zeros = [np.zeros_like(x) for x in xs]
            for p, x in enumerate(xs):
                for j in range(x.size):
                    tangents = list(zeros)
                    tangents[p] = _unit(x.size, j, x.dtype, x.shape)
                    _, column = jvp(f_of, xs, tangents)
                    jacs[p][:, j] = np.ravel(column)
        else:
            _, vjp_fn = vjp(f_of, *xs)
            for k in range(m):
                rows = vjp_fn(_unit(m, k, xs[0].dtype, out_shape))
                for p, row in enumerate(rows):
                    jacs[p][k, :] = np.ravel(row)
        jacs = tuple(jac.reshape(tuple(out_shape) + x.shape) for jac, x in zip(jacs, xs, strict=True))
        return jacs if isinstance(argnums, tuple) else jacs[0]

    return jacobian_f


def hessian(f, argnums=0):
    """Turn scalar `f` into a function returning ∇²f with respect to args[argnums], of shape
    x.shape + x.shape, by n forward-over-reverse Hessian-vector products.

    For a tuple `argnums` it returns a tuple of tuples of blocks, as JAX does:
    ``h[a][b] = ∂²f/∂x_a∂x_b`` of shape x_a.shape + x_b.shape. One forward-over-reverse pass
    with the tangent eⱼ on x_b gives column j of every block h[·][b] at once, so the cost is
    n = Σ_b x_b.size passes.

    Example:
        >>> from minidl.autodiff import hessian
        >>> hessian(lambda x: (x ** 3).sum())([1.0, 2.0]).tolist()   # diag(6x)
        [[6.0, 0.0], [0.0, 12.0]]
        >>> [[float(b) for b in row] for row in hessian(lambda x, y: x * x * y, (0, 1))(1.0, 2.0)]
        [[4.0, 2.0], [2.0, 0.0]]
    """
    _check(argnums, "auto", "hessian")

    def hessian_f(*args):
        _, xs, with_values = _chosen(args, argnums, "hessian")
        blocks = [[np.empty((xa.size, xb.size), dtype=xa.dtype) for xb in xs] for xa in xs]
        for b, xb in enumerate(xs):
            for j in range(xb.size):
                leaves = [Tensor(x, requires_grad=True) for x in xs]
                leaves[b].tangent = Tensor(_unit(xb.size, j, xb.dtype, xb.shape))
                out = returned_scalar(f(*with_values(leaves)), "hessian")
                for a, gradient in enumerate(backprop(out, leaves)):
                    # no tangent: ∇_a f does not depend on x_b, so the column is 0
                    column = gradient.tangent.data if gradient.tangent is not None else 0
                    blocks[a][b][:, j] = np.ravel(column)
        blocks = tuple(tuple(block.reshape(xa.shape + xb.shape) for block, xb in zip(row, xs, strict=True))
                       for row, xa in zip(blocks, xs, strict=True))
        return blocks if isinstance(argnums, tuple) else blocks[0][0]

    return hessian_f
