"""``.npz`` data sets: ready-made train/test splits as named numpy arrays.

The reader returns the arrays as stored (features unscaled, labels as int64 class
ids) and leaves normalisation to :func:`minidl.data.load_dataset`. Loading never
unpickles: ``np.load(..., allow_pickle=False)``, and object arrays are refused.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .errors import DataError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path) -> dict:
    """Read an ``.npz`` data set: ``x_train, y_train, x_test, y_test`` (+ optional ``class_names``).

    Args:
        path: the archive, e.g. written by ``np.savez(path, x_train=..., ...)``.

    Returns:
        ``{"x_train": (N, ...) array, "y_train": (N,) int64, "x_test": ...,
        "y_test": ..., "class_names": list[str] or None}``; x arrays keep their dtype.

    Raises:
        DataError: not an npz archive, missing keys (named), object arrays (never
            unpickled), non-numeric or non-finite features, labels that are not
            integer class ids, or mismatched lengths.

    Example:
        >>> np.savez("d.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
        >>> read_npz("d.npz")["x_train"].shape
        (1000, 2)
    """
    path = Path(path)
    try:
        # Opened here, not by np.load: numpy leaks its own handle when the zip is corrupt.
        with open(path, "rb") as handle:
            arrays = _read_archive(handle, path)
    except OSError as err:
        raise DataError(f"{path}: cannot read: {err.strerror or err}") from None
    out = {}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        out[f"x_{split}"] = _npz_features(x, f"{path}: x_{split}")
        out[f"y_{split}"] = _npz_labels(y, f"{path}: y_{split}")
        if len(x) != len(y):
            raise DataError(
                f"{path}: x_{split} has {len(x)} samples but y_{split} has {len(y)} labels"
            )
    if out["x_train"].shape[1:] != out["x_test"].shape[1:]:
        raise DataError(
            f"{path}: x_train samples have shape {out['x_train'].shape[1:]} "
            f"but x_test samples have shape {out['x_test'].shape[1:]}"
        )
    names = arrays.get("class_names")
    if names is not None and (names.ndim != 1 or names.dtype.kind not in "US"):
        raise DataError(
            f"{path}: class_names must be a 1-D array of strings, got {names.dtype} {names.shape}"
        )
    out["class_names"] = None if names is None else [str(n) for n in names.astype(str)]
    return out


def _read_archive(handle, path: Path) -> dict[str, np.ndarray]:
    """The data-set arrays of the open archive ``handle``, checked for presence and pickles."""
    try:
        archive = np.load(handle, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(f"{path}: not a readable .npz archive ({err})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(
            f"{path}: holds a single array (.npy), not an .npz archive with {', '.join(NPZ_KEYS)}"
        )
    with archive:
        missing = [key for key in NPZ_KEYS if key not in archive.files]
        if missing:
            raise DataError(
                f"{path}: missing key(s) {', '.join(missing)}; an .npz data set needs "
                f"{', '.join(NPZ_KEYS)} (found: {', '.join(archive.files) or 'none'})"
            )
        wanted = NPZ_KEYS + (("class_names",) if "class_names" in archive.files else ())
        return {key: _npz_array(archive, key, path) for key in wanted}


def _npz_array(archive, key: str, path: Path) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as err:
        if "pickle" not in str(err):  # e.g. a member shorter than its header declares
            raise DataError(f"{path}: '{key}' is corrupted or truncated: its data does not fill "
                            f"the shape its header declares ({err})") from None
        # allow_pickle=False turns an object array into a ValueError instead of running pickle.
        raise DataError(
            f"{path}: '{key}' is an object array; refusing to unpickle it "
            f"(loading never runs code) — store plain numeric arrays ({err})"
        ) from None
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(f"{path}: '{key}' is corrupted or truncated ({err})") from None


def _npz_features(x: np.ndarray, where: str) -> np.ndarray:
    if x.dtype.kind not in "biuf":
        raise DataError(f"{where}: features must be numbers, got dtype {x.dtype}")
    if x.ndim < 2 or len(x) == 0:
        raise DataError(
            f"{where}: expected a non-empty array of shape (N, features...), got {x.shape}"
        )
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise DataError(f"{where}: non-finite value {x[index]} at index {index}")
    return x


def _npz_labels(y: np.ndarray, where: str) -> np.ndarray:
    if y.ndim != 1:
        raise DataError(f"{where}: labels must be a 1-D array of class ids, got shape {y.shape}")
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y) | (y != np.round(y)))
        if bad.size:
            raise DataError(
                f"{where}: label {y[bad[0]]} at index {bad[0]} is not an integer class id"
            )
    elif y.dtype.kind not in "biu":
        raise DataError(f"{where}: labels must be integer class ids, got dtype {y.dtype}")
    return y.astype(np.int64)
