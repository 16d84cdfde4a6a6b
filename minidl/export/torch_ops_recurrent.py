"""PyTorch mappings of the sequence layers, both ways: Embedding to ``torch.nn.Embedding``, and
RNN, LSTM, GRU to ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` (batch_first) inside a small module
that returns the whole sequence or the last state, as ``return_sequences`` says (torch's
recurrent modules return a tuple, so they cannot sit in a ``Sequential`` by themselves).

minidl's gate orders and equations are PyTorch's (LSTM i, f, g, o; GRU r, z, n with
``n = tanh(Ax_n + r ⊙ (h Wh_n + bh_n))``), so the weights go across transposed and unreordered:
``weight_ih = Wxᵀ``, ``weight_hh = Whᵀ``. The RNN and LSTM keep one bias ``b = b_ih + b_hh``:
exported as ``bias_ih = b, bias_hh = 0``, brought back as the sum.
"""

from __future__ import annotations

import numpy as np

from ..nn.layers import GRU, LSTM, RNN, Embedding
from .torch_ops import TO_TORCH, array, defined_once, from_torch_op, tensor, to_torch_op, torch_dtype

MINIDL_CELLS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}


def torch_classes(torch) -> dict:
    """The torch modules with no torch.nn counterpart, by name (defined once, on first use)."""
    return defined_once(_define_classes, torch)


def _define_classes(torch) -> dict:
    class Recurrent(torch.nn.Module):
        """``cell`` (torch.nn.RNN, LSTM or GRU, batch_first, zero initial state) on (N, T, D):
        all its outputs (N, T, H) when ``return_sequences``, else the last one (N, H)."""

        def __init__(self, mode: str, input_size: int, hidden_size: int, return_sequences: bool = True,
                     dtype=None):
            super().__init__()
            self.return_sequences = return_sequences
            self.cell = getattr(torch.nn, mode)(input_size, hidden_size, batch_first=True, dtype=dtype)

        def forward(self, x):
            out = self.cell(x)[0]
            return out if self.return_sequences else out[:, -1]

    return dict(Recurrent=Recurrent)


# ---------------------------------------------------------------- minidl → torch
@to_torch_op(Embedding)
def _embedding(layer, torch, convert):
    kwargs = {"num_embeddings": layer.num_embeddings, "embedding_dim": layer.embedding_dim}
    module = torch.nn.Embedding(**kwargs, dtype=torch_dtype(torch, layer.dtype))
    with torch.no_grad():
        module.weight.copy_(tensor(torch, layer.W))
    return module, {"class": "torch.nn.Embedding", "kwargs": kwargs}


def _recurrent(layer, torch, convert):
    # the torch class by the minidl class (or the registered parent whose forward a subclass keeps)
    mode = next(name for name, cls in MINIDL_CELLS.items() if isinstance(layer, cls))
    kwargs = {"mode": mode, "input_size": layer.input_size, "hidden_size": layer.hidden_size,
              "return_sequences": layer.return_sequences}
    module = torch_classes(torch)["Recurrent"](**kwargs, dtype=torch_dtype(torch, layer.dtype))
    if mode == "GRU":
        b_ih, b_hh = layer.bx, layer.bh
    else:
        b_ih, b_hh = layer.b, np.zeros_like(layer.b)
    with torch.no_grad():
        module.cell.weight_ih_l0.copy_(tensor(torch, layer.Wx.T))
        module.cell.weight_hh_l0.copy_(tensor(torch, layer.Wh.T))
        module.cell.bias_ih_l0.copy_(tensor(torch, b_ih))
        module.cell.bias_hh_l0.copy_(tensor(torch, b_hh))
    return module, {"class": "Recurrent", "kwargs": kwargs,
                    "computes": f"torch.nn.{mode}(input_size, hidden_size, batch_first=True) as cell; "
                                "cell(x)[0], or its last step [:, -1] unless return_sequences"}


for _cell in MINIDL_CELLS.values():
    TO_TORCH[_cell] = _recurrent


# ---------------------------------------------------------------- torch → minidl
@from_torch_op("Embedding")
def _from_embedding(module, dtype, convert):
    if module.max_norm is not None:
        raise ValueError(f"max_norm={module.max_norm}: minidl's Embedding does not renormalise rows")
    layer = Embedding(module.num_embeddings, module.embedding_dim, dtype=dtype)
    layer.W = array(module.weight, dtype)
    return layer


@from_torch_op("Recurrent")
def _from_recurrent(module, dtype, convert):
    cell = module.cell
    mode = type(cell).__name__
    if mode not in MINIDL_CELLS:
        raise ValueError(f"cell {cell!r} is not a torch.nn.RNN, LSTM or GRU")
    settings = {"num_layers": (cell.num_layers, 1), "bidirectional": (cell.bidirectional, False),
                "bias": (cell.bias, True), "batch_first": (cell.batch_first, True),
                "proj_size": (getattr(cell, "proj_size", 0), 0),
                "nonlinearity": (getattr(cell, "nonlinearity", "tanh"), "tanh")}
    wrong = {name: got for name, (got, want) in settings.items() if got != want}
    if wrong:
        raise ValueError(f"{wrong}: minidl's {mode} is one batch-first layer, one direction, tanh, "
                         "with biases")
    layer = MINIDL_CELLS[mode](cell.input_size, cell.hidden_size, return_sequences=module.return_sequences,
                               dtype=dtype)
    layer.Wx = array(cell.weight_ih_l0, dtype).T
    layer.Wh = array(cell.weight_hh_l0, dtype).T
    if mode == "GRU":
        layer.bx, layer.bh = array(cell.bias_ih_l0, dtype), array(cell.bias_hh_l0, dtype)
    else:
        layer.b = array(cell.bias_ih_l0, dtype) + array(cell.bias_hh_l0, dtype)
    return layer
