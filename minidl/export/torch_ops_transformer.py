"""PyTorch mappings of the transformer layers, both ways: Rescale, LayerNorm, GELU, Softmax,
Residual and MultiHeadAttention (as ``torch.nn.MultiheadAttention(batch_first=True)`` inside a
small self-attention module; its packed ``in_proj_weight`` is ``[Wqᵀ; Wkᵀ; Wvᵀ]``)."""

from __future__ import annotations

import numpy as np

from ..nn.layers import GELU, LayerNorm, MultiHeadAttention, Rescale, Softmax
from ..nn.residual import Residual
from .torch_ops import array, defined_once, from_torch_op, tensor, to_torch_op, torch_dtype


def torch_classes(torch) -> dict:
    """The torch modules with no torch.nn counterpart, by name (defined once, on first use)."""
    return defined_once(_define_classes, torch)


def _define_classes(torch) -> dict:
    class Rescale(torch.nn.Module):
        """``y = x ⊙ scale + offset`` with buffers ``scale`` and ``offset`` (minidl's Rescale)."""

        def __init__(self, num_features: int, dtype=None):
            super().__init__()
            self.register_buffer("scale", torch.ones(num_features, dtype=dtype))
            self.register_buffer("offset", torch.zeros(num_features, dtype=dtype))

        def forward(self, x):
            return x * self.scale + self.offset

    class Residual(torch.nn.Module):
        """``y = x + module(x)``."""

        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, x):
            return x + self.module(x)

    class SelfAttention(torch.nn.Module):
        """Self-attention on (N, T, E): ``attention(x, x, x)``, position t seeing s ≤ t when causal."""

        def __init__(self, embed_dim: int, num_heads: int, causal: bool = False, dtype=None):
            super().__init__()
            self.causal = causal
            self.attention = torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True, dtype=dtype)

        def forward(self, x):
            t = x.shape[1]
            mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1) if self.causal else None
            return self.attention(x, x, x, attn_mask=mask, need_weights=False)[0]

    return dict(Rescale=Rescale, Residual=Residual, SelfAttention=SelfAttention)


# ---------------------------------------------------------------- minidl → torch
@to_torch_op(Rescale)
def _rescale(layer, torch, convert):
    module = torch_classes(torch)["Rescale"](layer.num_features, torch_dtype(torch, layer.dtype))
    with torch.no_grad():
        module.scale.copy_(tensor(torch, layer.scale))
        module.offset.copy_(tensor(torch, layer.offset))
    return module, {"class": "Rescale", "kwargs": {"num_features": layer.num_features},
                    "computes": "x * scale + offset, buffers scale and offset of shape (num_features,)"}


@to_torch_op(LayerNorm)
def _layernorm(layer, torch, convert):
    kwargs = {"normalized_shape": layer.normalized_shape, "eps": layer.eps}
    module = torch.nn.LayerNorm(**kwargs, dtype=torch_dtype(torch, layer.dtype))
    with torch.no_grad():
        module.weight.copy_(tensor(torch, layer.gamma))
        module.bias.copy_(tensor(torch, layer.beta))
    return module, {"class": "torch.nn.LayerNorm", "kwargs": kwargs}


@to_torch_op(GELU)
def _gelu(layer, torch, convert):
    return torch.nn.GELU(approximate=layer.approximate), {
        "class": "torch.nn.GELU", "kwargs": {"approximate": layer.approximate}}


@to_torch_op(Softmax)
def _softmax(layer, torch, convert):
    return torch.nn.Softmax(dim=layer.axis), {"class": "torch.nn.Softmax", "kwargs": {"dim": layer.axis}}


@to_torch_op(Residual)
def _residual(layer, torch, convert):
    inner, spec = convert(layer.module)
    return torch_classes(torch)["Residual"](inner), {
        "class": "Residual", "children": [spec], "computes": "x + module(x)"}


@to_torch_op(MultiHeadAttention)
def _attention(layer, torch, convert):
    kwargs = {"embed_dim": layer.embed_dim, "num_heads": layer.num_heads, "causal": layer.causal}
    module = torch_classes(torch)["SelfAttention"](**kwargs, dtype=torch_dtype(torch, layer.dtype))
    attention = module.attention
    with torch.no_grad():
        attention.in_proj_weight.copy_(tensor(torch, np.concatenate([layer.Wq.T, layer.Wk.T, layer.Wv.T])))
        attention.in_proj_bias.copy_(tensor(torch, np.concatenate([layer.bq, layer.bk, layer.bv])))
        attention.out_proj.weight.copy_(tensor(torch, layer.Wo.T))
        attention.out_proj.bias.copy_(tensor(torch, layer.bo))
    return module, {"class": "SelfAttention", "kwargs": kwargs,
                    "computes": "torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)"
                                "(x, x, x, attn_mask=causal upper triangle or None)[0], as .attention"}


# ---------------------------------------------------------------- torch → minidl
@from_torch_op("Rescale")
def _from_rescale(module, dtype, convert):
    layer = Rescale(module.scale.shape[0], dtype=dtype)
    layer.scale = array(module.scale, dtype)
    layer.offset = array(module.offset, dtype)
    return layer


@from_torch_op("LayerNorm")
def _from_layernorm(module, dtype, convert):
    if len(module.normalized_shape) != 1:
        raise ValueError(f"normalized_shape {module.normalized_shape}: minidl's LayerNorm normalises "
                         "the last axis only")
    width = module.normalized_shape[0]
    layer = LayerNorm(width, eps=module.eps, dtype=dtype)
    if module.weight is not None:
        layer.gamma = array(module.weight, dtype)
    if module.bias is not None:
        layer.beta = array(module.bias, dtype)
    return layer


@from_torch_op("GELU")
def _from_gelu(module, dtype, convert):
    return GELU(module.approximate, dtype=dtype)


@from_torch_op("Softmax")
def _from_softmax(module, dtype, convert):
    return Softmax(-1 if module.dim is None else module.dim, dtype=dtype)


@from_torch_op("Residual")
def _from_residual(module, dtype, convert):
    return Residual(convert(module.module))


@from_torch_op("SelfAttention")
def _from_attention(module, dtype, convert):
    attention = module.attention
    if attention.in_proj_weight is None or attention.in_proj_bias is None or not attention.batch_first:
        raise ValueError("minidl's MultiHeadAttention needs packed projections with biases and batch_first")
    e = attention.embed_dim
    layer = MultiHeadAttention(e, attention.num_heads, causal=module.causal, dtype=dtype)
    weight, bias = array(attention.in_proj_weight, dtype), array(attention.in_proj_bias, dtype)
    for k, name in enumerate("qkv"):
        setattr(layer, "W" + name, weight[k * e:(k + 1) * e].T)
        setattr(layer, "b" + name, bias[k * e:(k + 1) * e])
    layer.Wo = array(attention.out_proj.weight, dtype).T
    layer.bo = array(attention.out_proj.bias, dtype)
    return layer
