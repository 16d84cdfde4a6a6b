"""Where data comes from: data-set names, the shipped Fashion-MNIST, and one reader per source.

Each reader returns both splits as stored (:class:`RawSplits`: unscaled features,
int64 labels) plus a way to name any sample's origin (file and line, or file and
sample index) for error messages; :func:`minidl.data.load_dataset` does the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validate import as_generator
from .csvfile import csv_label_ids, read_csv
from .errors import DataError
from .mnist import read_mnist_dir
from .npz import read_npz
from .split import split_indices
from .synthetic import SYNTHETIC

# Where the repository keeps Fashion-MNIST: <repo>/data/fashion-mnist, next to the package.
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data" / "fashion-mnist"
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
# SHA-256 of the shipped files as stored (gzip), from Debian's dataset-fashion-mnist
# 0.0~git20200523.55506a9-1; see data/README.md.
KNOWN_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
SYNTHETIC_SIZES = (1000, 500)  # train, test: small enough for a small MLP to fit in a second
NAMES = ("fashion-mnist", *SYNTHETIC)


@dataclass
class RawSplits:
    """Both splits as read, before limits and normalisation.

    ``locate_train(i)`` / ``locate_test(i)`` say where sample i came from, e.g.
    ``"iris.csv, line 17"``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    class_names: list[str] | None
    locate_train: Callable[[int], str]
    locate_test: Callable[[int], str]


def read_source(source, seed, test_fraction: float, label_column: int | str = 0) -> RawSplits:
    """Read ``source`` (a name, a path or a pair of CSV paths); see :func:`load_dataset`.

    Args:
        source: as for :func:`minidl.data.load_dataset`.
        seed: int seed or Generator, for synthetic sets and the split of a single CSV.
        test_fraction: share of a single CSV held out as test set.
        label_column: the label column of CSV files (see :func:`minidl.data.csvfile.read_csv`).

    Returns:
        The :class:`RawSplits` of the source.
    """
    if isinstance(source, str) and source in SYNTHETIC:
        return _synthetic(source, seed)
    if isinstance(source, str) and source == "fashion-mnist":
        if not SHIPPED_DIR.is_dir():
            raise DataError(
                f"fashion-mnist: the copy shipped with minidl is not at {SHIPPED_DIR} (minidl is "
                "installed without its repository's data/ folder); pass --data PATH (in Python: "
                "load_dataset(PATH)) with PATH a directory holding the four Fashion-MNIST IDX files"
            )
        return _idx_dir(SHIPPED_DIR)
    if isinstance(source, (tuple, list)) and len(source) == 2:
        return _csv_pair(Path(source[0]), Path(source[1]), label_column)
    path = Path(source)
    if path.is_dir():
        return _idx_dir(path)
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".npz":
            return _npz(path)
        if suffix == ".csv":
            return _csv_single(path, seed, test_fraction, label_column)
        raise DataError(
            f"{path}: unsupported file type {suffix or '(no suffix)'!r}; expected a directory of "
            "MNIST-format IDX files, an .npz or a .csv file"
        )
    if isinstance(source, str) and "," in source:
        train, test = (Path(part.strip()) for part in source.split(",", 1))
        return _csv_pair(train, test, label_column)
    if isinstance(source, str) and os.sep not in source and "/" not in source and not path.suffix:
        raise DataError(
            f"unknown data set {source!r}; choose one of {', '.join(NAMES)}, or give a path to an "
            "MNIST-format directory, an .npz or a .csv file"
        )
    raise DataError(f"{path}: no such file or directory")


def _synthetic(name: str, seed) -> RawSplits:
    make, gen = SYNTHETIC[name], as_generator(seed)
    x_train, y_train = make(SYNTHETIC_SIZES[0], rng=gen)
    x_test, y_test = make(SYNTHETIC_SIZES[1], rng=gen)
    return RawSplits(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        name=name,
        class_names=None,
        locate_train=lambda i: f"{name}: train sample {i}",
        locate_test=lambda i: f"{name}: test sample {i}",
    )


def _idx_dir(directory: Path) -> RawSplits:
    shipped = directory.resolve() == SHIPPED_DIR
    splits = read_mnist_dir(directory, sha256=KNOWN_SHA256 if shipped else None)
    train, test = splits["train"], splits["test"]
    return RawSplits(
        x_train=train.images,
        y_train=train.labels.astype(np.int64),
        x_test=test.images,
        y_test=test.labels.astype(np.int64),
        name="fashion-mnist" if shipped else directory.resolve().name,
        class_names=FASHION_MNIST_CLASSES if shipped else None,
        locate_train=lambda i: f"{train.labels_path} (sample {i})",
        locate_test=lambda i: f"{test.labels_path} (sample {i})",
    )


def _npz(path: Path) -> RawSplits:
    arrays = read_npz(path)
    return RawSplits(
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
        name=path.stem,
        class_names=arrays["class_names"],
        locate_train=lambda i: f"{path}: y_train[{i}]",
        locate_test=lambda i: f"{path}: y_test[{i}]",
    )


def _csv_single(path: Path, seed, test_fraction: float, label_column=0) -> RawSplits:
    table = read_csv(path, label_column)
    (labels,), names = csv_label_ids([(path, table)])
    try:
        train, test = split_indices(
            len(labels), test_fraction, seed, where=str(path), name="test_fraction"
        )
    except ValueError:
        raise DataError(
            f"{path}: {len(labels)} row(s) are too few to split into train and test "
            f"(test_fraction={test_fraction})"
        ) from None
    line = table.first_line
    return RawSplits(
        x_train=table.x[train],
        y_train=labels[train],
        x_test=table.x[test],
        y_test=labels[test],
        name=path.stem,
        class_names=names,
        locate_train=lambda i: f"{path}, line {line + train[i]}",
        locate_test=lambda i: f"{path}, line {line + test[i]}",
    )


def _csv_pair(train_path: Path, test_path: Path, label_column=0) -> RawSplits:
    train, test = read_csv(train_path, label_column), read_csv(test_path, label_column)
    if train.x.shape[1] != test.x.shape[1]:
        raise DataError(
            f"{test_path}: has {test.x.shape[1]} feature columns "
            f"but {train_path} has {train.x.shape[1]}"
        )
    (y_train, y_test), names = csv_label_ids([(train_path, train), (test_path, test)])
    return RawSplits(
        x_train=train.x,
        y_train=y_train,
        x_test=test.x,
        y_test=y_test,
        name=train_path.stem,
        class_names=names,
        locate_train=lambda i: f"{train_path}, line {train.first_line + i}",
        locate_test=lambda i: f"{test_path}, line {test.first_line + i}",
    )
