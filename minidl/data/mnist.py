"""MNIST-format directories: four IDX files holding a train/test split of labelled images.

The files may be gzip-compressed or plain, under the standard names
(``train-images-idx3-ubyte[.gz]``, ``train-labels-idx1-ubyte[.gz]``,
``t10k-images-idx3-ubyte[.gz]``, ``t10k-labels-idx1-ubyte[.gz]``) or the common
variant with a dot (``train-images.idx3-ubyte``). A ``SHA256SUMS`` file in the
directory (the format ``sha256sum`` writes) makes the reader verify the files it lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError
from .idx import read_idx

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3-D: (N, rows, cols)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1-D: (N,)
SPLITS = {"train": "train", "test": "t10k"}
SUMS_FILE = "SHA256SUMS"


@dataclass(frozen=True)
class MnistSplit:
    """One split of an MNIST-format directory, as stored.

    Attributes:
        images: uint8 array (N, rows, cols), read-only.
        labels: uint8 array (N,), read-only.
        images_path: the file the images came from.
        labels_path: the file the labels came from.
    """

    images: np.ndarray
    labels: np.ndarray
    images_path: Path
    labels_path: Path


def candidate_names(split: str, kind: str) -> list[str]:
    """File names tried, in order, for ``split`` ('train'/'test') and ``kind`` ('images'/'labels').

    Example:
        >>> candidate_names("test", "labels")[:2]
        ['t10k-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte']
    """
    stem, ndim = SPLITS[split], 3 if kind == "images" else 1
    names = []
    for base in (f"{stem}-{kind}-idx{ndim}-ubyte", f"{stem}-{kind}.idx{ndim}-ubyte"):
        names += [base + ".gz", base]
    return names


def find_file(directory: Path, split: str, kind: str) -> Path:
    """The first existing candidate file for ``split``/``kind`` in ``directory``."""
    names = candidate_names(split, kind)
    for name in names:
        if (directory / name).is_file():
            return directory / name
    raise DataError(f"{directory}: no {split} {kind} file; looked for {', '.join(names)}")


def read_sha256sums(directory: Path) -> dict[str, str]:
    """The ``{file name: hex digest}`` table of ``directory/SHA256SUMS``, or {} if absent."""
    sums = directory / SUMS_FILE
    if not sums.is_file():
        return {}
    table = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")  # '*' marks binary mode in sha256sum's output
        if len(digest) != 64 or not name:
            raise DataError(f"{sums}, line {number}: expected '<64 hex digits>  <file name>'")
        table[name] = digest.lower()
    return table


def read_split(directory: Path, split: str, sha256: dict[str, str]) -> MnistSplit:
    """Read and cross-check the images and labels of one split.

    Args:
        directory: the MNIST-format directory.
        split: 'train' or 't10k' data, named 'train' or 'test'.
        sha256: expected digests by file name; files not in it are not verified.

    Returns:
        The split's images and labels with the paths they came from.
    """
    images_path = find_file(directory, split, "images")
    labels_path = find_file(directory, split, "labels")
    images = read_idx(images_path, magic=IMAGES_MAGIC, sha256=sha256.get(images_path.name))
    labels = read_idx(labels_path, magic=LABELS_MAGIC, sha256=sha256.get(labels_path.name))
    if len(images) != len(labels):
        raise DataError(
            f"{directory}: {images_path.name} holds {len(images)} images "
            f"but {labels_path.name} holds {len(labels)} labels"
        )
    if len(images) == 0:
        raise DataError(f"{images_path}: holds no images")
    return MnistSplit(images, labels, images_path, labels_path)


def read_mnist_dir(directory, *, sha256: dict[str, str] | None = None) -> dict[str, MnistSplit]:
    """Read the train and test splits of an MNIST-format directory.

    Args:
        directory: a directory with the four IDX files (gzip or plain).
        sha256: expected digests by file name. None uses the directory's
            ``SHA256SUMS`` file if it has one (and verifies nothing otherwise).

    Returns:
        ``{"train": MnistSplit, "test": MnistSplit}``.

    Raises:
        DataError: a missing file, any error of :func:`read_idx`, images/labels
            count mismatch, or train and test images of different sizes.

    Example:
        >>> splits = read_mnist_dir("data/fashion-mnist")
        >>> splits["train"].images.shape
        (60000, 28, 28)
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory")
    expected = read_sha256sums(directory) if sha256 is None else sha256
    splits = {split: read_split(directory, split, expected) for split in SPLITS}
    train, test = splits["train"], splits["test"]
    if train.images.shape[1:] != test.images.shape[1:]:
        raise DataError(
            f"{directory}: train images are {train.images.shape[1:]} "
            f"but test images are {test.images.shape[1:]}"
        )
    return splits
