"""minidl: a deep-learning mini-framework on numpy with hand-written, checked gradients.

Every backward states its equation and is checked three ways: central finite
differences, the independent graph-autodiff engine (``minidl.autodiff``) and
the test suite.
"""

from .io import FileFormatError, load, save
from .nn import (
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
                 Module,
                 MSELoss,
                 MultiHeadAttention,
                 Normalize,
                 Parameter,
                 ReLU,
                 Reshape,
                 Residual,
                 Sequential,
                 Sigmoid,
                 Softmax,
                 SoftmaxCrossEntropy,
                 Tanh,
                 mlp,
)
from .nn.registry import register_module
from .optim import SGD, Adam

__version__ = "0.1.0"

__all__ = [
    "Module", "Parameter", "Sequential",
    "Dense", "ReLU", "Tanh", "Sigmoid", "Dropout", "BatchNorm1d", "Normalize",
    "SoftmaxCrossEntropy", "MSELoss",
    "SGD", "Adam", "save", "load", "FileFormatError", "mlp",
    "register_module",
    "LayerNorm", "GELU", "Softmax", "MultiHeadAttention", "Residual",
]
__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten", "Reshape", "BatchNorm2d"]

from .nn import GRU, LSTM, RNN, Embedding  # noqa: E402  (recurrent layers, issue 15)

__all__ += ["Embedding", "RNN", "LSTM", "GRU"]
