"""Multi-head self-attention on (N, T, E): projections, per-head scaled dot-product
attention with an optional causal mask, heads merged, output projection."""

from __future__ import annotations

import math

import numpy as np

from ..._validate import as_float_dtype, as_generator, positive_int
from ..checks import checked_dout, checked_input
from ..init import get_initializer
from ..module import Module, Parameter
from ..registry import register_module
from .softmax import softmax, softmax_backward

_PROJECTIONS = ("q", "k", "v", "o")


@register_module
class MultiHeadAttention(Module):
    """``Y = concat_k softmax(Q_k K_kᵀ / √d [+ mask]) V_k · Wo + bo`` (Vaswani et al., 2017).

    Q = X Wq + bq, K = X Wk + bk, V = X Wv + bv; head k uses columns k·d … (k+1)·d − 1 of
    each (d = E / num_heads, PyTorch's split). With ``causal=True`` position t attends to
    positions ≤ t only.

    Args:
        embed_dim: E, the width of each token.
        num_heads: h, which must divide E.
        causal: mask out the future (a language model's attention).
        rng: seed or Generator for the weights (Xavier uniform); biases start at 0.
        dtype: ``"float32"`` (default) or ``"float64"``.

    Shape:
        X: (N, T, E) → Y: (N, T, E). The cache holds the (N, h, T, T) weights P: O(T²).

    Attributes:
        Wq, Wk, Wv, Wo: (E, E); bq, bk, bv, bo: (E,); gradients ``dWq`` … ``dbo``.

    Example:
        >>> mha = MultiHeadAttention(8, 2, causal=True, rng=0)
        >>> mha(np.ones((3, 5, 8))).shape
        (3, 5, 8)
    """

    def __init__(self, embed_dim: int, num_heads: int, *, causal: bool = False, rng=None,
                 dtype="float32"):
        where = f"MultiHeadAttention({embed_dim}, {num_heads})"
        self.embed_dim = positive_int(embed_dim, "embed_dim", where)
        self.num_heads = positive_int(num_heads, "num_heads", where)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{where}: num_heads must divide embed_dim, got {embed_dim} and {num_heads}")
        if not isinstance(causal, bool):
            raise TypeError(f"{where}: causal must be True or False, got {causal!r}")
        self.causal = causal
        self.dtype = as_float_dtype(dtype, where)
        rng = as_generator(rng)
        draw = get_initializer("xavier_uniform")
        e = self.embed_dim
        for name in _PROJECTIONS:
            setattr(self, "W" + name, Parameter(draw((e, e), rng, self.dtype)))
            setattr(self, "b" + name, Parameter(np.zeros(e, dtype=self.dtype)))

    @property
    def head_dim(self) -> int:
        return self.embed_dim // self.num_heads

    def _split(self, z: np.ndarray) -> np.ndarray:
        """(N, T, E) → (N, h, T, d): head k takes columns k·d … (k+1)·d − 1."""
        n, t, _ = z.shape
        return z.reshape(n, t, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def _merge(self, z: np.ndarray) -> np.ndarray:
        """(N, h, T, d) → (N, T, E): the inverse of ``_split`` (so also its backward)."""
        n, _, t, _ = z.shape
        return z.transpose(0, 2, 1, 3).reshape(n, t, self.embed_dim)

    def forward(self, x) -> np.ndarray:
        """Y = merge(softmax(Q Kᵀ/√d + M) V) Wo + bo, caching X, Q, K, V, P and merge(O)."""
        x = checked_input(self, x, (None, None, self.embed_dim), self.dtype)
        q = self._split(x @ self.Wq + self.bq)                      # (N, h, T, d)
        k = self._split(x @ self.Wk + self.bk)                      # (N, h, T, d)
        v = self._split(x @ self.Wv + self.bv)                      # (N, h, T, d)
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(self.head_dim)  # (N, h, T, T)
        if self.causal:
            scores = np.where(causal_mask(x.shape[1]), -np.inf, scores)
        p = softmax(scores, axis=-1)                                # (N, h, T, T)
        merged = self._merge(p @ v)                                 # (N, T, E)
        self.cache = (x, q, k, v, p, merged)
        return merged @ self.Wo + self.bo

    def backward(self, dout) -> np.ndarray:
        """Per head (docs/derivations/attention.md §2–3), with S = Q Kᵀ/√d, P = softmax(S + M):

        dWo += Σ merge(O)ᵀ dY,  dbo += Σ dY,  dO = split(dY Woᵀ),
        dV = Pᵀ dO,  dP = dO Vᵀ,  dS = P ⊙ (dP − Σ_j dP_j P_j)  (0 where masked),
        dQ = dS K / √d,  dK = dSᵀ Q / √d,
        dW_P += Σ Xᵀ merge(dP),  db_P += Σ merge(dP)  for P = Q, K, V,
        dX = dQ Wqᵀ + dK Wkᵀ + dV Wvᵀ  (X feeds three branches: their gradients add).
        """
        x, q, k, v, p, merged = self.cached()
        dout = checked_dout(self, dout, x.shape, self.dtype)
        self.dWo += _rows(merged).T @ _rows(dout)                    # (E, E)
        self.dbo += _rows(dout).sum(axis=0)                          # (E,)
        do = self._split(dout @ self.Wo.T)                           # (N, h, T, d)
        dv = p.transpose(0, 1, 3, 2) @ do                            # (N, h, T, d)
        dp = do @ v.transpose(0, 1, 3, 2)                            # (N, h, T, T)
        ds = softmax_backward(p, dp, axis=-1)                        # (N, h, T, T), 0 where P = 0
        scale = 1 / math.sqrt(self.head_dim)
        dq = ds @ k * scale                                          # (N, h, T, d)
        dk = ds.transpose(0, 1, 3, 2) @ q * scale                    # (N, h, T, d)
        dx = np.zeros_like(x)
        for name, grad in (("q", dq), ("k", dk), ("v", dv)):
            grad = self._merge(grad)                                 # (N, T, E)
            weight_grad, bias_grad = getattr(self, "dW" + name), getattr(self, "db" + name)
            weight_grad += _rows(x).T @ _rows(grad)                  # (E, E), in place
            bias_grad += _rows(grad).sum(axis=0)                     # (E,)
            dx += grad @ getattr(self, "W" + name).T                 # (N, T, E)
        return dx

    def get_config(self) -> dict:
        return {"embed_dim": self.embed_dim, "num_heads": self.num_heads, "causal": self.causal,
                "dtype": self.dtype.name}

    def __repr__(self) -> str:
        causal = ", causal" if getattr(self, "causal", False) else ""
        return (f"MultiHeadAttention({getattr(self, 'embed_dim', '?')}, "
                f"heads={getattr(self, 'num_heads', '?')}{causal})")


def causal_mask(t: int) -> np.ndarray:
    """(T, T) True where position s > t (the future a causal row must not see)."""
    return np.triu(np.ones((t, t), dtype=bool), k=1)


def _rows(z: np.ndarray) -> np.ndarray:
    """(N, T, E) as (N·T, E): a projection's weight gradient sums over every token."""
    return z.reshape(-1, z.shape[-1])
