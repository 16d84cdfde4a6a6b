"""Atomic, pickle-free ``.npz`` files: JSON metadata plus named numeric arrays.

The one file format of minidl (models, training checkpoints). Writing is atomic
(``minidl.io.atomic``): a crash mid-write leaves either the old file or the new one,
never half of one. Reading uses ``allow_pickle=False`` (loading
never runs code) and checks every array against the SHA-256 recorded in the
metadata, so a truncated or byte-flipped file is refused as a whole.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from .atomic import atomic_write

META_KEY = "__minidl_meta__"
FORMAT_NAME = "minidl"
FORMAT_VERSION = 1


class FileFormatError(ValueError):
    """A file that is not a readable minidl file: truncated, corrupted, foreign or mismatched."""


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def write_npz(path, meta: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``meta`` (JSON-serialisable) and ``arrays`` to ``path`` atomically."""
    path = Path(path)
    for name, array in arrays.items():
        if name == META_KEY or np.asarray(array).dtype.hasobject:
            raise ValueError(f"write_npz: cannot store array {name!r} (reserved name or object dtype)")
    record = dict(meta, format=FORMAT_NAME, format_version=FORMAT_VERSION,
                  arrays={name: {"shape": list(np.shape(a)), "dtype": np.asarray(a).dtype.str,
                                 "sha256": _digest(np.asarray(a))}
                          for name, a in arrays.items()})
    payload = np.frombuffer(json.dumps(record).encode("utf-8"), dtype=np.uint8)
    return atomic_write(path, lambda f: np.savez(f, **{META_KEY: payload}, **arrays))


def read_npz(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify a file written by ``write_npz``; raise ``FileFormatError`` otherwise.

    Returns ``(meta, arrays)``; every array has been checked against the shape,
    dtype and SHA-256 recorded in ``meta["arrays"]``.
    """
    path = Path(path)

    def fail(reason: str) -> FileFormatError:
        return FileFormatError(f"cannot load {str(path)!r}: {reason}")

    if not path.is_file():
        raise fail("no such file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if META_KEY not in npz.files:
                raise fail("not a minidl file (no metadata record)")
            meta = json.loads(npz[META_KEY].tobytes().decode("utf-8"))
            arrays = {name: npz[name] for name in npz.files if name != META_KEY}
    except FileFormatError:
        raise
    except Exception as err:  # noqa: BLE001 — zipfile/numpy raise many types on damaged bytes
        raise fail(f"the file is truncated or corrupted ({type(err).__name__}: {err})") from None
    _verify(meta, arrays, fail)
    return meta, arrays


def _verify(meta, arrays: dict, fail) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise fail("not a minidl file (unknown metadata)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise fail(f"format version {meta.get('format_version')!r} is not supported "
                   f"(this minidl reads version {FORMAT_VERSION})")
    recorded = meta.get("arrays")
    if not isinstance(recorded, dict) or set(recorded) != set(arrays):
        raise fail("the arrays in the file do not match its metadata")
    for name, array in arrays.items():
        info = recorded[name]
        if not isinstance(info, dict):
            raise fail(f"the metadata of array {name!r} is malformed")
        if list(array.shape) != info.get("shape") or array.dtype.str != info.get("dtype"):
            raise fail(f"array {name!r} has shape {array.shape} and dtype {array.dtype.str}, "
                       f"metadata says {info.get('shape')} and {info.get('dtype')}")
        if _digest(array) != info.get("sha256"):
            raise fail(f"array {name!r} is corrupted (SHA-256 mismatch)")
