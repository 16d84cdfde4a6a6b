"""Checks every data source passes before a model is sized from it.

Whatever the format (CSV, IDX, NPZ), the raw splits must hold features a float32
model can use — at least one value per sample, finite, within float32's range (a
value ≥ 3.4e38 becomes inf in float32 and training then "diverges" at step 1, which
blames the wrong thing) — and labels that make a classification problem: at least
two classes, and class ids that are not far above the number of distinct labels
(a stray id 300000 would size a 300,001-class model and then a 671 GiB allocation).
"""

from __future__ import annotations

import numpy as np

from .errors import DataError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_features(x: np.ndarray, where: str) -> None:
    """Numeric, at least one feature per sample, finite, representable in float32."""
    if x.dtype.kind not in "biuf":
        raise DataError(f"{where}: features must be numbers, got dtype {x.dtype}")
    if x.ndim < 2 or any(n == 0 for n in x.shape[1:]):
        raise DataError(f"{where}: features of shape {x.shape} hold no value per sample "
                        "(expected (N, D) rows or (N, C, H, W) images with every axis > 0)")
    if x.dtype.kind == "f" and x.size:
        finite = np.isfinite(x)
        if not finite.all():
            index = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise DataError(f"{where}: value {x[index]} at index {index} is not finite; "
                            "features must be finite numbers")
        big = np.abs(x) > FLOAT32_MAX
        if big.any():
            index = tuple(int(i) for i in np.argwhere(big)[0])
            raise DataError(f"{where}: value {x[index]:.4g} at index {index} overflows float32 "
                            f"(largest {FLOAT32_MAX:.3g}), the dtype training runs in; rescale that column")


def check_class_ids(y_train: np.ndarray, y_test: np.ndarray, name: str, locate_train,
                    locate_test) -> None:
    """At least two classes in training, and ids not far above the number of distinct labels."""
    labels = np.concatenate([y_train.reshape(-1), y_test.reshape(-1)]).astype(np.int64)
    if not labels.size:
        return
    distinct = np.unique(labels)
    if len(np.unique(y_train)) < 2:
        raise DataError(f"{name}: the training data holds a single class ({int(distinct[0])}); "
                        "a classifier needs at least two")
    largest = int(distinct[-1])
    if largest + 1 > max(2 * len(distinct), 16):
        in_train = (y_train == largest).any()
        where, locate = (y_train, locate_train) if in_train else (y_test, locate_test)
        at = f" ({locate(int(np.flatnonzero(where == largest)[0]))})"
        raise DataError(
            f"{name}: class id {largest}{at} is far above the {len(distinct)} distinct labels "
            f"({', '.join(map(str, distinct[:8]))}{' …' if len(distinct) > 8 else ''}); class ids "
            f"number the classes 0..K-1 — renumber them, or write them as text (e.g. 'c{largest}') "
            "to have them mapped to ids and kept as class names")
