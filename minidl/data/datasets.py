"""The front door: :func:`load_dataset` turns a name or a path into a :class:`Dataset`.

Sources (read by :mod:`minidl.data.sources`): the Fashion-MNIST copy shipped in the
repository's ``data/fashion-mnist`` (SHA-256 verified), any MNIST-format directory,
an ``.npz`` or ``.csv`` file (or a ``train.csv,test.csv`` pair), and the synthetic
sets ``spirals``, ``moons`` and ``xor``. This module adds what every source shares:
label checks, ``limit_*``, flattening and normalisation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._validate import positive_int
from .checks import check_class_ids, check_features
from .errors import DataError
from .sources import RawSplits, read_source
from .transforms import MODES, Normalizer


@dataclass(eq=False, repr=False)
class Dataset:
    """A labelled train/test split, ready for training.

    Attributes:
        x_train: float32 (N, D) features.
        y_train: int64 (N,) class ids in [0, num_classes).
        x_test: float32 (M, D).
        y_test: int64 (M,).
        class_names: one name per class.
        name: e.g. ``"fashion-mnist"`` or a file's stem.
        image_shape: (rows, cols) for image data (each row of x is one flattened image), else None.
        normalizer: the :class:`Normalizer` applied to both splits, fitted on the
            training split; apply it to new raw data for the same model.

    Example:
        >>> ds = load_dataset("spirals", seed=0)
        >>> ds.input_dim, ds.num_classes, ds.x_train.dtype
        (2, 3, dtype('float32'))
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    name: str
    image_shape: tuple[int, ...] | None = None
    normalizer: Normalizer | None = field(default=None)

    def __post_init__(self):
        self.class_names = [str(c) for c in self.class_names]
        if not self.class_names:
            raise DataError(f"{self.name}: class_names is empty")
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not (isinstance(x, np.ndarray) and x.ndim == 2 and x.dtype.kind == "f"):
                raise DataError(
                    f"{self.name}: x_{split} must be a float (N, D) array, got {_describe(x)}"
                )
            if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype == np.int64):
                raise DataError(
                    f"{self.name}: y_{split} must be an int64 (N,) array, got {_describe(y)}"
                )
            if len(x) != len(y) or len(x) == 0:
                raise DataError(
                    f"{self.name}: {len(x)} {split} samples but {len(y)} labels "
                    "(need N > 0 of each)"
                )
            check_labels(y, self.num_classes, lambda i, s=split: f"{self.name}: y_{s}[{i}]")
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise DataError(
                f"{self.name}: x_train has {self.x_train.shape[1]} features "
                f"but x_test {self.x_test.shape[1]}"
            )

    @property
    def num_classes(self) -> int:
        """C, the number of classes (``len(class_names)``)."""
        return len(self.class_names)

    @property
    def input_dim(self) -> int:
        """D, the number of features per sample."""
        return self.x_train.shape[1]

    def __repr__(self) -> str:
        mode = self.normalizer.mode if self.normalizer else "none"
        return (
            f"Dataset({self.name!r}: {len(self.x_train)} train, {len(self.x_test)} test, "
            f"{self.input_dim} features, {self.num_classes} classes, normalize={mode!r})"
        )


def _describe(a) -> str:
    return f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__


def check_labels(y: np.ndarray, num_classes: int, locate: Callable[[int], str]) -> None:
    """Raise DataError at the first label outside [0, num_classes), located by ``locate(index)``."""
    bad = np.flatnonzero((y < 0) | (y >= num_classes))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{locate(i)}: label {int(y[i])} out of range for {num_classes} classes "
            f"(class ids are 0..{num_classes - 1})"
        )


def load_dataset(
    source="fashion-mnist",
    *,
    seed=0,
    normalize: str = "scale",
    normalizer: Normalizer | None = None,
    limit_train: int | None = None,
    limit_test: int | None = None,
    test_fraction: float = 0.2,
    num_classes: int | None = None,
    label_column: int | str = 0,
) -> Dataset:
    """Load a data set by name or path, normalised and ready for training.

    Args:
        source: ``"fashion-mnist"`` (the copy shipped in ``data/``, SHA-256 verified),
            ``"spirals"``, ``"moons"``, ``"xor"``, or a path: a directory with the four
            MNIST-format IDX files (gzip or plain), an ``.npz`` file (``x_train,
            y_train, x_test, y_test``, optional ``class_names``), a ``.csv`` file
            (label column first, then features, optional header row), or two CSV
            files as ``"train.csv,test.csv"`` or a (train, test) pair.
        seed: int seed or Generator for the synthetic sets and the split of a single CSV.
        normalize: ``"scale"`` (into [0, 1]: bytes / 255, else per-feature min-max),
            ``"standardize"`` or ``"none"``; statistics come from the training split
            (after ``limit_train``). See :class:`Normalizer`.
        normalizer: a fitted Normalizer to apply instead of fitting one (e.g. the one
            a model was trained with); ``normalize`` is then ignored.
        limit_train: keep only the first n training samples (None: all).
        limit_test: keep only the first n test samples (None: all).
        test_fraction: share of a single CSV held out as test set, in (0, 1).
        num_classes: the number of classes labels must fall in; None infers it
            (class names of the source, else the largest label + 1).
        label_column: which column of a CSV file holds the labels: an index (``-1``: the
            last) or the header's name for it (default: the first column).

    Returns:
        A :class:`Dataset` with float32 (N, D) features and int64 labels.

    Raises:
        DataError: an unknown name, a missing, unreadable or inconsistent file, or
            labels outside [0, num_classes); the message names the file.
        ValueError: a bad argument (normalize, limits, test_fraction).

    Example:
        >>> ds = load_dataset("fashion-mnist", limit_train=2000)
        >>> ds.x_train.shape, ds.x_train.dtype, ds.class_names[0]
        ((2000, 784), dtype('float32'), 'T-shirt/top')
    """
    if normalize not in MODES:
        raise ValueError(
            f"load_dataset: normalize must be one of {', '.join(MODES)}, got {normalize!r}"
        )
    limits = [
        None if n is None else positive_int(n, name, "load_dataset")
        for n, name in ((limit_train, "limit_train"), (limit_test, "limit_test"))
    ]
    if num_classes is not None:
        num_classes = positive_int(num_classes, "num_classes", "load_dataset")
    if isinstance(test_fraction, bool) or not 0.0 < test_fraction < 1.0:
        raise ValueError(f"load_dataset: test_fraction must be in (0, 1), got {test_fraction!r}")

    raw = read_source(source, seed, test_fraction, label_column)
    check_features(raw.x_train, f"{raw.name}: training features")
    check_features(raw.x_test, f"{raw.name}: test features")
    if raw.class_names is None:
        check_class_ids(raw.y_train, raw.y_test, raw.name, raw.locate_train, raw.locate_test)
    elif len(np.unique(raw.y_train)) < 2:
        raise DataError(f"{raw.name}: the training data holds a single class; a classifier needs two or more")
    class_names = _class_names(raw, num_classes)
    check_labels(raw.y_train, len(class_names), raw.locate_train)
    check_labels(raw.y_test, len(class_names), raw.locate_test)

    x_train, y_train = raw.x_train[: limits[0]], raw.y_train[: limits[0]]
    x_test, y_test = raw.x_test[: limits[1]], raw.y_test[: limits[1]]
    image_shape = tuple(x_train.shape[1:]) if x_train.ndim >= 3 else None
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    if normalizer is None:
        normalizer = Normalizer.fit(x_train, normalize)
    return Dataset(
        normalizer(x_train),
        y_train.astype(np.int64),
        normalizer(x_test),
        y_test.astype(np.int64),
        class_names,
        raw.name,
        image_shape,
        normalizer,
    )


def _class_names(raw: RawSplits, num_classes: int | None) -> list[str]:
    if raw.class_names is not None:
        if num_classes is not None and num_classes != len(raw.class_names):
            raise DataError(
                f"{raw.name}: has {len(raw.class_names)} classes ({', '.join(raw.class_names)}), "
                f"but num_classes={num_classes} was requested"
            )
        return raw.class_names
    if num_classes is None:
        num_classes = int(max(raw.y_train.max(), raw.y_test.max())) + 1
    return [str(k) for k in range(num_classes)]
