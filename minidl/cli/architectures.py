"""The architectures ``minidl train --model NAME`` can build, each with its own defaults.

Every model takes the data set's rows as they come (flat feature vectors, ``(N, D)``):
an image or sequence model starts with a ``Reshape`` layer, so that evaluation,
prediction, the saved model and its input normalisation work the same for all of them.
An entry's ``defaults`` override ``minidl train``'s (e.g. its own epochs or learning
rate); flags given on the command line override both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..nn.models import cnn, gru, lstm, mlp, rnn, vit


@dataclass(frozen=True)
class Architecture:
    """``build(settings, dataset, rng) -> Module`` and the training defaults it prefers."""

    build: object
    help: str
    defaults: dict = field(default_factory=dict)


def _mlp(s: dict, ds, rng):
    return mlp([ds.input_dim, *s["hidden"], ds.num_classes], s["activation"], rng=rng,
               dtype=s["dtype"], dropout=s["dropout"], batchnorm=s["batchnorm"])


def _vit(s: dict, ds, rng):
    side = math.isqrt(ds.input_dim)
    if side * side != ds.input_dim or side % 7:
        raise ValueError(f"--model vit cuts square images into 7×7 patches; the data's rows have "
                         f"{ds.input_dim} features, not a square side divisible by 7 (e.g. 784 = 28²)")
    return vit(side, 7, ds.num_classes, embed_dim=64, depth=2, num_heads=4, mlp_dim=128, rng=rng,
               dtype=s["dtype"])


def _cnn(s: dict, ds, rng):
    side = math.isqrt(ds.input_dim)
    if side * side != ds.input_dim or side % 4:
        raise ValueError(f"--model cnn takes square one-channel images with a side divisible by 4; the "
                         f"data's rows have {ds.input_dim} features (e.g. 784 = 28²)")
    return cnn(side, ds.num_classes, dropout=s["dropout"], rng=rng, dtype=s["dtype"])


def _sequence(builder):
    """A recurrent classifier reading square images row by row (28 steps of 28 pixels)."""
    def build(s: dict, ds, rng):
        side = math.isqrt(ds.input_dim)
        if side * side != ds.input_dim:
            raise ValueError(f"--model {builder.__name__} reads square images row by row; the data's "
                             f"rows have {ds.input_dim} features, not a square (e.g. 784 = 28²)")
        return builder(side, side, 128, ds.num_classes, rng=rng, dtype=s["dtype"])
    return build


ARCHITECTURES: dict[str, Architecture] = {
    "mlp": Architecture(_mlp, "Dense layers of --hidden widths (with BatchNorm1d and Dropout)"),
    "vit": Architecture(_vit, "a vision transformer: 7×7 patches of square images as 16 tokens, 2 blocks of "
                              "width 64 (4 heads, MLP 128), mean over tokens",
                        {"optimizer": "adam", "lr": 1e-3, "epochs": 15, "warmup": 1.0}),
    # 10 epochs of SGD with Nesterov momentum (the MLP's lr 0.1, cosine schedule, half-epoch
    # warm-up) and L2 weight decay 5e-4; the dropout before the last layer is --dropout's.
    # Measured against Adam at 2e-3 on the same network and epochs (README, "Convolutional
    # networks"): the decayed SGD generalises better; more epochs of Adam did not.
    "cnn": Architecture(_cnn, "two 3×3 conv blocks (16, 32 channels; BatchNorm2d, 2×2 max-pool, ReLU), "
                              "then Dense 128 → ReLU → Dropout (--dropout) → Dense",
                        {"epochs": 10, "dropout": 0.25, "weight_decay": 5e-4}),
    # The recurrent models clip the gradient norm (BPTT's products of Jacobians can explode)
    # and anneal Adam over 10 epochs: the LSTM's 0.88 on Fashion-MNIST row by row takes
    # about 7 of them (README, "Sequence models").
    "lstm": Architecture(_sequence(lstm), "an LSTM (hidden 128) reading square images row by row, "
                                        "last state to a Dense classifier",
                        {"optimizer": "adam", "lr": 2e-3, "epochs": 10, "clip_norm": 1.0}),
    "gru": Architecture(_sequence(gru), "a GRU (hidden 128) reading square images row by row, "
                                        "last state to a Dense classifier",
                        {"optimizer": "adam", "lr": 2e-3, "epochs": 10, "clip_norm": 1.0}),
    "rnn": Architecture(_sequence(rnn), "a tanh RNN (hidden 128) reading square images row by row, "
                                        "last state to a Dense classifier",
                        {"optimizer": "adam", "lr": 1e-3, "epochs": 10, "clip_norm": 1.0}),
}
