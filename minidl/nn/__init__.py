"""The teaching path: modules, layers, losses and containers whose forward and backward are
their equations, plainly (DESIGN.md). Speed lives in ``minidl.plan``."""

from .containers import Sequential
from .layers import (
                     GELU,
                     BatchNorm1d,
                     Dense,
                     Dropout,
                     LayerNorm,
                     MultiHeadAttention,
                     Normalize,
                     ReLU,
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
