"""The data of ``minidl train --task regression``: a CSV whose first column is a numeric target.

The features are normalised as for classification (fitted on the training split); the
target is standardised, ``(t − mean) / std`` with the training split's statistics, so that
a learning rate means the same whatever the target's units. The saved model undoes it
(a ``Rescale`` layer last), so it predicts in the original units.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DataError, Normalizer
from ..data.csvfile import is_number, read_csv
from ..data.split import split_indices

TEST_FRACTION = 0.2  # of a single CSV, as for classification


@dataclass
class RegressionSet:
    """Normalised features, standardised (N, 1) targets, and what it takes to undo both."""

    x_train: np.ndarray
    y_train: np.ndarray  # the standardised targets, (N, 1) float32, as the Trainer takes labels
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    normalizer: Normalizer
    target_mean: float
    target_std: float
    num_classes: int = 1  # the model's number of outputs
    class_names = None

    @property
    def input_dim(self) -> int:
        return self.x_train.shape[1]

    def __repr__(self) -> str:
        return (f"RegressionSet({self.name!r}: {len(self.x_train)} train, {len(self.x_test)} test, "
                f"{self.input_dim} features, target mean {self.target_mean:.4g} std {self.target_std:.4g}, "
                f"normalize={self.normalizer.mode!r})")


def load_regression_set(source, *, seed, normalize: str, limit_train=None, limit_test=None,
                        label_column=0) -> RegressionSet:
    """Read ``source`` (one CSV, split at random, or ``"train.csv,test.csv"``) for regression;
    ``label_column`` (an index or a header name) holds the target."""
    parts = [Path(p.strip()) for p in str(source).split(",")]
    if not all(p.suffix.lower() == ".csv" for p in parts) or len(parts) > 2:
        raise DataError(f"--task regression reads a CSV file whose first column is the target (or "
                        f"'train.csv,test.csv'), got {source!r}")
    for path in parts:
        if not path.is_file():
            raise DataError(f"{path}: no such file")
    tables = [read_csv(p, label_column=label_column) for p in parts]
    targets = [_targets(p, t) for p, t in zip(parts, tables, strict=True)]
    if len(parts) == 1:
        try:
            train, test = split_indices(len(targets[0]), TEST_FRACTION, seed, where=str(parts[0]),
                                        name="test_fraction")
        except ValueError:
            raise DataError(f"{parts[0]}: {len(targets[0])} row(s) are too few to split into train "
                            "and test") from None
        x_train, t_train = tables[0].x[train], targets[0][train]
        x_test, t_test = tables[0].x[test], targets[0][test]
    else:
        (x_train, x_test), (t_train, t_test) = (tables[0].x, tables[1].x), targets
        if x_train.shape[1] != x_test.shape[1]:
            raise DataError(f"{parts[1]}: has {x_test.shape[1]} feature columns but {parts[0]} has "
                            f"{x_train.shape[1]}")
    x_train, t_train = x_train[:limit_train], t_train[:limit_train]
    x_test, t_test = x_test[:limit_test], t_test[:limit_test]
    normalizer = Normalizer.fit(x_train, normalize)
    mean, std = float(t_train.mean()), float(t_train.std())
    std = std if std > 0 else 1.0  # a constant target: only centred
    standardise = lambda t: ((t - mean) / std).astype(np.float32)[:, None]  # noqa: E731
    return RegressionSet(normalizer(x_train), standardise(t_train), normalizer(x_test),
                         standardise(t_test), parts[0].stem, normalizer, mean, std)


def _targets(path: Path, table) -> np.ndarray:
    if table.labels.dtype.kind not in "iuf":
        row = next(i for i, v in enumerate(table.labels) if not is_number(str(v)))
        raise DataError(f"{path}, line {table.first_line + row}: target {str(table.labels[row])!r} is not "
                        "a number; a regression target (the label column) must be numeric")
    values = table.labels.astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{path}, line {table.first_line + row}: target {values[row]} is not finite")
    return values
