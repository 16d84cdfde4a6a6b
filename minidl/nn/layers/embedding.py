"""``Embedding``: integer ids → rows of a learned table (gather forward, scatter-add backward)."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype, as_generator, positive_int
from ..checks import checked_dout
from ..module import Module, Parameter
from ..registry import register_module


@register_module
class Embedding(Module):
    """Look-up table ``Y[n, t] = W[I[n, t]]`` (``docs/derivations/recurrent.md`` §4).

    Args:
        num_embeddings: V, the number of ids.
        embedding_dim: E, the width of each row.
        rng: seed or ``numpy.random.Generator`` for the N(0, 1) draw of W (PyTorch's init).
        dtype: ``"float32"`` (default) or ``"float64"``.

    Shape:
        ids I: integers of any shape (N, ...) in [0, V) → Y: (N, ..., E).

    Attributes:
        W: (V, E), ``dW`` its gradient.

    Example:
        >>> Embedding(10, 3, rng=0)(np.array([[1, 2, 1]])).shape
        (1, 3, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, *, rng=None, dtype="float32"):
        where = f"Embedding({num_embeddings}, {embedding_dim})"
        self.num_embeddings = positive_int(num_embeddings, "num_embeddings", where)
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim", where)
        self.dtype = as_float_dtype(dtype, where)
        draw = as_generator(rng).standard_normal((self.num_embeddings, self.embedding_dim))
        self.W = Parameter(draw.astype(self.dtype))

    def forward(self, ids) -> np.ndarray:
        """Y = W[I], caching I for the scatter-add."""
        ids = _checked_ids(self, ids)
        self.cache = ids
        return self.W[ids]  # (N, ..., E)

    def backward(self, dout) -> None:
        """Y[n, t] = W[I[n, t]]  ⇒  dW[v] += Σ_{(n, t): I[n, t] = v} dY[n, t].

        ``np.add.at`` adds once per occurrence, so a repeated id gets every row's gradient
        (``dW[I] += dY`` would keep only one). Ids are integers: there is no dI, so this
        returns None.
        """
        ids = self.cached()
        dout = checked_dout(self, dout, ids.shape + (self.embedding_dim,), self.dtype)
        np.add.at(self.dW, ids, dout)  # (V, E), scatter-add
        return None

    def get_config(self) -> dict:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "dtype": self.dtype.name}

    def __repr__(self) -> str:
        return f"Embedding({getattr(self, 'num_embeddings', '?')}, {getattr(self, 'embedding_dim', '?')})"


def _checked_ids(module, ids) -> np.ndarray:
    """Integer ids in [0, V), at least one axis and a non-empty batch; a clear error otherwise."""
    where = f"{module!r}.forward"
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer ids, got dtype {ids.dtype}")
    if ids.ndim == 0 or ids.shape[0] == 0:
        raise ValueError(f"{where}: expected ids of shape (N, ...), got {ids.shape}")
    bad = (ids < 0) | (ids >= module.num_embeddings)
    if bad.any():
        raise IndexError(f"{where}: id {ids[bad].flat[0]} is out of range for "
                         f"{module.num_embeddings} embeddings (valid 0..{module.num_embeddings - 1})")
    return ids
