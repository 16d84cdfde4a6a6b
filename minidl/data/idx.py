"""The IDX format of MNIST and Fashion-MNIST: reading one file, plain or gzip-compressed.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (TT: element type, DD: number
of dimensions), then DD big-endian uint32 sizes, then the elements in C order,
big-endian. Gzip is recognised by its own magic bytes, not by the file name, so a
compressed file without ``.gz`` (or the reverse) still reads.
"""

from __future__ import annotations

import functools
import hashlib
import math
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError

IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_TYPE_NAMES = {
    0x08: "ubyte",
    0x09: "byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}
GZIP_MAGIC = b"\x1f\x8b"


def idx_magic(type_code: int, ndim: int) -> int:
    """The magic number of an IDX file holding ``ndim``-D elements of ``type_code``.

    Example:
        >>> hex(idx_magic(0x08, 3))   # MNIST images: unsigned bytes, (N, rows, cols)
        '0x803'
    """
    return (type_code << 8) | ndim


def describe_magic(magic: int) -> str:
    """Say in words what an IDX magic number announces, e.g. ``'ubyte, 3-D'``."""
    type_code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    if magic >> 16 or type_code not in IDX_TYPES or ndim == 0:
        return "not an IDX header"
    return f"{_TYPE_NAMES[type_code]}, {ndim}-D"


def file_sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (what ``sha256sum`` prints for the file)."""
    return hashlib.sha256(data).hexdigest()


def read_idx(path, *, magic: int | None = None, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed) into a numpy array.

    Args:
        path: the file.
        magic: if given, the magic number the file must carry (e.g. ``0x803`` for
            MNIST images), so that swapped image and label files are caught.
        sha256: if given, the hex SHA-256 the file's bytes (as stored, before
            decompression) must have.

    Returns:
        The array with the shape of the header's dimensions and a native-endian
        dtype, read-only. Unsigned-byte data (all of MNIST) is a zero-copy view of
        the decompressed bytes. Reading the same unchanged file again in the same
        process returns the same array without decoding it again.

    Raises:
        DataError: unreadable file, SHA-256 mismatch, corrupt or truncated gzip
            stream, wrong or foreign magic number, truncated header or data, or
            bytes left over after the data.

    Example:
        >>> labels = read_idx("data/fashion-mnist/t10k-labels-idx1-ubyte.gz", magic=0x801)
        >>> labels.shape, labels.dtype
        ((10000,), dtype('uint8'))
    """
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except OSError as err:
        raise DataError(f"{path}: cannot read: {err.strerror or err}") from None
    expected = None if sha256 is None else sha256.lower()
    return _read_idx_cached(path, stat.st_size, stat.st_mtime_ns, magic, expected)


# Decoding Fashion-MNIST's training images means a gunzip, so a process that loads
# the same files again (tests, eval after train) reuses the decoded read-only arrays. The
# key holds size and mtime, so a rewritten file is read afresh; 8 entries = two datasets.
@functools.lru_cache(maxsize=8)
def _read_idx_cached(path: Path, size: int, mtime_ns: int, magic: int | None, sha256: str | None):
    try:
        stored = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read: {err.strerror or err}") from None
    if sha256 is not None:
        got = file_sha256(stored)
        if got != sha256:
            raise DataError(
                f"{path}: SHA-256 mismatch: expected {sha256}, got {got}; "
                "the file is corrupted or is not the one expected"
            )
    data = _gunzip(path, stored) if stored[:2] == GZIP_MAGIC else stored
    return parse_idx(data, name=str(path), magic=magic)


# A real IDX file deflates a few times over; a header promising more than this many bytes
# per stored byte is a decompression bomb (or a lie), refused before inflating it.
MAX_GZIP_EXPANSION = 200


def _gunzip(path: Path, stored: bytes) -> bytes:
    """Inflate ``stored``, never past the size its IDX header declares (plus one byte, so a
    longer stream is still reported by ``parse_idx``)."""
    try:
        inflater = zlib.decompressobj(wbits=31)
        data = inflater.decompress(stored, 4 + 4 * 255)
        declared = _declared_size(data)
        if declared is not None:
            if declared > MAX_GZIP_EXPANSION * len(stored) + (16 << 20):
                raise DataError(
                    f"{path}: its header declares {declared:,} bytes of data but the gzip file is "
                    f"{len(stored):,} bytes (over {MAX_GZIP_EXPANSION}× expansion): refused before "
                    "decompressing")
            data += inflater.decompress(inflater.unconsumed_tail, declared - len(data) + 1)
        if not inflater.eof and (declared is None or len(data) <= declared):
            raise EOFError
        return data
    except EOFError:
        raise DataError(
            f"{path}: truncated gzip file: the compressed stream ends early "
            f"(file is {len(stored)} bytes)"
        ) from None
    except (OSError, zlib.error) as err:
        raise DataError(f"{path}: corrupt gzip stream: {err}") from None


def _declared_size(head: bytes) -> int | None:
    """The whole file's size by its IDX header, or None when ``head`` is no complete header."""
    if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in IDX_TYPES:
        return None
    ndim = head[3]
    if len(head) < 4 + 4 * ndim:
        return None
    shape = [int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return 4 + 4 * ndim + math.prod(shape) * IDX_TYPES[head[2]].itemsize


def parse_idx(data: bytes, *, name: str = "<bytes>", magic: int | None = None) -> np.ndarray:
    """Decode the (already decompressed) bytes of an IDX file; see :func:`read_idx`.

    Args:
        data: the whole file's bytes.
        name: how error messages refer to the data (the file name).
        magic: the magic number the header must carry, or None for any valid one.

    Returns:
        The decoded array, read-only; a zero-copy view of ``data`` for byte types.

    Example:
        >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]))
        array([7, 9], dtype=uint8)
    """
    if len(data) < 4:
        raise DataError(
            f"{name}: truncated: expected a 4-byte IDX magic number, got {len(data)} bytes"
        )
    got = int.from_bytes(data[:4], "big")
    if magic is not None and got != magic:
        raise DataError(
            f"{name}: wrong magic number: expected 0x{magic:08X} ({describe_magic(magic)}), "
            f"got 0x{got:08X} ({describe_magic(got)})"
        )
    if describe_magic(got) == "not an IDX header":
        raise DataError(
            f"{name}: wrong magic number 0x{got:08X}: not an IDX file "
            "(expected 0x0000TTDD, TT a type code in 08 09 0B 0C 0D 0E, "
            "DD the number of dimensions)"
        )
    dtype, ndim = IDX_TYPES[(got >> 8) & 0xFF], got & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(
            f"{name}: truncated header: expected {header} bytes for {ndim} dimensions, "
            f"got {len(data)}"
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    count = math.prod(shape)
    expected, present = count * dtype.itemsize, len(data) - header
    shown = " x ".join(map(str, shape))
    if present < expected:
        raise DataError(
            f"{name}: truncated: the header announces {shown} {_TYPE_NAMES[(got >> 8) & 0xFF]} "
            f"values, i.e. {expected} bytes of data, got {present}"
        )
    if present > expected:
        raise DataError(
            f"{name}: {present - expected} unexpected bytes after the {expected} bytes of data "
            f"announced by the header ({shown})"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    if dtype.itemsize > 1:  # stored big-endian; native order keeps arithmetic fast
        array = array.astype(dtype.newbyteorder("="))
        array.flags.writeable = False  # read-only like the byte case: read_idx shares its results
    return array
