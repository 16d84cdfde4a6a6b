"""PyTorch mappings of the vision-transformer layers, both ways: PatchEmbedding (a strided
``Conv2d``, as PyTorch ViTs write it), PositionalEmbedding, MeanOverTokens and Tokenwise.

PatchEmbedding's ``W`` (C·p², E) holds each patch flattened in (C, py, px) order, so the
conv weight (E, C, p, p) is ``Wᵀ`` reshaped."""

from __future__ import annotations

from ..nn.layers import MeanOverTokens, PatchEmbedding, PositionalEmbedding
from ..nn.tokenwise import Tokenwise
from .torch_ops import array, defined_once, from_torch_op, tensor, to_torch_op, torch_dtype


def torch_classes(torch) -> dict:
    """The torch modules with no torch.nn counterpart, by name (defined once, on first use)."""
    return defined_once(_define_classes, torch)


def _define_classes(torch) -> dict:
    class PatchEmbedding(torch.nn.Module):
        """Flat rows (N, C·H·W) → image → ``proj`` (Conv2d, kernel = stride = p) → (N, T, E) tokens."""

        def __init__(self, image_size: int, patch_size: int, embed_dim: int, in_channels: int = 1,
                     dtype=None):
            super().__init__()
            self.image_size, self.in_channels = image_size, in_channels
            self.proj = torch.nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size, dtype=dtype)

        def forward(self, x):
            image = x.reshape(x.shape[0], self.in_channels, self.image_size, self.image_size)
            return self.proj(image).flatten(2).transpose(1, 2)

    class PositionalEmbedding(torch.nn.Module):
        """``y = x + P`` with a learned P of shape (T, E)."""

        def __init__(self, num_tokens: int, embed_dim: int, dtype=None):
            super().__init__()
            self.P = torch.nn.Parameter(torch.zeros(num_tokens, embed_dim, dtype=dtype))

        def forward(self, x):
            return x + self.P

    class MeanOverTokens(torch.nn.Module):
        """(N, T, E) → (N, E), the mean over tokens."""

        def forward(self, x):
            return x.mean(dim=1)

    class Tokenwise(torch.nn.Module):
        """``module`` on every token: (N, T, D) as N·T rows, reshaped back to (N, T, ·)."""

        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, x):
            n, t, d = x.shape
            return self.module(x.reshape(n * t, d)).reshape(n, t, -1)

    return dict(PatchEmbedding=PatchEmbedding, PositionalEmbedding=PositionalEmbedding,
                MeanOverTokens=MeanOverTokens, Tokenwise=Tokenwise)


# ---------------------------------------------------------------- minidl → torch
@to_torch_op(PatchEmbedding)
def _patches(layer, torch, convert):
    kwargs = {"image_size": layer.image_size, "patch_size": layer.patch_size,
              "embed_dim": layer.embed_dim, "in_channels": layer.in_channels}
    module = torch_classes(torch)["PatchEmbedding"](**kwargs, dtype=torch_dtype(torch, layer.dtype))
    p, c = layer.patch_size, layer.in_channels
    with torch.no_grad():
        module.proj.weight.copy_(tensor(torch, layer.W.T.reshape(layer.embed_dim, c, p, p)))
        module.proj.bias.copy_(tensor(torch, layer.b))
    return module, {"class": "PatchEmbedding", "kwargs": kwargs,
                    "computes": "proj(x.reshape(N, C, H, W)).flatten(2).transpose(1, 2), proj = "
                                "torch.nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size)"}


@to_torch_op(PositionalEmbedding)
def _positions(layer, torch, convert):
    kwargs = {"num_tokens": layer.num_tokens, "embed_dim": layer.embed_dim}
    module = torch_classes(torch)["PositionalEmbedding"](**kwargs, dtype=torch_dtype(torch, layer.dtype))
    with torch.no_grad():
        module.P.copy_(tensor(torch, layer.P))
    return module, {"class": "PositionalEmbedding", "kwargs": kwargs, "computes": "x + P, P of shape (T, E)"}


@to_torch_op(MeanOverTokens)
def _mean(layer, torch, convert):
    return torch_classes(torch)["MeanOverTokens"](), {"class": "MeanOverTokens", "kwargs": {},
                                                      "computes": "x.mean(dim=1)"}


@to_torch_op(Tokenwise)
def _tokenwise(layer, torch, convert):
    inner, spec = convert(layer.module)
    return torch_classes(torch)["Tokenwise"](inner), {
        "class": "Tokenwise", "children": [spec], "computes": "module(x.reshape(N*T, D)).reshape(N, T, -1)"}


# ---------------------------------------------------------------- torch → minidl
@from_torch_op("PatchEmbedding")
def _from_patches(module, dtype, convert):
    conv = module.proj
    e, c, p, _ = conv.weight.shape
    layer = PatchEmbedding(module.image_size, p, e, in_channels=c, dtype=dtype)
    layer.W = array(conv.weight, dtype).reshape(e, c * p * p).T
    layer.b = array(conv.bias, dtype)
    return layer


@from_torch_op("PositionalEmbedding")
def _from_positions(module, dtype, convert):
    layer = PositionalEmbedding(*module.P.shape, dtype=dtype)
    layer.P = array(module.P, dtype)
    return layer


@from_torch_op("MeanOverTokens")
def _from_mean(module, dtype, convert):
    return MeanOverTokens(dtype=dtype)


@from_torch_op("Tokenwise")
def _from_tokenwise(module, dtype, convert):
    return Tokenwise(convert(module.module))
