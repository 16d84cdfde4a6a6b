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
        self._handed: dict = {}  # (owner, name, shape, dtype) → the array last handed out for it

    def array(self, owner, name: str, shape: tuple, dtype) -> np.ndarray:
        handed = self._handed.get((id(owner), name, shape, dtype))
        if handed is not None:  # every step after the first: one look-up
            return handed
        key = (id(owner), name)
        array = self._arrays.get(key)
        if array is not None and array.dtype == dtype and array.shape[1:] == shape[1:] \
                and array.ndim == len(shape) and (not shape or array.shape[0] >= shape[0]):
            array = array[:shape[0]] if shape and array.shape[0] != shape[0] else array
        else:  # new, or larger: views handed out of the old memory are forgotten with it
            self._handed = {k: a for k, a in self._handed.items() if k[:2] != key}
            array = self._arrays[key] = np.empty(shape, dtype)
        self._handed[(id(owner), name, shape, dtype)] = array
        return array

    def nbytes(self) -> int:
        """Bytes held (the memory a planned step keeps between steps)."""
        return sum(a.nbytes for a in self._arrays.values())
