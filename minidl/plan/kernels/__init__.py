"""The kernel registry: which planned kernel runs each layer type.

A kernel is used for a layer whose type is exactly the registered one (a subclass may
have changed the math); every other layer runs its own methods (``OwnMethods``).
"""

from __future__ import annotations

from ...nn.layers import BatchNorm1d, Dense, Dropout, ReLU, Tanh
from .activations import ReLUKernel, TanhKernel
from .base import Kernel, OwnMethods
from .batchnorm import BatchNormKernel
from .cross_entropy import CrossEntropyKernel
from .dense import DenseKernel
from .dropout import DropoutKernel

KERNELS: dict[type, type[Kernel]] = {
    Dense: DenseKernel, ReLU: ReLUKernel, Tanh: TanhKernel, Dropout: DropoutKernel,
    BatchNorm1d: BatchNormKernel,
}


def register_kernel(layer_type: type, kernel: type[Kernel]) -> None:
    """Run layers of exactly ``layer_type`` with ``kernel`` in every plan made afterwards."""
    if not (isinstance(kernel, type) and issubclass(kernel, Kernel)):
        raise TypeError(f"register_kernel: kernel must be a Kernel subclass, got {kernel!r}")
    KERNELS[layer_type] = kernel


def kernel_for(layer) -> Kernel:
    kernel = KERNELS.get(type(layer), OwnMethods)
    return kernel(layer) if kernel.supports(layer) else OwnMethods(layer)


__all__ = ["Kernel", "OwnMethods", "CrossEntropyKernel", "KERNELS", "register_kernel", "kernel_for"]
