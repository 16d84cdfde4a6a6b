"""ONNX mappings of the sequence layers: Embedding (Gather) and RNN, LSTM, GRU (ONNX's RNN, LSTM
and GRU operators, one direction, zero initial state).

Two conventions differ between minidl (PyTorch's) and ONNX, and are converted here:
- layout: minidl is batch-first (N, T, D); the operators take (T, N, D) and give Y as
  (T, 1, N, H), so the input and output are transposed around them (ONNX's ``layout=1``
  would avoid that, but ONNX Runtime's CPU kernels refuse it);
- gate order: minidl's columns are LSTM [i | f | g | o] and GRU [r | z | n]; ONNX stacks
  LSTM as [i | o | f | c] and GRU as [z | r | h]. ONNX's GRU with ``linear_before_reset=1``
  is PyTorch's GRU (``n = tanh(Ax_n + r ⊙ (h Wh_n + bh_n))``), the one minidl computes.
ONNX keeps each weight as (gates·H, in), so ``W = Wxᵀ`` and ``R = Whᵀ`` with blocks reordered.
"""

from __future__ import annotations

import numpy as np

from ..nn.layers import GRU, LSTM, RNN, Embedding
from .onnx_ops import onnx_op

# ONNX's block k is minidl's block ORDER[k]
LSTM_ORDER = (0, 3, 1, 2)   # i, o, f, c(=g)  from  i, f, g, o
GRU_ORDER = (1, 0, 2)       # z, r, h(=n)     from  r, z, n


@onnx_op(Embedding)
def _embedding(layer: Embedding, graph, x, where):
    """Y[n, t] = W[I[n, t]]: Gather on W's rows."""
    return graph.node("Gather", [graph.constant(f"{where}W", layer.W), x], f"{where}embedded", axis=0)


def _blocks(matrix: np.ndarray, hidden: int, order) -> np.ndarray:
    """The H-wide column blocks of ``matrix`` (or entries of a bias) put in ONNX's order."""
    return np.concatenate([matrix[..., k * hidden:(k + 1) * hidden] for k in order], axis=-1)


def _recurrent(layer, graph, x, where, op: str, W, R, B, **attributes):
    """Transpose to (T, N, D), run ``op`` with weights W (gates·H, D), R (gates·H, H), B
    (2·gates·H,), and give (N, T, H) or the last state (N, H)."""
    H = layer.hidden_size
    time_major = graph.node("Transpose", [x], f"{where}time_major", perm=[1, 0, 2])
    inputs = [time_major, graph.constant(f"{where}W", W[None]), graph.constant(f"{where}R", R[None]),
              graph.constant(f"{where}B", B[None])]
    if layer.return_sequences:
        y = graph.name(f"{where}{op.lower()}_y")                  # (T, 1, N, H)
        graph.nodes.append(graph.helper.make_node(op, inputs, [y], name=y, hidden_size=H, **attributes))
        batch_major = graph.node("Transpose", [y], f"{where}batch_major", perm=[2, 0, 1, 3])  # (N, T, 1, H)
        return graph.node("Reshape", [batch_major, graph.int_constant(f"{where}sequence_shape", [0, 0, H])],
                          f"{where}sequence")
    y_h = graph.name(f"{where}{op.lower()}_y_h")                  # (1, N, H); "" skips the output Y
    graph.nodes.append(graph.helper.make_node(op, inputs, ["", y_h], name=y_h, hidden_size=H, **attributes))
    return graph.node("Squeeze", [y_h, graph.int_constant(f"{where}direction_axis", [0])], f"{where}last")


@onnx_op(RNN)
def _rnn(layer: RNN, graph, x, where):
    """h_t = tanh(x_t Wx + h_{t−1} Wh + b); ONNX adds Wb + Rb, so Rb = 0."""
    B = np.concatenate([layer.b, np.zeros_like(layer.b)])
    return _recurrent(layer, graph, x, where, "RNN", layer.Wx.T, layer.Wh.T, B, activations=["Tanh"])


@onnx_op(LSTM)
def _lstm(layer: LSTM, graph, x, where):
    """i, f, o = σ(A_i, A_f, A_o), g = tanh(A_g), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)."""
    H = layer.hidden_size
    b = _blocks(layer.b, H, LSTM_ORDER)
    return _recurrent(layer, graph, x, where, "LSTM", _blocks(layer.Wx, H, LSTM_ORDER).T,
                      _blocks(layer.Wh, H, LSTM_ORDER).T, np.concatenate([b, np.zeros_like(b)]))


@onnx_op(GRU)
def _gru(layer: GRU, graph, x, where):
    """r, z = σ(Ax + Ah), n = tanh(Ax_n + r ⊙ Ah_n), h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}."""
    H = layer.hidden_size
    B = np.concatenate([_blocks(layer.bx, H, GRU_ORDER), _blocks(layer.bh, H, GRU_ORDER)])
    return _recurrent(layer, graph, x, where, "GRU", _blocks(layer.Wx, H, GRU_ORDER).T,
                      _blocks(layer.Wh, H, GRU_ORDER).T, B, linear_before_reset=1)
