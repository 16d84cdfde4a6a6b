"""Seeded random splits of labelled samples into two disjoint parts (train/val, train/test)."""

from __future__ import annotations

import math

import numpy as np

from .._validate import as_generator


def split_indices(n: int, fraction: float, rng, *, where: str, name: str):
    """Sorted indices of the two parts of a random split of ``range(n)``.

    The held-out part has ``ceil(fraction · n)`` samples (at least one whenever
    ``fraction > 0``, as in scikit-learn); both parts keep the original order.

    Args:
        n: number of samples.
        fraction: share held out, in [0, 1).
        rng: int seed or numpy Generator.
        where: the public function named in error messages.
        name: the argument named in error messages.

    Returns:
        ``(kept, held_out)``: two sorted int64 index arrays partitioning ``range(n)``.

    Example:
        >>> kept, held = split_indices(10, 0.3, rng=0, where="demo", name="fraction")
        >>> len(kept), len(held)
        (7, 3)
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)):
        raise ValueError(f"{where}: {name} must be a number in [0, 1), got {fraction!r}")
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"{where}: {name} must be in [0, 1), got {fraction!r}")
    # Round first: 0.07 * 100 is 7.000000000000001 in floating point, and ceil would give 8.
    held = math.ceil(round(fraction * n, 9))
    if held >= n:
        raise ValueError(f"{where}: {name}={fraction} of {n} samples leaves none to train on")
    order = as_generator(rng).permutation(n)
    return np.sort(order[held:]), np.sort(order[:held])


def train_val_split(x, y, val_fraction: float, rng):
    """Carve a validation set out of the training set, at random but reproducibly.

    Args:
        x: (N, ...) features.
        y: (N,) labels.
        val_fraction: share of the samples for validation, in [0, 1);
            ``ceil(val_fraction · N)`` samples go to validation, 0 gives an empty one.
        rng: int seed or numpy Generator (the same seed gives the same split).

    Returns:
        ``(x_train, y_train, x_val, y_val)``: disjoint, together all N samples,
        each part in its original order; copies, not views.

    Raises:
        ValueError: ``val_fraction`` outside [0, 1), ``len(x) != len(y)``, or a
            split that leaves no training sample.

    Example:
        >>> x_tr, y_tr, x_val, y_val = train_val_split(x, y, 0.1, rng=0)
        >>> len(x_tr), len(x_val)        # for N = 60000
        (54000, 6000)
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            "train_val_split: x and y must have the same length N, "
            f"got shapes {x.shape} and {y.shape}"
        )
    train, val = split_indices(
        len(x), val_fraction, rng, where="train_val_split", name="val_fraction"
    )
    return x[train], y[train], x[val], y[val]
