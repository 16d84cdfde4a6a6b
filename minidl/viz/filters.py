"""A picture of a convolution's learned filters (needs matplotlib, the ``plot`` extra).

``minidl train`` writes ``filters.png`` for a model with a Conv2d: the first such layer's
kernels W (F, C, KH, KW), one tile per filter. A one-channel filter is drawn on a
diverging colour map with one scale for all tiles (0 is white, so the sign of a weight
and the filters' relative strengths can be read); a three-channel filter as an RGB image
(each filter stretched to [0, 1] on its own); any other C as a row of C tiles per filter.
"""

from __future__ import annotations

import math

import numpy as np

from ..nn.layers import Conv2d
from .plots import _pyplot, _save


def first_conv(model) -> Conv2d | None:
    """The first Conv2d the model runs (in ``named_modules`` order), or None."""
    return next((m for _, m in model.named_modules() if isinstance(m, Conv2d)), None)


def plot_filters(layer: Conv2d, path, *, title: str | None = None) -> None:
    """Draw ``layer.W`` (F, C, KH, KW) as a grid of tiles into ``path``, atomically."""
    plt = _pyplot()
    w = np.asarray(layer.W, dtype=np.float64)
    f, c = w.shape[:2]
    rgb = c == 3
    per_filter = 1 if c in (1, 3) else c  # tiles one filter takes
    columns = max(1, min(8, 16 // per_filter)) * per_filter
    rows = math.ceil(f * per_filter / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.9, rows * 0.9 + 0.5),
                             squeeze=False)
    scale = float(np.abs(w).max()) or 1.0  # one colour scale for every grey tile
    tiles = _tiles(w, rgb)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (label, tile) in zip(axes.flat, tiles, strict=False):
        if rgb:
            ax.imshow(tile, interpolation="nearest")
        else:
            ax.imshow(tile, cmap="RdBu_r", vmin=-scale, vmax=scale, interpolation="nearest")
        ax.set_title(label, fontsize=6)
    fig.suptitle(title or f"{layer!r}: learned filters" + ("" if rgb else f" (|w| ≤ {scale:.3g})"),
                 fontsize=9)
    _save(fig, path)
    plt.close(fig)


def _tiles(w: np.ndarray, rgb: bool) -> list[tuple[str, np.ndarray]]:
    """(label, image) per tile: filter f as KH×KW×3 in [0, 1], or one KH×KW tile per channel."""
    if rgb:
        tiles = []
        for f, kernel in enumerate(w):
            image = kernel.transpose(1, 2, 0)  # (KH, KW, 3)
            low, high = image.min(), image.max()
            tiles.append((f"{f}", (image - low) / ((high - low) or 1.0)))
        return tiles
    c = w.shape[1]
    return [(f"{f}" if c == 1 else f"{f}.{ch}", w[f, ch]) for f in range(w.shape[0]) for ch in range(c)]
