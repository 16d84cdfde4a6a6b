"""The architectures ``minidl train --model NAME`` can build, each with its own defaults.

Every model takes the data set's rows as they come (flat feature vectors, ``(N, D)``):
an image or sequence model starts with a ``Reshape`` layer, so that evaluation,
prediction, the saved model and its input normalisation work the same for all of them.
An entry's ``defaults`` override ``minidl train``'s (e.g. its own epochs or learning
rate); flags given on the command line override both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..nn.models import mlp


@dataclass(frozen=True)
class Architecture:
    """``build(settings, dataset, rng) -> Module`` and the training defaults it prefers."""

    build: object
    help: str
    defaults: dict = field(default_factory=dict)


def _mlp(s: dict, ds, rng):
    return mlp([ds.input_dim, *s["hidden"], ds.num_classes], s["activation"], rng=rng,
               dtype=s["dtype"], dropout=s["dropout"], batchnorm=s["batchnorm"])


ARCHITECTURES: dict[str, Architecture] = {
    "mlp": Architecture(_mlp, "Dense layers of --hidden widths (with BatchNorm1d and Dropout)"),
}
