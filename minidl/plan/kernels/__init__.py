"""The kernel registry: which planned kernel runs each layer type.

A kernel is used for a layer whose type is exactly the registered one (a subclass may
have changed the math); every other layer runs its own methods (``OwnMethods``).
"""

from __future__ import annotations

from ...nn.layers import (
    GELU,
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
    LayerNorm,
    MaxPool2d,
    MeanOverTokens,
    MultiHeadAttention,
    PatchEmbedding,
    PositionalEmbedding,
    ReLU,
    Softmax,
    Tanh,
)
from ...nn.residual import Residual
from ...nn.tokenwise import Tokenwise
from .activations import TanhKernel
from .attention import AttentionKernel
from .base import Kernel, OwnMethods
from .batchnorm import BatchNormKernel
from .batchnorm2d import BatchNorm2dKernel
from .containers import ResidualKernel, TokenwiseKernel
from .conv import Conv2dKernel
from .cross_entropy import CrossEntropyKernel
from .dense import DenseKernel
from .dropout import DropoutKernel
from .gelu import GELUKernel
from .gru import GRUKernel
from .images import ImageReLUKernel
from .layernorm import LayerNormKernel
from .lstm import LSTMKernel
from .pooling import AvgPool2dKernel, GlobalAvgPool2dKernel, MaxPool2dKernel
from .recurrent import RNNKernel
from .shape import FlattenKernel
from .softmax import SoftmaxKernel
from .tokens import MeanOverTokensKernel, PatchEmbeddingKernel, PositionalEmbeddingKernel

KERNELS: dict[type, type[Kernel]] = {
    Dense: DenseKernel, Tanh: TanhKernel, Dropout: DropoutKernel,
    BatchNorm1d: BatchNormKernel,
    RNN: RNNKernel, LSTM: LSTMKernel, GRU: GRUKernel,
    # image layers, channels last in memory (kernels/images.py); ReLU then keeps that layout
    Conv2d: Conv2dKernel, BatchNorm2d: BatchNorm2dKernel, MaxPool2d: MaxPool2dKernel,
    AvgPool2d: AvgPool2dKernel, GlobalAvgPool2d: GlobalAvgPool2dKernel, Flatten: FlattenKernel,
    ReLU: ImageReLUKernel,  # ReLUKernel's equations for any input, channels-last aware
    # the transformer's layers, and the two containers it is built from opened up
    LayerNorm: LayerNormKernel, GELU: GELUKernel, Softmax: SoftmaxKernel, MultiHeadAttention: AttentionKernel,
    PatchEmbedding: PatchEmbeddingKernel, PositionalEmbedding: PositionalEmbeddingKernel,
    MeanOverTokens: MeanOverTokensKernel, Residual: ResidualKernel, Tokenwise: TokenwiseKernel,
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
