"""Arrays a planned step writes into, allocated once and reused step after step."""

from __future__ import annotations

import numpy as np


class Workspace:
    """``array(owner, name, shape, dtype)``: an uninitialised array to write a result into.

    The first call for ``(owner, name)`` allocates it; later calls return the same memory.
    A smaller batch (the last of an epoch) gets a view of the first ``N`` rows of the array
    made for the larger one, so an epoch allocates nothing after its first step; only a
    larger batch, or another trailing shape or dtype, allocates anew.
    """

    def __init__(self):
        self._arrays: dict = {}

    def array(self, owner, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (id(owner), name)
        array = self._arrays.get(key)
        if array is not None and array.dtype == dtype and array.shape[1:] == shape[1:] \
                and array.ndim == len(shape) and (not shape or array.shape[0] >= shape[0]):
            return array[:shape[0]] if shape and array.shape[0] != shape[0] else array
        array = self._arrays[key] = np.empty(shape, dtype)
        return array

    def nbytes(self) -> int:
        """Bytes held (the memory a planned step keeps between steps)."""
        return sum(a.nbytes for a in self._arrays.values())
