"""The kernel registry: which planned kernel runs each layer type.

A kernel is used for a layer whose type is exactly the registered one (a subclass may
have changed the math); every other layer runs its own methods (``OwnMethods``).
"""

from __future__ import annotations

from ...nn.layers import (
    GRU,
    LSTM,
    RNN,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2d,
    MaxPool2d,
    ReLU,
    Tanh,
)
from .activations import TanhKernel
from .base import Kernel, OwnMethods
from .batchnorm import BatchNormKernel
from .batchnorm2d import BatchNorm2dKernel
from .conv import Conv2dKernel
from .cross_entropy import CrossEntropyKernel
from .dense import DenseKernel
from .dropout import DropoutKernel
from .gru import GRUKernel
from .images import ImageReLUKernel
from .lstm import LSTMKernel
from .pooling import AvgPool2dKernel, GlobalAvgPool2dKernel, MaxPool2dKernel
from .recurrent import RNNKernel
from .shape import FlattenKernel

KERNELS: dict[type, type[Kernel]] = {
    Dense: DenseKernel, Tanh: TanhKernel, Dropout: DropoutKernel,
    BatchNorm1d: BatchNormKernel,
    RNN: RNNKernel, LSTM: LSTMKernel, GRU: GRUKernel,
    # image layers, channels last in memory (kernels/images.py); ReLU then keeps that layout
    Conv2d: Conv2dKernel, BatchNorm2d: BatchNorm2dKernel, MaxPool2d: MaxPool2dKernel,
    AvgPool2d: AvgPool2dKernel, GlobalAvgPool2d: GlobalAvgPool2dKernel, Flatten: FlattenKernel,
    ReLU: ImageReLUKernel,  # ReLUKernel's equations for any input, channels-last aware
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
