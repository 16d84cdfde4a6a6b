"""The transformer layers written a second time as engine expressions, for ``cross_check``.

Each is built from engine ops only (``minidl.autodiff``: batched matmul, exp, sums, erf,
masked_fill), never from the layer's code: the layer's hand-written backward and the
engine's derivative of these formulas are the two opinions ``cross_check`` compares.
"""

from __future__ import annotations

import math

import numpy as np

from ..autodiff import Tensor
from ..autodiff.ops_attention import erf, masked_fill
from ..nn.layers import (
    GELU,
    LayerNorm,
    MeanOverTokens,
    MultiHeadAttention,
    PatchEmbedding,
    PositionalEmbedding,
    Softmax,
)
from ..nn.residual import Residual
from ..nn.tokenwise import Tokenwise
from .engine_forms import engine_forward, register_engine_form


def engine_softmax(z: Tensor, axis: int = -1) -> Tensor:
    """P = e^{Z − c} / Σ e^{Z − c}, c the row maximum held constant (softmax ignores shifts)."""
    shift = Tensor(np.max(z.data, axis=axis, keepdims=True))
    e = (z - shift).exp()
    return e / e.sum(axis=axis, keepdims=True)


@register_engine_form(Softmax)
def _softmax(layer, x, params):
    """P = softmax(Z) along the layer's axis."""
    return engine_softmax(x, layer.axis)


@register_engine_form(LayerNorm)
def _layernorm(layer, x, params):
    """Y = γ ⊙ (X − μ)/√(σ² + eps) + β, μ and the biased σ² over the last axis."""
    centred = x - x.mean(axis=-1, keepdims=True)
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / (var + layer.eps) ** 0.5 * params["gamma"] + params["beta"]


@register_engine_form(GELU)
def _gelu(layer, x, params):
    """Y = X Φ(X): ½ X (1 + erf(X/√2)), or ½ X (1 + tanh(√(2/π)(X + 0.044715 X³)))."""
    if layer.approximate == "tanh":
        return 0.5 * x * (1 + (math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)).tanh())
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


@register_engine_form(MultiHeadAttention)
def _attention(layer, x, params):
    """Y = concat_k softmax(Q_k K_kᵀ/√d [masked]) V_k · Wo + bo, heads by reshape + transpose."""
    n, t, e = x.shape
    h, d = layer.num_heads, e // layer.num_heads

    def heads(name):
        z = x @ params["W" + name] + params["b" + name]            # (N, T, E)
        return z.reshape(n, t, h, d).transpose(0, 2, 1, 3)          # (N, h, T, d)

    q, k, v = heads("q"), heads("k"), heads("v")
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)             # (N, h, T, T)
    if layer.causal:
        scores = masked_fill(scores, np.triu(np.ones((t, t), dtype=bool), k=1), -np.inf)
    out = engine_softmax(scores) @ v                                # (N, h, T, d)
    return out.transpose(0, 2, 1, 3).reshape(n, t, e) @ params["Wo"] + params["bo"]


@register_engine_form(Residual)
def _residual(layer, x, params):
    """Y = X + f(X)."""
    return x + engine_forward(layer.module, x, params.child("module"))


@register_engine_form(PatchEmbedding)
def _patch_embedding(layer, x, params):
    """Z = R(X) W + b, R the patch cut as reshape → transpose → reshape."""
    n, c, p = x.shape[0], layer.in_channels, layer.patch_size
    g = layer.image_size // p
    patches = x.reshape(n, c, g, p, g, p).transpose(0, 2, 4, 1, 3, 5).reshape(n, g * g, c * p * p)
    return patches @ params["W"] + params["b"]


@register_engine_form(PositionalEmbedding)
def _positional_embedding(layer, x, params):
    """Y = X + P."""
    return x + params["P"]


@register_engine_form(MeanOverTokens)
def _mean_over_tokens(layer, x, params):
    """Y = mean over the token axis."""
    return x.mean(axis=1)


@register_engine_form(Tokenwise)
def _tokenwise(layer, x, params):
    """Y = f(X as N·T rows), reshaped back."""
    n, t, d = x.shape
    out = engine_forward(layer.module, x.reshape(n * t, d), params.child("module"))
    return out.reshape(n, t, out.shape[-1])
