"""The reverse sweep: topological order, the seed, and the chain rule applied node by node.

Algorithm (background/backprop-population-node.md §7.2): order the nodes so every parent
comes before its children, seed the output with out̄ = ∂out/∂out (1 for a scalar), then
visit the nodes in reverse order and send p̄ += v̄ · ∂v/∂p to each parent p through the
node's backward rule. A node is visited only after all its children, so the gradient it
passes on is already the sum over every path through it.

The order is found with an explicit stack, not recursion, so a graph 100,000 ops deep needs
no `sys.setrecursionlimit`. The graph is kept after a sweep, so it can be swept again.
"""

import numpy as np

from . import ops_shape
from .mode import set_grad_enabled
from .tensor import Tensor, as_tensor


def topo_order(root, grad_only=True):
    """Every node `root` depends on (itself included), each after all of its parents.

    With `grad_only`, constants (tensors that do not require grad) are left out.
    """
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node._parents)  # first parent first
                     if p not in seen and (p.requires_grad or not grad_only))
    return order


def seed_for(output, grad, who="backward"):
    """out̄, the gradient the sweep starts from: 1 for a one-element output, else `grad`."""
    if grad is None:
        if output.size != 1:
            raise ValueError(f"{who}: the output has shape {output.shape}, so a gradient of that "
                             "shape must be given (∂L/∂output), or reduce it to a scalar first, "
                             "e.g. with .sum()")
        return Tensor(np.ones_like(output.data))
    seed = as_tensor(grad, output.dtype)
    if seed.shape != output.shape:
        raise ValueError(f"{who}: the gradient has shape {seed.shape} but the output has shape "
                         f"{output.shape}")
    return seed


def sweep(output, seed, keep, create_graph=False):
    """Run the chain rule from `output` back; return {node: ∂output/∂node} where keep(node).

    With `create_graph` the backward rules run with graph recording on, so the returned
    gradients are themselves differentiable (reverse-over-reverse).
    """
    grads, kept = {output: seed}, {}
    with set_grad_enabled(create_graph):
        for node in reversed(topo_order(output)):
            g = grads.pop(node, None)  # popped: an intermediate's gradient is freed once used
            if g is None:
                continue
            if keep(node):
                kept[node] = g
            vjp = node._vjp
            if vjp is None:
                continue
            for parent, pg in zip(node._parents, vjp(g, node), strict=True):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.data.shape != parent.data.shape:
                    pg = ops_shape.unbroadcast(pg, parent.data.shape)
                earlier = grads.get(parent)
                grads[parent] = pg if earlier is None else earlier + pg
    return kept


def backprop(output, inputs, grad=None, create_graph=False):
    """∂output/∂x for every x in `inputs`, as Tensors (cf. `torch.autograd.grad`).

    Leaves `.grad` untouched. With `create_graph=True` the gradients carry their own graph
    and can be differentiated again.

    Args:
        output: the Tensor to differentiate.
        inputs: Tensors that require grad (leaves or intermediates of output's graph).
        grad: ∂L/∂output (array or Tensor); may be omitted for a one-element output.
        create_graph: record the sweep's own ops.

    Example:
        >>> x = Tensor(3.0, requires_grad=True)
        >>> (g,) = backprop(x ** 3, [x], create_graph=True)   # 3x² = 27
        >>> (h,) = backprop(g, [x])                           # 6x = 18
        >>> float(g.data), float(h.data)
        (27.0, 18.0)
    """
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            raise ValueError(f"backprop: input {i} is not a Tensor that requires grad; "
                             "create it with Tensor(..., requires_grad=True)")
    seed = seed_for(output, grad, "backprop")
    kept = {}
    if output.requires_grad:
        kept = sweep(output, seed, set(inputs).__contains__, create_graph)
    return tuple(kept[x] if x in kept else Tensor(np.zeros_like(x.data)) for x in inputs)


def fill_grads(output, grad=None):
    """Sweep back from `output` and add each gradient into `.grad` of the leaves (and of the
    tensors that asked to `retain_grad()`); `Tensor.backward` is this."""
    if not output.requires_grad:
        raise RuntimeError("backward: this Tensor does not require grad: no operand of the "
                           "ops that made it had requires_grad=True, or it was made under "
                           "no_grad()")
    seed = seed_for(output, grad)
    kept = sweep(output, seed, lambda node: node._vjp is None or node._retain)
    for node, g in kept.items():
        if node.grad is None:
            node.grad = np.array(g.data, dtype=node.dtype)  # a copy: later += must not alias
        else:
            node.grad += g.data
