"""Small synthetic 2-D classification sets for lessons: spirals, moons and XOR.

Each generator is deterministic for a given ``rng`` (an int seed or a numpy
Generator), returns float32 features of shape (N, 2) and int64 labels of shape
(N,), with classes as balanced as N allows and samples in random order.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_generator, positive_int


def _balanced_labels(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """n labels, each class n // n_classes or one more times, in random order."""
    return rng.permutation(np.arange(n) % n_classes).astype(np.int64)


def _check_noise(noise: float, where: str) -> float:
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def make_spirals(n_samples: int = 1000, *, n_classes: int = 3, noise: float = 0.2, rng=0):
    """Interleaved spiral arms, one per class (the CS231n spiral set, randomly sampled).

    A sample of class k at radius r ∈ [0, 1) sits at angle 2πk/K + 4r + ε,
    ε ~ N(0, noise²), i.e. at r·(sin θ, cos θ). The arms are not linearly separable:
    a linear classifier does little better than chance, a small MLP nearly 100 %.

    Args:
        n_samples: number of points N.
        n_classes: number of arms K (>= 2).
        noise: standard deviation of the angular jitter, in radians.
        rng: int seed or numpy Generator.

    Returns:
        ``(x, y)``: float32 (N, 2) in [-1, 1]², int64 (N,) in [0, K).

    Example:
        >>> x, y = make_spirals(300, n_classes=3, rng=0)
        >>> x.shape, y.dtype, np.bincount(y).tolist()
        ((300, 2), dtype('int64'), [100, 100, 100])
    """
    n = positive_int(n_samples, "n_samples", "make_spirals")
    k = positive_int(n_classes, "n_classes", "make_spirals")
    if k < 2:
        raise ValueError(f"make_spirals: n_classes must be >= 2, got {k}")
    noise = _check_noise(noise, "make_spirals")
    gen = as_generator(rng)
    y = _balanced_labels(n, k, gen)
    radius = gen.uniform(0.0, 1.0, n)
    theta = 2 * np.pi * y / k + 4.0 * radius + gen.normal(0.0, noise, n)
    x = radius[:, None] * np.stack([np.sin(theta), np.cos(theta)], axis=1)  # (N, 2)
    return x.astype(np.float32), y


def make_moons(n_samples: int = 1000, *, noise: float = 0.1, rng=0):
    """Two interleaving half circles (scikit-learn's ``make_moons``), centred on the origin.

    Class 0 lies on (cos t, sin t), class 1 on (1 − cos t, 0.5 − sin t), t ~ U[0, π],
    then both are shifted by (−0.5, −0.25) and jittered by N(0, noise²) per coordinate.

    Args:
        n_samples: number of points N.
        noise: standard deviation of the Gaussian jitter.
        rng: int seed or numpy Generator.

    Returns:
        ``(x, y)``: float32 (N, 2), int64 (N,) in {0, 1}.

    Example:
        >>> x, y = make_moons(200, noise=0.05, rng=1)
        >>> x.shape, sorted(set(y.tolist()))
        ((200, 2), [0, 1])
    """
    n = positive_int(n_samples, "n_samples", "make_moons")
    noise = _check_noise(noise, "make_moons")
    gen = as_generator(rng)
    y = _balanced_labels(n, 2, gen)
    t = gen.uniform(0.0, np.pi, n)
    outer = np.stack([np.cos(t), np.sin(t)], axis=1)  # (N, 2)
    inner = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)  # (N, 2)
    x = np.where(y[:, None] == 0, outer, inner) - np.array([0.5, 0.25])
    x += gen.normal(0.0, noise, x.shape)
    return x.astype(np.float32), y


def make_xor(n_samples: int = 1000, *, noise: float = 0.25, rng=0):
    """Four Gaussian blobs at the corners (±1, ±1), labelled by the XOR of the corner's signs.

    Class 1 is the blobs at (1, −1) and (−1, 1), class 0 those at (1, 1) and
    (−1, −1): the classic problem no linear model solves and one hidden layer of
    two tanh units does.

    Args:
        n_samples: number of points N.
        noise: standard deviation of each blob.
        rng: int seed or numpy Generator.

    Returns:
        ``(x, y)``: float32 (N, 2), int64 (N,) in {0, 1}.

    Example:
        >>> x, y = make_xor(400, rng=0)
        >>> bool(np.mean((x[:, 0] * x[:, 1] < 0) == y) > 0.95)   # labels follow the quadrants
        True
    """
    n = positive_int(n_samples, "n_samples", "make_xor")
    noise = _check_noise(noise, "make_xor")
    gen = as_generator(rng)
    corner = _balanced_labels(n, 4, gen)  # which of the four blobs
    signs = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    x = signs[corner] + gen.normal(0.0, noise, (n, 2))
    y = (corner >= 2).astype(np.int64)  # blobs 2 and 3 have opposite signs: XOR = 1
    return x.astype(np.float32), y


SYNTHETIC = {"spirals": make_spirals, "moons": make_moons, "xor": make_xor}
