"""Parameter blocks: runs of parameters whose values, and whose gradients, lie back to back
in memory (``Module.flatten_parameters``), so an optimizer can update a whole run as one
array — a few numpy calls per step instead of a few per parameter.
"""

from __future__ import annotations

import numpy as np

from .module import Parameter


class Block:
    """Parameters updated as one array: ``data`` spans all their values, ``grad`` all their
    gradients. A block of one parameter uses that parameter's own arrays, whatever their
    layout; a longer block uses 1-D views of the buffer they share."""

    __slots__ = ("params", "data", "grad")

    def __init__(self, params: list[Parameter], data: np.ndarray, grad: np.ndarray):
        self.params, self.data, self.grad = params, data, grad

    def views(self, array: np.ndarray) -> list[np.ndarray]:
        """``array`` (laid out like ``data``) cut into one view per parameter, shaped like it."""
        if len(self.params) == 1:
            return [array]
        views, offset = [], 0
        for param in self.params:
            views.append(array[offset:offset + param.size].reshape(param.shape))
            offset += param.size
        return views


def blocks_of(params: list[Parameter]) -> list[Block]:
    """Group consecutive parameters into blocks wherever both their values and their
    gradients continue exactly where the previous ones end, in the same buffer."""
    blocks: list[Block] = []
    for param in params:
        data, grad = param.data, param.raw_grad()
        if blocks:
            last = blocks[-1]
            joined_data, joined_grad = _joined(last.data, data), _joined(last.grad, grad)
            if joined_data is not None and joined_grad is not None:
                blocks[-1] = Block(last.params + [param], joined_data, joined_grad)
                continue
        blocks.append(Block([param], data, grad))
    return blocks


def _joined(first: np.ndarray, then: np.ndarray) -> np.ndarray | None:
    """One 1-D view over ``first`` and then ``then`` if both are C-contiguous views of the
    same 1-D buffer and ``then`` starts where ``first`` ends; else None."""
    base = first.base
    if base is None or then.base is not base or base.ndim != 1 or first.dtype != base.dtype \
            or then.dtype != base.dtype or not (first.flags.c_contiguous and then.flags.c_contiguous):
        return None
    start = first.__array_interface__["data"][0]
    if then.__array_interface__["data"][0] != start + first.nbytes:
        return None
    offset = (start - base.__array_interface__["data"][0]) // base.itemsize
    return base[offset:offset + first.size + then.size]
