"""minidl: a deep-learning mini-framework on numpy with hand-written, checked gradients.

Every backward states its equation and is checked three ways: central finite
differences, the independent graph-autodiff engine (``minidl.autodiff``) and
the test suite.
"""

from .containers import Sequential
from .layers import BatchNorm1d, Dense, Dropout, ReLU, Sigmoid, Tanh
from .losses import MSELoss, SoftmaxCrossEntropy
from .module import Module, Parameter
from .npzio import CheckpointError
from .optim import SGD, Adam
from .serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "Module", "Parameter", "Sequential",
    "Dense", "ReLU", "Tanh", "Sigmoid", "Dropout", "BatchNorm1d",
    "SoftmaxCrossEntropy", "MSELoss",
    "SGD", "Adam", "save", "load", "CheckpointError",
]
