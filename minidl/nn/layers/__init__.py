"""Layers with hand-written backward passes."""

from .activations import ReLU, Sigmoid, Tanh
from .batchnorm import BatchNorm1d
from .dense import Dense
from .dropout import Dropout
from .normalize import Normalize
from .rescale import Rescale

__all__ = ["Dense", "ReLU", "Sigmoid", "Tanh", "Dropout", "BatchNorm1d", "Normalize", "Rescale"]
