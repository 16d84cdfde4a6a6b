"""Planned multi-head self-attention: one GEMM for Q, K, V together, batched matmuls over
(N, h) into reused arrays, the softmax and its backward fused in place."""

from __future__ import annotations

import math

import numpy as np

from ...nn.checks import checked_input
from ...nn.layers.attention import causal_mask
from .base import Kernel
from .rows import ones_column
from .softmax import softmax_backward_in_place, softmax_in_place


def tokens_of(layer, x, width: int, dtype) -> np.ndarray:
    """An (N, T, width) array of ``dtype``: what the previous kernel made passes as it is,
    anything else gets the layer's own checks and errors."""
    if isinstance(x, np.ndarray) and x.dtype == dtype and x.ndim == 3 and x.shape[0] \
            and x.shape[2] == width:
        return x
    return checked_input(layer, x, (None, None, width), dtype)


class AttentionKernel(Kernel):
    """``MultiHeadAttention``'s equations with the three projections as one:
    [Q K V] = X [Wq Wk Wv] + [bq bk bv] (an (E, 3E) copy of the weights per step), copied
    once into contiguous (N, h, T, d) heads (a batched matmul over strided head views runs
    several times slower than the copy costs), S = Q Kᵀ/√d (causal: −∞ above the diagonal),
    P = softmax(S) in place, O = P V, Y = merge(O) Wo + bo.

    Backward (docs/derivations/attention.md §2–3): dWo = merge(O)ᵀ dY, dbo = Σ dY,
    dO = split(dY Woᵀ), dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − Σ_j dP_j P_j) (over dP),
    dQ = dS K/√d, dK = dSᵀ Q/√d, the three merged into one (M, 3E) array, so
    [dWq dWk dWv] = Xᵀ [dQ dK dV] and dX = [dQ dK dV] [Wq Wk Wv]ᵀ are one GEMM each
    (the sum of the three branches' dX is inside that product).
    """

    def forward(self, x, ws):
        layer = self.layer
        e, h, d, dtype = layer.embed_dim, layer.num_heads, layer.head_dim, layer.dtype
        params = layer._params
        x = tokens_of(layer, x, e, dtype)
        n, t, _ = x.shape
        m = n * t
        w = ws.array(self, "w_qkv", (e, 3 * e), dtype)
        b = ws.array(self, "b_qkv", (3 * e,), dtype)
        for i, name in enumerate("qkv"):
            np.copyto(w[:, i * e:(i + 1) * e], params["W" + name].data)
            np.copyto(b[i * e:(i + 1) * e], params["b" + name].data)
        x2 = x.reshape(m, e)
        qkv = np.matmul(x2, w, out=ws.array(self, "qkv", (m, 3 * e), dtype))
        qkv += b
        heads = ws.array(self, "heads", (3, n, h, t, d), dtype)     # Q, K, V: (N, h, T, d) each
        np.copyto(heads, qkv.reshape(n, t, 3, h, d).transpose(2, 0, 3, 1, 4))
        q, k, v = heads
        p = np.matmul(q, k.transpose(0, 1, 3, 2), out=ws.array(self, "p", (n, h, t, t), dtype))
        p /= math.sqrt(d)                                            # S = Q Kᵀ/√d
        if layer.causal:
            np.copyto(p, -np.inf, where=self._mask(t))
        softmax_in_place(p, ws.array(self, "row", (n, h, t, 1), dtype), ones_column(self, ws, t, dtype))
        o = np.matmul(p, v, out=ws.array(self, "o", (n, h, t, d), dtype))  # O = P V
        merged = ws.array(self, "merged", (m, e), dtype)
        np.copyto(merged.reshape(n, t, h, d), o.transpose(0, 2, 1, 3))
        y = np.matmul(merged, params["Wo"].data, out=ws.array(self, "y", (m, e), dtype))
        y += params["bo"].data
        self.x2, self.w, self.heads, self.p, self.merged, self.shape = x2, w, heads, p, merged, (n, t)
        return y.reshape(n, t, e)

    def backward(self, dout, ws, need_dx: bool):
        """dWo = merge(O)ᵀ dY, dbo = Σ dY, dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − Σ_j dP_j P_j),
        dQ = dS K/√d, dK = dSᵀ Q/√d, [dWq dWk dWv] = Xᵀ[dQ dK dV], dX = [dQ dK dV][Wq Wk Wv]ᵀ."""
        layer, params = self.layer, self.layer._params
        e, h, d, dtype = layer.embed_dim, layer.num_heads, layer.head_dim, layer.dtype
        (n, t), p = self.shape, self.p
        m = n * t
        dy = dout.reshape(m, e)
        wo = params["Wo"]
        np.matmul(self.merged.T, dy, out=wo.grad)                    # dWo
        np.add.reduce(dy, axis=0, out=params["bo"].grad)             # dbo
        dmerged = np.matmul(dy, wo.data.T, out=ws.array(self, "dmerged", (m, e), dtype))
        do = ws.array(self, "o", (n, h, t, d), dtype)                # split(dY Woᵀ), over O
        np.copyto(do, dmerged.reshape(n, t, h, d).transpose(0, 2, 1, 3))
        q, k, v = self.heads
        dheads = ws.array(self, "dheads", (3, n, h, t, d), dtype)
        dq, dk, dv = dheads
        np.matmul(p.transpose(0, 1, 3, 2), do, out=dv)               # dV = Pᵀ dO
        dp = np.matmul(do, v.transpose(0, 1, 3, 2), out=ws.array(self, "dp", (n, h, t, t), dtype))
        ds = softmax_backward_in_place(p, dp, ws.array(self, "tmp", (n, h, t, t), dtype),
                                       ws.array(self, "row", (n, h, t, 1), dtype),
                                       ones_column(self, ws, t, dtype))  # 0 where masked
        ds *= 1 / math.sqrt(d)                                       # dS/√d, for both
        np.matmul(ds, k, out=dq)                                     # dQ = dS K/√d
        np.matmul(ds.transpose(0, 1, 3, 2), q, out=dk)               # dK = dSᵀ Q/√d
        dqkv = ws.array(self, "qkv", (m, 3 * e), dtype)              # merged, over [Q K V]
        np.copyto(dqkv.reshape(n, t, 3, h, d), dheads.transpose(1, 3, 0, 2, 4))
        dw = np.matmul(self.x2.T, dqkv, out=ws.array(self, "dw", (e, 3 * e), dtype))
        db = np.add.reduce(dqkv, axis=0, out=ws.array(self, "db", (3 * e,), dtype))
        for i, name in enumerate("qkv"):
            np.copyto(params["W" + name].grad, dw[:, i * e:(i + 1) * e])
            np.copyto(params["b" + name].grad, db[i * e:(i + 1) * e])
        if not need_dx:
            return None
        dx = np.matmul(dqkv, self.w.T, out=ws.array(self, "dx", (m, e), dtype))
        return dx.reshape(n, t, e)

    def _mask(self, t: int) -> np.ndarray:
        """The (T, T) causal mask, made once per sequence length."""
        masks = self.__dict__.setdefault("_masks", {})
        if t not in masks:
            masks[t] = causal_mask(t)
        return masks[t]
