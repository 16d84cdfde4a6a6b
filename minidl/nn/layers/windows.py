"""Sliding windows over the two spatial axes of (N, C, H, W) images, and their adjoint.

``windows`` gives a read-only view (no copy) of every kh×kw window a stride-s walk
visits; ``add_windows`` is its transpose, adding each window's gradient back onto the
pixels it was read from (overlapping windows add up). Conv2d and the pooling layers
share them (docs/derivations/convolution.md §3–5).
"""

from __future__ import annotations

import numpy as np


def output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """H' = (H + 2p − K) // s + 1 windows fit along an axis (0 or less: none fit)."""
    return (size + 2 * padding - kernel) // stride + 1


def check_image(module, x: np.ndarray, channels: int | None, kernel: tuple, stride: int,
                padding: int = 0) -> None:
    """Raise a ValueError naming ``module`` unless x is (N, channels, H, W) and a window fits."""
    c = "C" if channels is None else channels
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        raise ValueError(f"{module!r}.forward: expected input (N, {c}, H, W), got {x.shape}")
    h, w = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
    if h < kernel[0] or w < kernel[1]:
        raise ValueError(f"{module!r}.forward: a {kernel[0]}×{kernel[1]} window does not fit the "
                         f"input's {x.shape[2]}×{x.shape[3]} pixels (padded: {h}×{w})")


def windows(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """V[n, c, i, j, k, l] = x[n, c, s·i + k, s·j + l]: (N, C, H', W', kh, kw), a view."""
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def add_windows(dv: np.ndarray, shape: tuple, stride: int) -> np.ndarray:
    """The adjoint of ``windows``: dx[n, c, s·i + k, s·j + l] += dv[n, c, i, j, k, l].

    One strided slab per kernel offset (k, l): kh·kw vectorised additions.
    """
    dx = np.zeros(shape, dtype=dv.dtype)  # (N, C, H, W)
    _, _, ho, wo, kh, kw = dv.shape
    for k in range(kh):
        for l in range(kw):  # noqa: E741  (l is the kernel column, as in the derivation)
            dx[:, :, k:k + stride * ho:stride, l:l + stride * wo:stride] += dv[:, :, :, :, k, l]
    return dx


def pair(value, name: str, where: str) -> tuple[int, int]:
    """An int or a pair of ints as (rows, columns), each ≥ 1."""
    pairs = value if isinstance(value, tuple | list) else (value, value)
    if len(pairs) != 2 or not all(isinstance(v, int | np.integer) and not isinstance(v, bool)
                                  and v >= 1 for v in pairs):
        raise ValueError(f"{where}: {name} must be a positive int or a pair of them, got {value!r}")
    return int(pairs[0]), int(pairs[1])
