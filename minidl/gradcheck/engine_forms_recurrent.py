"""The recurrent layers written a second time as engine expressions, for ``cross_check``.

Built from engine ops only (matmul, tanh, sigmoid, slicing, ``ops_sequence.stack``), never
from the layers' code: the forward recurrence unrolled over t as an engine graph, whose
reverse sweep is BPTT done by the engine (docs/derivations/recurrent.md). The sequence
form of ``SoftmaxCrossEntropy`` ((N, T, C) logits, ``ignore_index``) is the loss's one
formulation, in ``engine_forms.py``.
"""

from __future__ import annotations

import numpy as np

from ..autodiff import Tensor
from ..autodiff.ops_sequence import stack
from ..nn.layers import GRU, LSTM, RNN, Embedding
from .engine_forms import register_engine_form


def _zeros(x: Tensor, width: int) -> Tensor:
    return Tensor(np.zeros((x.shape[0], width), dtype=x.dtype))


def _sequence_or_last(layer, hs: list) -> Tensor:
    return stack(hs, axis=1) if layer.return_sequences else hs[-1]


@register_engine_form(Embedding)
def _embedding(layer, x, params):
    """Y = W[I]: an integer-array getitem (its backward scatter-adds)."""
    return params["W"][np.asarray(x.data).astype(np.int64)]


@register_engine_form(RNN)
def _rnn(layer, x, params):
    """h_t = tanh(x_t Wx + h_{t−1} Wh + b) from h_0 = 0."""
    h, hs = _zeros(x, layer.hidden_size), []
    for t in range(x.shape[1]):
        h = (x[:, t] @ params["Wx"] + h @ params["Wh"] + params["b"]).tanh()
        hs.append(h)
    return _sequence_or_last(layer, hs)


@register_engine_form(LSTM)
def _lstm(layer, x, params):
    """A = x_t Wx + h Wh + b split [i | f | g | o]; c = σ(f) c + σ(i) tanh(g); h = σ(o) tanh(c)."""
    H = layer.hidden_size
    h, c, hs = _zeros(x, H), _zeros(x, H), []
    for t in range(x.shape[1]):
        a = x[:, t] @ params["Wx"] + h @ params["Wh"] + params["b"]
        i, f = a[:, :H].sigmoid(), a[:, H:2 * H].sigmoid()
        g, o = a[:, 2 * H:3 * H].tanh(), a[:, 3 * H:].sigmoid()
        c = f * c + i * g
        h = o * c.tanh()
        hs.append(h)
    return _sequence_or_last(layer, hs)


@register_engine_form(GRU)
def _gru(layer, x, params):
    """r, z = σ(Ax + Ah) per gate, n = tanh(Ax_n + r ⊙ Ah_n), h = (1 − z) n + z h (PyTorch's)."""
    H = layer.hidden_size
    h, hs = _zeros(x, H), []
    for t in range(x.shape[1]):
        ax = x[:, t] @ params["Wx"] + params["bx"]
        ah = h @ params["Wh"] + params["bh"]
        r = (ax[:, :H] + ah[:, :H]).sigmoid()
        z = (ax[:, H:2 * H] + ah[:, H:2 * H]).sigmoid()
        n = (ax[:, 2 * H:] + r * ah[:, 2 * H:]).tanh()
        h = (1 - z) * n + z * h
        hs.append(h)
    return _sequence_or_last(layer, hs)
