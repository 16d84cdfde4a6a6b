"""A micrograd-style scalar engine: one Python object per number, the baseline
``minidl bench`` measures the array engine against.

It is deliberately the textbook design (background/backprop-population-node.md
§1–§7: a node holds its value, its gradient, its parents and a closure that adds
``local derivative × upstream gradient`` into each parent), with the topological
sort done iteratively so a deep graph cannot hit Python's recursion limit.
"""

from __future__ import annotations


class Scalar:
    """One number in a computation graph."""

    __slots__ = ("data", "grad", "_parents", "_push")

    def __init__(self, data: float, parents: tuple = (), push=None):
        self.data, self.grad = float(data), 0.0
        self._parents, self._push = parents, push

    def __add__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)

        def push(out):  # ∂(a + b)/∂a = ∂(a + b)/∂b = 1
            self.grad += out.grad
            other.grad += out.grad
        return Scalar(self.data + other.data, (self, other), push)

    def __mul__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)

        def push(out):  # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        return Scalar(self.data * other.data, (self, other), push)

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other if isinstance(other, Scalar) else -float(other))

    def __rsub__(self, other):
        return (-self) + other

    def relu(self):
        def push(out):  # relu′(a) = 1[a > 0]
            self.grad += (self.data > 0) * out.grad
        return Scalar(max(self.data, 0.0), (self,), push)

    def backward(self):
        """Seed ∂self/∂self = 1, then push gradients in reverse topological order."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        self.grad = 1.0
        for node in reversed(order):
            if node._push is not None:
                node._push(node)
