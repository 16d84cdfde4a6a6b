"""Layers with hand-written backward passes."""

from .activations import ReLU, Sigmoid, Tanh
from .attention import MultiHeadAttention
from .batchnorm import BatchNorm1d
from .dense import Dense
from .dropout import Dropout
from .gelu import GELU
from .layernorm import LayerNorm
from .normalize import Normalize
from .rescale import Rescale
from .softmax import Softmax
from .tokens import MeanOverTokens, PatchEmbedding, PositionalEmbedding

__all__ = ["Dense", "ReLU", "Sigmoid", "Tanh", "Dropout", "BatchNorm1d", "Normalize", "Rescale",
           "LayerNorm", "GELU", "Softmax", "MultiHeadAttention",
           "PatchEmbedding", "PositionalEmbedding", "MeanOverTokens"]
