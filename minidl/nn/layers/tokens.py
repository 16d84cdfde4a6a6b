"""Layers that turn rows into tokens and tokens back into rows for a transformer:
patch embedding (flat image rows → (N, T, E)), a learned positional embedding, and the
mean over tokens ((N, T, E) → (N, E)). Derivations: docs/derivations/attention.md §7."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype, as_generator, positive_int
from ..checks import checked_dout, checked_input
from ..init import get_initializer
from ..module import Module, Parameter
from ..registry import register_module


@register_module
class PatchEmbedding(Module):
    """Flat image rows → one token per p × p patch: ``Z = R(X) W + b``.

    R cuts each (C, H, W) image (given as a flat row, C·H·W wide, row-major like
    ``torch.flatten``) into T = (H/p)(W/p) patches in row-major patch order, each flattened
    in (channel, row, column) order — the same numbers as ``Conv2d(C, E, p, stride=p)``.

    Args:
        image_size: H = W, the side of the square image.
        patch_size: p, which must divide ``image_size``.
        embed_dim: E, the width of each token.
        in_channels: C (default 1).
        rng: seed or Generator for W (Xavier uniform); b starts at 0.
        dtype: ``"float32"`` (default) or ``"float64"``.

    Shape:
        X: (N, C·H·W) → Z: (N, T, E).

    Example:
        >>> PatchEmbedding(28, 7, 16, rng=0)(np.zeros((2, 784))).shape
        (2, 16, 16)
    """

    def __init__(self, image_size: int, patch_size: int, embed_dim: int, *, in_channels: int = 1,
                 rng=None, dtype="float32"):
        where = f"PatchEmbedding({image_size}, {patch_size}, {embed_dim})"
        self.image_size = positive_int(image_size, "image_size", where)
        self.patch_size = positive_int(patch_size, "patch_size", where)
        self.embed_dim = positive_int(embed_dim, "embed_dim", where)
        self.in_channels = positive_int(in_channels, "in_channels", where)
        if self.image_size % self.patch_size:
            raise ValueError(f"{where}: patch_size must divide image_size, got {patch_size} and {image_size}")
        self.dtype = as_float_dtype(dtype, where)
        patch_width = self.in_channels * self.patch_size ** 2
        self.W = Parameter(get_initializer("xavier_uniform")((patch_width, self.embed_dim),
                                                             as_generator(rng), self.dtype))
        self.b = Parameter(np.zeros(self.embed_dim, dtype=self.dtype))

    @property
    def num_tokens(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    def _patches(self, x: np.ndarray) -> np.ndarray:
        """R: (N, C·H·W) → (N, T, C·p²)."""
        n, c, g, p = x.shape[0], self.in_channels, self.image_size // self.patch_size, self.patch_size
        grid = x.reshape(n, c, g, p, g, p).transpose(0, 2, 4, 1, 3, 5)   # (N, gy, gx, C, py, px)
        return grid.reshape(n, g * g, c * p * p)

    def _unpatch(self, patches: np.ndarray) -> np.ndarray:
        """R⁻¹: (N, T, C·p²) → (N, C·H·W), the inverse permutation."""
        n, c, g, p = patches.shape[0], self.in_channels, self.image_size // self.patch_size, self.patch_size
        grid = patches.reshape(n, g, g, c, p, p).transpose(0, 3, 1, 4, 2, 5)   # (N, C, gy, py, gx, px)
        return grid.reshape(n, c * self.image_size ** 2)

    def forward(self, x) -> np.ndarray:
        """Z = R(X) W + b, caching R(X) for dW."""
        width = self.in_channels * self.image_size ** 2
        patches = self._patches(checked_input(self, x, (None, width), self.dtype))   # (N, T, C·p²)
        self.cache = patches
        return patches @ self.W + self.b                                            # (N, T, E)

    def backward(self, dout) -> np.ndarray:
        """Z = R(X) W + b  ⇒  dW += Σ R(X)ᵀ dZ,  db += Σ dZ,  dX = R⁻¹(dZ Wᵀ)  (attention.md §7)."""
        patches = self.cached()
        dout = checked_dout(self, dout, (patches.shape[0], self.num_tokens, self.embed_dim), self.dtype)
        self.dW += patches.reshape(-1, patches.shape[-1]).T @ dout.reshape(-1, self.embed_dim)  # (C·p², E)
        self.db += dout.sum(axis=(0, 1))                                                     # (E,)
        return self._unpatch(dout @ self.W.T)                                                # (N, C·H·W)

    def get_config(self) -> dict:
        return {"image_size": self.image_size, "patch_size": self.patch_size, "embed_dim": self.embed_dim,
                "in_channels": self.in_channels, "dtype": self.dtype.name}

    def __repr__(self) -> str:
        return (f"PatchEmbedding({getattr(self, 'image_size', '?')}² → "
                f"{getattr(self, 'patch_size', '?')}² patches → {getattr(self, 'embed_dim', '?')})")


@register_module
class PositionalEmbedding(Module):
    """``Y[n, t] = X[n, t] + P[t]``: a learned vector per position.

    Args:
        num_tokens: T, the sequence length it was built for.
        embed_dim: E.
        rng: seed or Generator; P starts as N(0, 0.02²), as in ViT and GPT-2.
        dtype: ``"float32"`` (default) or ``"float64"``.

    Shape:
        X: (N, T, E) → Y: (N, T, E).
    """

    def __init__(self, num_tokens: int, embed_dim: int, *, rng=None, dtype="float32"):
        where = f"PositionalEmbedding({num_tokens}, {embed_dim})"
        self.num_tokens = positive_int(num_tokens, "num_tokens", where)
        self.embed_dim = positive_int(embed_dim, "embed_dim", where)
        self.dtype = as_float_dtype(dtype, where)
        draw = as_generator(rng).standard_normal((self.num_tokens, self.embed_dim)) * 0.02
        self.P = Parameter(draw.astype(self.dtype))

    def forward(self, x) -> np.ndarray:
        """Y = X + P (P broadcast over the batch)."""
        x = checked_input(self, x, (None, self.num_tokens, self.embed_dim), self.dtype)
        self.cache = x.shape
        return x + self.P

    def backward(self, dout) -> np.ndarray:
        """Y = X + P  ⇒  dP += Σ_n dY[n],  dX = dY."""
        dout = checked_dout(self, dout, self.cached(), self.dtype)
        self.dP += dout.sum(axis=0)   # (T, E)
        return dout

    def get_config(self) -> dict:
        return {"num_tokens": self.num_tokens, "embed_dim": self.embed_dim, "dtype": self.dtype.name}

    def __repr__(self) -> str:
        return f"PositionalEmbedding({getattr(self, 'num_tokens', '?')}, {getattr(self, 'embed_dim', '?')})"


@register_module
class MeanOverTokens(Module):
    """``Y[n] = (1/T) Σ_t X[n, t]``: one row per sequence, for a classifier head.

    Shape:
        X: (N, T, E) → Y: (N, E).
    """

    def __init__(self, *, dtype="float32"):
        self.dtype = as_float_dtype(dtype, "MeanOverTokens")

    def forward(self, x) -> np.ndarray:
        x = checked_input(self, x, (None, None, None), self.dtype)
        self.cache = x.shape
        return x.mean(axis=1)

    def backward(self, dout) -> np.ndarray:
        """Y = (1/T) Σ_t X[:, t]  ⇒  dX[:, t] = dY / T for every t."""
        n, t, e = self.cached()
        dout = checked_dout(self, dout, (n, e), self.dtype)
        return np.broadcast_to(dout[:, None, :] / t, (n, t, e)).copy()

    def get_config(self) -> dict:
        return {"dtype": self.dtype.name}
