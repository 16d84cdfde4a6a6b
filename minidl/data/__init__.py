"""minidl.data: data sets, their file formats, normalisation and the batch iterator.

Public names::

    load_dataset, Dataset, DataError       # the front door (datasets.py, errors.py)
    DataLoader, train_val_split            # batches and splits (loader.py, split.py)
    Normalizer                             # fitted feature scaling (transforms.py)
    read_idx, read_mnist_dir               # MNIST-format files (idx.py, mnist.py)
    read_npz, read_csv                     # tabular files (npz.py, csvfile.py)
    make_spirals, make_moons, make_xor     # synthetic lesson sets (synthetic.py)
    FASHION_MNIST_CLASSES, KNOWN_SHA256    # the shipped Fashion-MNIST (sources.py)
    load_words, read_words, CharVocab, WordSplit   # the shipped word list as ids (text.py)

Example:
    >>> from minidl.data import load_dataset, DataLoader
    >>> ds = load_dataset("fashion-mnist")
    >>> for xb, yb in DataLoader(ds.x_train, ds.y_train, batch_size=128, rng=0):
    ...     pass
"""

from .csvfile import read_csv
from .datasets import Dataset, load_dataset
from .errors import DataError
from .idx import read_idx
from .loader import DataLoader
from .mnist import read_mnist_dir
from .npz import read_npz
from .sources import FASHION_MNIST_CLASSES, KNOWN_SHA256
from .split import train_val_split
from .synthetic import make_moons, make_spirals, make_xor
from .text import CharVocab, WordSplit, load_words, read_words
from .transforms import Normalizer

__all__ = [
    "load_dataset",
    "Dataset",
    "DataError",
    "DataLoader",
    "train_val_split",
    "Normalizer",
    "read_idx",
    "read_mnist_dir",
    "read_npz",
    "read_csv",
    "make_spirals",
    "make_moons",
    "make_xor",
    "FASHION_MNIST_CLASSES",
    "KNOWN_SHA256",
    "load_words",
    "read_words",
    "CharVocab",
    "WordSplit",
]
