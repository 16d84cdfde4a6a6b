"""Sliding windows over the two spatial axes of (N, C, H, W) images, and their adjoint.

``windows`` gives a read-only view (no copy) of every kh×kw window a stride-s walk
visits, its taps d pixels apart for a dilation d (d = 1: adjacent); ``add_windows`` is
its transpose, adding each window's gradient back onto the pixels it was read from
(overlapping windows add up). Conv2d and the pooling layers share them
(docs/derivations/convolution.md §3–5, §8).
"""

from __future__ import annotations

import numpy as np


def span(kernel: int, dilation: int = 1) -> int:
    """The pixels a K-tap window with its taps d apart covers: d·(K − 1) + 1."""
    return dilation * (kernel - 1) + 1


def output_size(size: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1) -> int:
    """H' = (H + 2p − d·(K − 1) − 1) // s + 1 windows fit along an axis (0 or less: none fit)."""
    return (size + 2 * padding - span(kernel, dilation)) // stride + 1


def check_image(module, x: np.ndarray, channels: int | None, kernel: tuple, stride: int,
                padding: int = 0, dilation: int = 1) -> None:
    """Raise a ValueError naming ``module`` unless x is (N, channels, H, W) and a window fits."""
    c = "C" if channels is None else channels
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        raise ValueError(f"{module!r}.forward: expected input (N, {c}, H, W), got {x.shape}")
    h, w = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
    kh, kw = span(kernel[0], dilation), span(kernel[1], dilation)
    if h < kh or w < kw:
        spread = f" dilated by {dilation} (spanning {kh}×{kw} pixels)" if dilation != 1 else ""
        raise ValueError(f"{module!r}.forward: a {kernel[0]}×{kernel[1]} window{spread} does not fit "
                         f"the input's {x.shape[2]}×{x.shape[3]} pixels (padded: {h}×{w})")


def windows(x: np.ndarray, kh: int, kw: int, stride: int, dilation: int = 1) -> np.ndarray:
    """V[n, c, i, j, k, l] = x[n, c, s·i + d·k, s·j + d·l]: (N, C, H', W', kh, kw), a view."""
    d = dilation
    view = np.lib.stride_tricks.sliding_window_view(x, (span(kh, d), span(kw, d)), axis=(2, 3))
    return view[:, :, ::stride, ::stride, ::d, ::d]  # every s-th window, every d-th tap in it


def add_windows(dv: np.ndarray, shape: tuple, stride: int, dilation: int = 1) -> np.ndarray:
    """The adjoint of ``windows``: dx[n, c, s·i + d·k, s·j + d·l] += dv[n, c, i, j, k, l].

    One strided slab per kernel offset (k, l): kh·kw vectorised additions.
    """
    dx = np.zeros(shape, dtype=dv.dtype)  # (N, C, H, W)
    _, _, ho, wo, kh, kw = dv.shape
    s, d = stride, dilation
    for k in range(kh):
        for l in range(kw):  # noqa: E741  (l is the kernel column, as in the derivation)
            dx[:, :, d * k:d * k + s * ho:s, d * l:d * l + s * wo:s] += dv[:, :, :, :, k, l]
    return dx


def pair(value, name: str, where: str) -> tuple[int, int]:
    """An int or a pair of ints as (rows, columns), each ≥ 1."""
    pairs = value if isinstance(value, tuple | list) else (value, value)
    if len(pairs) != 2 or not all(isinstance(v, int | np.integer) and not isinstance(v, bool)
                                  and v >= 1 for v in pairs):
        raise ValueError(f"{where}: {name} must be a positive int or a pair of them, got {value!r}")
    return int(pairs[0]), int(pairs[1])
