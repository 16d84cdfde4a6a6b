"""The Tensor: a numpy array that remembers how it was made.

A Tensor generalises micrograd's scalar `Value` and the population node of
`background/backprop-population-node.md` to arrays of any shape: 0-d is a micrograd
scalar, 1-d a population of scalars, n-d a tensor. The result of an op keeps

- `data`    — its value (a numpy array);
- `_parents`, `_vjp` — its operands and backward rule, recorded only while grad mode is on
  and some operand requires grad (reverse mode);
- `tangent` — in forward mode, a Tensor of the same shape: the ε-part of the dual number
  `data + ε·tangent` (ε² = 0).

The operators and methods below only delegate: each op lives in an `ops_*` module beside
this file, with its local derivative stated next to its rule.
"""

import numpy as np

from . import mode as _mode
from .mode import tangents_off


def _float_array(data):
    """`data` as a float numpy array: float dtypes are kept, bools and ints become float64."""
    array = np.asarray(data.data if isinstance(data, Tensor) else data)
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    raise TypeError(f"Tensor: data must be numeric, got an array of dtype {array.dtype}")


class Tensor:
    """An array node of the graph-autodiff engine.

    Args:
        data: number or array-like; float dtypes are kept (float32 stays float32), ints,
            bools and Python numbers become float64. A float numpy array is wrapped, not copied.
        requires_grad: record the ops applied to this tensor so `backward()` reaches it.
        name: optional label shown by `to_dot`.

    Attributes:
        data (np.ndarray): the value.
        grad (np.ndarray | None): ∂out/∂self accumulated by `backward()`; None until a
            backward pass reaches this tensor (leaves, and tensors that `retain_grad()`).
        tangent (Tensor | None): the forward-mode tangent, set by `jvp` and `hvp`.

    Example:
        >>> x = Tensor(2.0, requires_grad=True); y = Tensor(3.0, requires_grad=True)
        >>> z = x * y + x
        >>> z.backward()
        >>> float(x.grad), float(y.grad)
        (4.0, 2.0)
    """

    __slots__ = ("data", "grad", "requires_grad", "tangent", "name", "op",
                 "_parents", "_vjp", "_retain")
    # numpy defers `array + tensor` to Tensor.__radd__ instead of looping over the tensor.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, name=None):
        self.data = _float_array(data)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.tangent = None
        self.name = name
        self.op = None
        self._parents = ()
        self._vjp = None
        self._retain = False

    # ----- what it holds ---------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def item(self):
        """The value of a one-element tensor as a Python float."""
        return self.data.item()

    def numpy(self):
        """The value as a numpy array (the same array as `.data`)."""
        return self.data

    def __repr__(self):
        body = np.array2string(self.data, precision=4, threshold=8)
        extra = ", requires_grad=True" if self.requires_grad else ""
        extra += f", op='{self.op}'" if self.op else ""
        return f"Tensor({body}{extra})"

    # ----- arithmetic: numbers and arrays work on either side -----------------------------
    def __add__(self, other):
        return _ew.add(self, other)

    def __radd__(self, other):
        return _ew.add(other, self)

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    def __mul__(self, other):
        return _ew.mul(self, other)

    def __rmul__(self, other):
        return _ew.mul(other, self)

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.div(other, self)

    def __pow__(self, other):
        return _ew.power(self, other)

    def __rpow__(self, other):
        return _ew.power(other, self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __neg__(self):
        return _ew.neg(self)

    def __getitem__(self, key):
        return _shape.getitem(self, key)

    # ----- element-wise functions ----------------------------------------------------------
    def exp(self):
        """eˣ element-wise."""
        return _ew.exp(self)

    def log(self):
        """Natural log element-wise."""
        return _ew.log(self)

    def tanh(self):
        """tanh element-wise."""
        return _ew.tanh(self)

    def relu(self):
        """max(x, 0) element-wise; its derivative at 0 is taken as 0."""
        return _ew.relu(self)

    def sigmoid(self):
        """σ(x) = 1 / (1 + e⁻ˣ) element-wise, without overflow for any finite x."""
        return _ew.sigmoid(self)

    # ----- reductions -------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        """Sum over `axis` (None: all; an int or a tuple of ints), like numpy."""
        return _reduce.reduce_sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis`, like numpy."""
        return _reduce.reduce_mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """Max over `axis`; tied maxima share the gradient equally."""
        return _reduce.reduce_max(self, axis, keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        """log Σ exp(x) over `axis`, stable for any finite logits."""
        return _reduce.logsumexp(self, axis, keepdims)

    def log_softmax(self, axis=-1):
        """x − logsumexp(x) along `axis`, stable for any finite logits.

        >>> Tensor([1e4, -1e4]).log_softmax().data.tolist()
        [0.0, -20000.0]
        """
        return _reduce.log_softmax(self, axis)

    # ----- shape ------------------------------------------------------------------------------
    def reshape(self, *shape):
        """Same numbers, new shape: `x.reshape(2, 3)` or `x.reshape((2, 3))`; -1 allowed."""
        return _shape.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        """Permute axes like numpy: no argument reverses them; `x.transpose(1, 0, 2)`."""
        return _shape.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)

    @property
    def T(self):
        """All axes reversed (the matrix transpose for 2-d)."""
        return _shape.transpose(self, None)

    # ----- graph ------------------------------------------------------------------------------
    def backward(self, grad=None):
        """Reverse mode: add ∂self/∂leaf into `leaf.grad` for every leaf that requires grad.

        Equation: with v̄ = ∂self/∂v (the seed self̄ = 1 for a scalar, else `grad`), every
        node v, taken in reverse topological order, sends p̄ += v̄ · ∂v/∂p to each parent p
        (background/backprop-population-node.md §7). A node on several paths gets the sum;
        `.grad` ACCUMULATES across calls (`zero_grad()` resets).

        Args:
            grad: ∂L/∂self, an array of self's shape; required unless self has one element.
        """
        _graph.fill_grads(self, grad)

    def zero_grad(self):
        """Reset the accumulated gradient to zeros, in place."""
        if self.grad is not None:
            self.grad[...] = 0

    def retain_grad(self):
        """Ask `backward()` to fill `.grad` on this non-leaf tensor too. Returns self."""
        self._retain = True
        return self

    def detach(self):
        """The same values (shared memory) cut from the graph: no parents, no tangent."""
        return Tensor(self.data)


def as_tensor(value, dtype=None):
    """`value` if it is a Tensor, else a constant Tensor of it (cast to `dtype` if given)."""
    if isinstance(value, Tensor):
        return value
    array = _float_array(value)
    return Tensor(array if dtype is None else array.astype(dtype, copy=False))


def operands(a, b):
    """Both operands of a binary op as Tensors.

    A plain number or array takes the Tensor operand's dtype, as a Python scalar does in
    numpy, so float32 work stays float32 when mixed with float64 constants.
    """
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.dtype != b.dtype:  # a 0-d constant is a number: it must not up-cast the other side
            if a.ndim == 0 and not (a.requires_grad or a.tangent is not None):
                a = Tensor(a.data.astype(b.dtype))
            elif b.ndim == 0 and not (b.requires_grad or b.tangent is not None):
                b = Tensor(b.data.astype(a.dtype))
        return a, b
    if isinstance(a, Tensor):
        return a, as_tensor(b, a.dtype)
    return as_tensor(a, b.dtype), b


def from_op(data, op, parents, vjp, jvp):
    """Wrap an op's result: record its graph edge (reverse mode) and push tangents (forward).

    Args:
        data: the op's numpy result.
        op: its name (shown in reprs and `to_dot`).
        parents: the operand Tensors.
        vjp: `vjp(g, out) -> one gradient (Tensor or None) per parent`, g = ∂L/∂out.
        jvp: `jvp(out, *parent_tangents) -> tangent of out` (missing tangents are zeros).
    """
    # The hot path of the engine: one call per op. A float array from numpy is wrapped
    # as it is, and the checks below are plain loops (a generator in `any` costs more).
    if type(data) is not np.ndarray or data.dtype.kind != "f":
        data = _float_array(data)
    out = Tensor.__new__(Tensor)
    out.data, out.grad, out.requires_grad, out.tangent = data, None, False, None
    out.name, out.op, out._parents, out._vjp, out._retain = None, op, (), None, False
    if _mode._grad_enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad, out._parents, out._vjp = True, parents, vjp
                break
    if _mode._tangents_enabled and _has_tangent(parents):
        with tangents_off():
            tangents = [p.tangent if p.tangent is not None else Tensor(np.zeros_like(p.data))
                        for p in parents]
            tangent = jvp(out, *tangents)
            if tangent.shape != out.shape:  # an operand without tangent set the broadcast shape
                tangent = _shape.broadcast_to(tangent, out.shape)
        out.tangent = tangent
    return out


def _has_tangent(parents):
    for p in parents:
        if p.tangent is not None:
            return True
    return False


# Imported last, as modules: they build on the names defined above, and each other's
# functions are looked up at call time, so any import order works.
from . import graph as _graph  # noqa: E402
from . import ops_elementwise as _ew  # noqa: E402
from . import ops_linalg as _linalg  # noqa: E402
from . import ops_reduce as _reduce  # noqa: E402
from . import ops_shape as _shape  # noqa: E402
