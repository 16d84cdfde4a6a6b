"""Helpers that craft damaged minidl files for the malformed-input tests: the JSON
metadata edited while arrays and checksums stay valid, members added or swapped."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np

META = "__minidl_meta__.npy"


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def read_members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def read_meta(path) -> dict:
    raw = read_members(path)[META]
    return json.loads(np.load(io.BytesIO(raw)).tobytes().decode("utf-8"))


def write_members(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def rewrite(path, edit_meta=None, edit_arrays=None, out=None) -> None:
    """Rewrite ``path`` (to ``out``): ``edit_meta(meta)`` and ``edit_arrays(arrays)`` edit in
    place; the arrays' metadata (shape, dtype, SHA-256) is recomputed so only the edit differs."""
    members = read_members(path)
    meta = json.loads(np.load(io.BytesIO(members.pop(META))).tobytes().decode("utf-8"))
    arrays = {name[:-4]: np.load(io.BytesIO(data)) for name, data in members.items()}
    if edit_arrays is not None:
        edit_arrays(arrays)
    meta["arrays"] = {name: {"shape": list(a.shape), "dtype": a.dtype.str,
                             "sha256": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()}
                      for name, a in arrays.items()}
    if edit_meta is not None:
        edit_meta(meta)
    payload = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    new = {META: npy_bytes(payload)}
    new.update({f"{name}.npy": npy_bytes(a) for name, a in arrays.items()})
    write_members(out or path, new)
