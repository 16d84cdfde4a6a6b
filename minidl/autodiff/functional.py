"""Function transforms in reverse mode: `grad`, `value_and_grad`, `vjp` (JAX's names).

Each takes a function `f` of Tensors that returns a Tensor, wraps the chosen arguments as
Tensors that require grad, runs `f` once to record the graph, and sweeps back. Arguments
may be numbers or arrays; the results are numpy arrays. Arguments that are not
differentiated are passed to `f` unchanged (so integer labels stay integers).
"""

import functools
import numbers

from .graph import backprop
from .tensor import Tensor


def returned_tensor(out, who):
    """`out`, checked to be a Tensor: f must build its result from its Tensor arguments."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: f must return a Tensor, got {type(out).__name__}; build the "
                        "result from f's Tensor arguments")
    return out


def returned_scalar(out, who):
    """`out`, checked to be a one-element Tensor: a gradient needs a scalar function."""
    out = returned_tensor(out, who)
    if out.size != 1:
        raise ValueError(f"{who}: f must return a scalar (one-element) Tensor, got shape "
                         f"{out.shape}; reduce it (e.g. .sum()) or use vjp for non-scalar outputs")
    return out


def _argnums(argnums, n_args, who):
    """The positions to differentiate, as a tuple, checked against the number of arguments."""
    nums = (int(argnums),) if isinstance(argnums, numbers.Integral) else tuple(int(i) for i in argnums)
    if not nums or len(set(nums)) != len(nums):
        raise ValueError(f"{who}: argnums must be an int or a tuple of distinct ints, "
                         f"got {argnums}")
    for i in nums:
        if not -n_args <= i < n_args:
            raise ValueError(f"{who}: argnums {i} is out of range for {n_args} "
                             "positional arguments")
    return tuple(i % n_args for i in nums)


def value_and_grad(f, argnums=0):
    """Turn scalar `f` into a function returning `(f(*args), ∂f/∂args[argnums])` as arrays.

    The gradient is one array for an int `argnums`, a tuple of arrays for a tuple.

    Example:
        >>> from minidl.autodiff import value_and_grad
        >>> value, g = value_and_grad(lambda x: (x * x).sum())([1.0, 2.0])
        >>> float(value), g.tolist()
        (5.0, [2.0, 4.0])
    """
    @functools.wraps(f)
    def value_and_grad_f(*args):
        nums = _argnums(argnums, len(args), "grad")
        args = list(args)
        for i in nums:
            args[i] = Tensor(args[i], requires_grad=True)
        out = returned_scalar(f(*args), "grad")
        grads = tuple(g.data for g in backprop(out, [args[i] for i in nums]))
        return out.data, grads[0] if isinstance(argnums, numbers.Integral) else grads

    return value_and_grad_f


def grad(f, argnums=0):
    """Turn scalar `f` into a function returning ∂f/∂args[argnums] (array, or tuple of arrays).

    Example:
        >>> from minidl.autodiff import grad
        >>> float(grad(lambda x, y: x * y + x, argnums=0)(2.0, 3.0))   # y + 1
        4.0
        >>> [float(g) for g in grad(lambda x, y: x * y + x, argnums=(0, 1))(2.0, 3.0)]
        [4.0, 2.0]
    """
    value_and_grad_f = value_and_grad(f, argnums)

    @functools.wraps(f)
    def grad_f(*args):
        return value_and_grad_f(*args)[1]

    return grad_f


def vjp(f, *primals):
    """Run `f(*primals)` once; return `(out, vjp_fn)` with vjp_fn(c) = cᵀJ, one array per primal.

    `vjp_fn` may be called many times (one reverse sweep each, over the same graph): with the
    rows of an identity as cotangents it yields the Jacobian row by row.

    Example:
        >>> from minidl.autodiff import vjp
        >>> out, vjp_fn = vjp(lambda x: x * x, [1.0, 2.0])
        >>> vjp_fn([1.0, 0.0])[0].tolist()                  # row 0 of J = diag(2x)
        [2.0, 0.0]
    """
    xs = [Tensor(p, requires_grad=True) for p in primals]
    out = returned_tensor(f(*xs), "vjp")

    def vjp_fn(cotangent):
        return tuple(g.data for g in backprop(out, xs, grad=cotangent))

    return out.data, vjp_fn
