"""The teaching path: modules, layers, losses and containers whose forward and backward are
their equations, plainly (DESIGN.md). Speed lives in ``minidl.plan``."""

from .containers import Sequential
from .layers import (
                     GELU,
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
                     MultiHeadAttention,
                     Normalize,
                     ReLU,
                     Reshape,
                     Sigmoid,
                     Softmax,
                     Tanh,
)
from .losses import Loss, MSELoss, SoftmaxCrossEntropy
from .models import mlp
from .module import Module, Parameter
from .residual import Residual
from .tokenwise import Tokenwise

__all__ = ["Module", "Parameter", "Sequential", "Dense", "ReLU", "Tanh", "Sigmoid", "Dropout",
           "BatchNorm1d", "Normalize", "Loss", "SoftmaxCrossEntropy", "MSELoss", "mlp",
           "LayerNorm", "GELU", "Softmax", "MultiHeadAttention", "Residual",
           "Tokenwise"]
__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten", "Reshape", "BatchNorm2d"]

from .layers import GRU, LSTM, RNN, Embedding  # noqa: E402  (recurrent layers, issue 15)

__all__ += ["Embedding", "RNN", "LSTM", "GRU"]
