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
import zipfile
from pathlib import Path

import numpy as np

from .atomic import atomic_write

META_KEY = "__minidl_meta__"
FORMAT_NAME = "minidl"
FORMAT_VERSION = 1
MAX_META_BYTES = 64 << 20  # the JSON record; real ones are kilobytes
MAX_EXPANSION = 64  # declared array bytes per byte of file (minidl stores members uncompressed)


class FileFormatError(ValueError):
    """A file that is not a readable minidl file: truncated, corrupted, foreign or mismatched."""


def _digest(array: np.ndarray) -> str:
    array = np.asarray(array)
    # the C-order bytes, hashed in place when they already lie that way (no second copy)
    data = array.reshape(-1).view(np.uint8) if array.flags.c_contiguous else array.tobytes()
    return hashlib.sha256(data).hexdigest()


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


def read_npz(path, check=None) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify a file written by ``write_npz``; raise ``FileFormatError`` otherwise.

    Returns ``(meta, arrays)``; every array has been checked against the shape,
    dtype and SHA-256 recorded in ``meta["arrays"]``. The metadata and every member's
    ``.npy`` header are read and checked first: ``check(meta)``, when given, runs then,
    before any array is decompressed, and no member is inflated past the size its
    header declares (a small file cannot make the reader allocate gigabytes).
    """
    path = Path(path)

    def fail(reason: str) -> FileFormatError:
        return FileFormatError(f"cannot load {str(path)!r}: {reason}")

    if not path.is_file():
        raise fail("no such file")
    if not zipfile.is_zipfile(path):
        raise fail("the file is truncated or corrupted, or not an .npz archive at all "
                   "(minidl reads only its own pickle-free .npz files)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive, fail)
            if META_KEY not in members:
                raise fail("not a minidl file (no metadata record)")
            with archive.open(members[META_KEY]) as f:
                shape, dtype, order = _header(f, META_KEY, fail)
                if dtype != np.uint8 or len(shape) != 1 or shape[0] > MAX_META_BYTES:
                    raise fail("not a minidl file (malformed metadata record)")
                raw = _payload(f, shape, dtype, order, META_KEY, fail)
            try:
                meta = json.loads(raw.tobytes().decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as err:
                raise fail(f"its metadata record is not JSON ({err})") from None
            except RecursionError:
                raise fail("its metadata record nests deeper than any minidl file does") from None
            _verify_meta(meta, set(members) - {META_KEY}, fail)
            headers = {}
            for name, info in members.items():
                if name != META_KEY:
                    with archive.open(info) as f:
                        headers[name] = _header(f, name, fail)
            _verify_headers(meta["arrays"], headers, path.stat().st_size, fail)
            if check is not None:
                check(meta)
            arrays = {}
            for name, (shape, dtype, order) in headers.items():
                with archive.open(members[name]) as f:
                    _header(f, name, fail)
                    arrays[name] = _payload(f, shape, dtype, order, name, fail)
    except FileFormatError:
        raise
    except Exception as err:  # noqa: BLE001 — zipfile/zlib raise many types on damaged bytes
        raise fail(f"the file is truncated or corrupted ({type(err).__name__}: {err})") from None
    _verify(meta, arrays, fail)
    return meta, arrays


def _members(archive: zipfile.ZipFile, fail) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise fail(f"member {info.filename!r} is not a .npy array (foreign or tampered file)")
        name = info.filename[: -len(".npy")]
        if name in members:
            raise fail(f"member {info.filename!r} appears twice")
        members[name] = info
    return members


def _header(f, name: str, fail) -> tuple[tuple[int, ...], np.dtype, str]:
    """Shape, dtype and order from a member's ``.npy`` header, without reading its data."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except ValueError as err:
        raise fail(f"member {name!r} has a malformed .npy header ({err})") from None
    if dtype.hasobject:
        raise fail(f"member {name!r} holds Python objects (minidl never unpickles)")
    if dtype.kind not in "biufc":
        raise fail(f"member {name!r} has non-numeric dtype {dtype.str}")
    return tuple(int(n) for n in shape), dtype, "F" if fortran else "C"


def _payload(f, shape, dtype: np.dtype, order: str, name: str, fail) -> np.ndarray:
    """Exactly the bytes the header declares: never inflates more than one byte past them."""
    count = int(np.prod(shape, dtype=np.int64))
    flat = np.empty(count, dtype=dtype)
    view, filled = memoryview(flat.view(np.uint8)), 0
    while filled < len(view):
        got = f.readinto(view[filled:])
        if not got:
            raise fail(f"member {name!r} is shorter than its header declares "
                       f"({filled} of {len(view)} bytes; truncated or tampered)")
        filled += got
    if f.read(1):
        raise fail(f"member {name!r} is longer than its header declares")
    return flat.reshape(shape, order=order)


def _verify_meta(meta, names: set, fail) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise fail("not a minidl file (unknown metadata)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise fail(f"format version {meta.get('format_version')!r} is not supported "
                   f"(this minidl reads version {FORMAT_VERSION})")
    recorded = meta.get("arrays")
    if not isinstance(recorded, dict) or set(recorded) != names:
        raise fail("the arrays in the file do not match its metadata")
    for name, info in recorded.items():
        if not isinstance(info, dict):
            raise fail(f"the metadata of array {name!r} is malformed")


def _verify_headers(recorded: dict, headers: dict, file_bytes: int, fail) -> None:
    total = 0
    for name, (shape, dtype, _) in headers.items():
        info = recorded[name]
        if list(shape) != info.get("shape") or dtype.str != info.get("dtype"):
            raise fail(f"array {name!r} has shape {shape} and dtype {dtype.str}, "
                       f"metadata says {info.get('shape')} and {info.get('dtype')}")
        total += int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    # minidl writes uncompressed members; only a crafted file declares far more than it holds
    if total > MAX_EXPANSION * file_bytes + (1 << 20):
        raise fail(f"its arrays declare {total:,} bytes but the file is {file_bytes:,} bytes "
                   f"(more than {MAX_EXPANSION}× expansion: refused before allocating)")


def _verify(meta, arrays: dict, fail) -> None:
    for name, array in arrays.items():
        if _digest(array) != meta["arrays"][name].get("sha256"):
            raise fail(f"array {name!r} is corrupted (SHA-256 mismatch)")
