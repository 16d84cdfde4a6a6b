"""What a planned kernel is, and the kernel every layer has: its own methods."""

from __future__ import annotations

import numpy as np

from ...nn.checks import checked_input


def input_of(layer, x, width: int | None = None, dtype=None) -> np.ndarray:
    """``checked_input`` for a kernel: an array already of the right kind (what the previous
    kernel made, every step) passes without the conversions; anything else gets the layer's
    own checks and errors. ``width``: the last axis of an (N, width) input; ``dtype``: None
    for any float."""
    ok = isinstance(x, np.ndarray) and x.ndim and x.shape[0] and (
        x.dtype.kind == "f" if dtype is None else x.dtype == dtype)
    if ok and (width is None or (x.ndim == 2 and x.shape[1] == width)):
        return x
    return checked_input(layer, x, None if width is None else (None, width), dtype)


class Kernel:
    """The planned twin of one layer.

    ``forward(x, ws)`` computes the layer's output into arrays from the workspace ``ws``;
    ``backward(dout, ws, need_dx)`` writes the layer's parameter gradients straight into
    their ``.grad`` arrays (overwriting them: a planned step owns the whole step, so there is
    no zero pass) and returns ∂L/∂x, or None when ``need_dx`` is False (the input is data).
    Both read ``layer.training`` and update the layer's buffers as the layer itself would.
    """

    overwrites_grads = True  # False: it adds into .grad, so the step zeroes those first
    # True: backward is linear in dout (a true vector-Jacobian product, nothing added of its
    # own), so the plan may scale the loss's dout by the learning rate (``plan(fold_lr=)``).
    # False, the safe default, keeps the unfolded update for a model that has this kernel.
    linear_in_dout = False
    output_is_scratch = True  # no backward reads its output: the next kernel may write over it
    # set by the plan: whether this kernel may write over its input (forward) / dout (backward)
    input_is_scratch = dout_is_scratch = False

    def __init__(self, layer):
        self.layer = layer

    @classmethod
    def supports(cls, layer) -> bool:
        """Whether this kernel computes what ``layer`` computes (else the layer's own methods run)."""
        return True

    def forward(self, x, ws):
        raise NotImplementedError

    def backward(self, dout, ws, need_dx: bool):
        """Write this layer's parameter gradients into ``.grad``; return ∂L/∂x (None: not needed)."""
        raise NotImplementedError


class OwnMethods(Kernel):
    """Runs the layer's own ``forward``/``backward`` (the teaching path) inside a plan: for a
    layer with no kernel, a subclass that overrides its parent's methods (a student's edited
    copy), or a layer whose parameters other layers share."""

    overwrites_grads = False
    output_is_scratch = False  # a layer's own cache may hold the array it returned

    def forward(self, x, ws):
        return self.layer(x)

    def backward(self, dout, ws, need_dx: bool):
        """The layer's own backward: dX = J_layerᵀ dY, gradients added into ``.grad``."""
        return self.layer.backward(dout)


def wired(kernels: list) -> list:
    """``kernels`` (one per layer, in order) made ready to run as one chain, by the planner
    and by a container's inner ``Chain`` alike.

    A parameter two of the layers share gets gradient from both, so those layers run their
    own methods (which add into ``.grad``). And which arrays a kernel may write over: an
    input another kernel made and no backward reads; a dout made by a planned kernel (a
    layer's own methods might keep the array they return). The chain's two ends are its
    caller's to set.
    """
    owners: dict = {}
    for kernel in kernels:
        for p in kernel.layer.parameters():
            owners.setdefault(id(p), []).append(kernel)
    shared = {id(k) for ks in owners.values() if len(ks) > 1 for k in ks}
    kernels = [OwnMethods(k.layer) if id(k) in shared else k for k in kernels]
    for before, kernel in zip(kernels, kernels[1:]):
        kernel.input_is_scratch = before.output_is_scratch
        before.dout_is_scratch = not isinstance(kernel, OwnMethods)
    return kernels
