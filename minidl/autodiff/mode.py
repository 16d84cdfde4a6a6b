"""Global switches of the engine: graph recording (reverse mode) and tangent pushing (forward mode).

Two independent flags:

- *grad mode* — when on (the default), an op whose operand requires grad records its
  parents and backward rule, so `backward()` can walk the graph later. `no_grad()` turns
  it off: inference and the reverse sweep itself (unless `create_graph=True`) build nothing.
- *tangent mode* — when on (the default), an op whose operand carries a forward-mode
  tangent computes the tangent of its result (dual-number arithmetic). It is switched off
  while a tangent rule runs, so the rule's own ops are plain first-order arithmetic
  (this is what keeps one level of forward mode from recursing into itself).

The flags are module state, like PyTorch's grad mode; the engine is single-threaded.
"""

import functools
from contextlib import contextmanager

_grad_enabled = True
_tangents_enabled = True


def is_grad_enabled():
    """True when new ops record the graph (outside every `no_grad()` block).

    >>> is_grad_enabled()
    True
    """
    return _grad_enabled


@contextmanager
def set_grad_enabled(enabled):
    """Context in which graph recording is `enabled`; restores the previous mode on exit."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, bool(enabled)
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad(func=None):
    """Context in which ops build no graph: results have `requires_grad=False`.

    Also a decorator, with or without parentheses: `@no_grad` or `@no_grad()`.

    >>> from minidl.autodiff import Tensor, no_grad
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 3
    >>> y.requires_grad
    False
    """
    if func is None:
        return set_grad_enabled(False)

    @functools.wraps(func)
    def without_graph(*args, **kwargs):
        with set_grad_enabled(False):
            return func(*args, **kwargs)
    return without_graph


@contextmanager
def tangents_off():
    """Context in which ops push no tangents (used while a tangent rule runs)."""
    global _tangents_enabled
    previous, _tangents_enabled = _tangents_enabled, False
    try:
        yield
    finally:
        _tangents_enabled = previous
