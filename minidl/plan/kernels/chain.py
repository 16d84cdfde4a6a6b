"""A chain of kernels inside one container kernel (a Residual's or a Tokenwise's inner
layers), wired as the planner wires its own top-level chain."""

from __future__ import annotations

from .base import OwnMethods, wired


class Chain:
    """The kernels of ``module``'s leaf layers (a plain ``Sequential`` opened up, as the
    planner opens one), run forward in order and backward in reverse.

    Wired as the planner wires its chain (``base.wired``); the two ends are the container's
    to set (``first_input_is_scratch``, ``last_dout_is_scratch``), per call.
    """

    def __init__(self, module):
        # imported here: the registry (kernels/__init__) imports the container kernels
        from ..planner import leaf_layers
        from . import kernel_for

        self.kernels = wired([kernel_for(layer) for layer in leaf_layers(module)])

    @property
    def overwrites_grads(self) -> bool:
        return all(k.overwrites_grads for k in self.kernels)

    @property
    def output_is_scratch(self) -> bool:
        return self.kernels[-1].output_is_scratch

    @property
    def returns_own_dx(self) -> bool:
        """Whether the array ``backward`` returns was made by a planned kernel (so the
        container may write over it), not by a layer's own methods."""
        return not isinstance(self.kernels[0], OwnMethods)

    def forward(self, x, ws, first_input_is_scratch: bool):
        self.kernels[0].input_is_scratch = first_input_is_scratch
        for kernel in self.kernels:
            x = kernel.forward(x, ws)
        return x

    def backward(self, dout, ws, need_dx: bool, last_dout_is_scratch: bool):
        """dX = J₀ᵀ ⋯ J_{L−1}ᵀ dY: each kernel's backward in reverse (the chain rule)."""
        self.kernels[-1].dout_is_scratch = last_dout_is_scratch
        for i in range(len(self.kernels) - 1, -1, -1):
            dout = self.kernels[i].backward(dout, ws, need_dx=need_dx or i > 0)
        return dout
