"""Small specimens of the recurrent layers for ``minidl gradcheck`` (``suite.SPECIMENS``).

Each cell is checked returning the whole sequence and only its last state, at T = 1 and
T = 3; the model runs flat rows through Reshape → LSTM → Dense under cross-entropy, as
``minidl train --model lstm`` does. (``Embedding`` takes integer ids, which have no finite
difference; tests/test_embedding.py checks its weight gradient.)
"""

from __future__ import annotations

from ..nn.containers import Sequential
from ..nn.layers import GRU, LSTM, RNN, Dense, Reshape
from ..nn.losses import SoftmaxCrossEntropy


def _cell(cls):
    def cases(rng, dtype):
        from .suite import _layer_case  # suite imports this file to list the specimens
        out = []
        for steps, return_sequences in ((3, True), (3, False), (1, True)):
            layer = cls(2, 3, return_sequences=return_sequences, rng=rng, dtype=dtype)
            for name, p in layer.named_parameters():  # biases away from 0, where they start
                if name.startswith("b"):
                    setattr(layer, name, rng.standard_normal(p.shape) * 0.5)
            x = rng.standard_normal((2, steps, 2)).astype(dtype)
            returns = "sequence" if return_sequences else "last state"
            out.append(_layer_case(f"{layer!r} T={steps}, {returns}", layer, x, rng))
        return out
    return cases


def _sequence_model(rng, dtype):
    from .suite import ModuleCase
    model = Sequential(Reshape((3, 2)), LSTM(2, 4, return_sequences=False, rng=rng, dtype=dtype),
                       Dense(4, 3, rng=rng, dtype=dtype))
    return [ModuleCase("Reshape → LSTM → Dense", model, rng.standard_normal((3, 6)).astype(dtype),
                       rng.integers(0, 3, 3), SoftmaxCrossEntropy())]


SPECIMENS = {"RNN": _cell(RNN), "LSTM": _cell(LSTM), "GRU": _cell(GRU), "sequence": _sequence_model}
