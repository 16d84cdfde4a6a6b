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

from .batchnorm2d import BatchNorm2d  # noqa: E402  (convolutional layers, issue 14)
from .conv import Conv2d  # noqa: E402
from .pooling import AvgPool2d, GlobalAvgPool2d, MaxPool2d  # noqa: E402
from .shape import Flatten, Reshape  # noqa: E402

__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten", "Reshape", "BatchNorm2d"]

from .embedding import Embedding  # noqa: E402  (recurrent layers, issue 15)
from .recurrent import GRU, LSTM, RNN  # noqa: E402

__all__ += ["Embedding", "RNN", "LSTM", "GRU"]
