"""Parameters side by side: one value array and one gradient array per dtype, so an update is a
few numpy calls for the whole model; the optimizer's state laid out the same way."""

from __future__ import annotations

import operator

import numpy as np


class Group:
    """The parameters of one dtype: ``data``, ``grad`` and each state array are 1-D arrays over
    all of them, and each parameter's own arrays (and its optimizer state) are views into them."""

    def __init__(self, params: list, state: dict[str, list[np.ndarray]]):
        self.params = params
        total = sum(p.size for p in params)
        dtype = params[0].dtype
        self.data, self.grad = np.empty(total, dtype), np.empty(total, dtype)
        self.state = {name: np.empty(total, dtype) for name in state}
        self.scratch = np.empty(total, dtype)
        self.scratch2 = np.empty(total, dtype)
        self.mask = np.empty(total, bool)
        offset = 0
        for p in params:
            end = offset + p.size
            data = self.data[offset:end].reshape(p.shape)
            grad = self.grad[offset:end].reshape(p.shape)
            data[...], grad[...] = p.data, p.grad
            p.data, p.grad = data, grad
            offset = end


class Layout:
    """The optimizer's parameters grouped by dtype, with the optimizer's state arrays replaced by
    views of the groups' (values copied in), so ``optimizer.state_dict()`` keeps its meaning and
    a teaching step after planned ones continues from the same state.

    ``current()`` checks that every parameter and state array is still the view it was given
    (nothing rebound, replaced or loaded as a new array) and lays everything out anew otherwise
    (reading ``optimizer.state``, so a state a planned step held in its own form is settled
    first and copied in with its meaning).
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.arrange()

    def arrange(self) -> None:
        opt = self.optimizer
        state = opt.state  # settled first: the groups get the state's documented meaning
        by_dtype: dict = {}
        for i, p in enumerate(opt.params):
            by_dtype.setdefault(p.dtype, []).append(i)
        self.groups = []
        for indices in by_dtype.values():
            params = [opt.params[i] for i in indices]
            group = Group(params, state)
            for name, arrays in state.items():
                offset = 0
                for i, p in zip(indices, params):
                    view = group.state[name][offset:offset + p.size].reshape(p.shape)
                    view[...] = arrays[i]
                    arrays[i] = view
                    offset += p.size
            self.groups.append(group)
        self._arrays = self._current_arrays()

    def _current_arrays(self) -> list:
        """Every object the layout placed: each parameter with its two arrays, then each state
        array (as held: a check between planned steps must not settle a folded state)."""
        opt = self.optimizer
        state = opt.held_state()
        return [a for p in opt.params for a in (p, p.data, p.grad)] + \
            [a for name in sorted(state) for a in state[name]]

    def current(self) -> list[Group]:
        now = self._current_arrays()
        if len(now) != len(self._arrays) or not all(map(operator.is_, now, self._arrays)):
            self.arrange()
        return self.groups
