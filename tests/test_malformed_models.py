"""Model files whose JSON was edited (arrays and checksums still valid) or whose members
were swapped: every one is refused with one FileFormatError, before large allocations."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from malformed_files import META, npy_bytes, read_members, read_meta, rewrite, write_members

from minidl import BatchNorm1d, Dense, FileFormatError, ReLU, Sequential, load, save
from minidl.io.model_file import load_with_metadata


@pytest.fixture
def saved(tmp_path):
    model = Sequential(Dense(4, 8, rng=0), BatchNorm1d(8), ReLU(), Dense(8, 3, rng=1))
    path = tmp_path / "model.npz"
    save(model, path, metadata={"seed": 0, "data": "spirals"})
    return path


def _edit(path, edit):
    rewrite(path, edit_meta=edit)
    return path


def test_a_valid_rewrite_still_loads(saved):
    _edit(saved, lambda meta: None)
    assert isinstance(load(saved), Sequential)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m["architecture"].update(children=[]), "does not use the stored arrays"),
    (lambda m: m["architecture"]["children"][1]["config"].update(affine=False), "1.gamma"),
    (lambda m: m["architecture"]["children"].__setitem__(0, {"type": "ReLU", "config": {}, "children": []}),
     "0.W"),
])
def test_every_stored_array_must_be_claimed(saved, edit, message):
    with pytest.raises(FileFormatError, match=message):
        load(_edit(saved, edit))


def test_every_parameter_must_be_found(saved):
    rewrite(saved, edit_arrays=lambda arrays: arrays.pop("3.b"))
    with pytest.raises(FileFormatError, match="lacks.*3.b"):
        load(saved)


@pytest.mark.parametrize("depth", [100, 480])
def test_deep_nesting_is_refused_without_recursion_error(saved, depth):
    members = read_members(saved)
    meta = read_meta(saved)
    inner = json.dumps(meta["architecture"])
    nested = '{"type": "Sequential", "config": {}, "children": [' * depth + inner + "]}" * depth
    meta["architecture"] = "@"
    text = json.dumps(meta).replace('"@"', nested)
    members[META] = npy_bytes(np.frombuffer(text.encode(), dtype=np.uint8))
    write_members(saved, members)
    with pytest.raises(FileFormatError, match="nests deeper"):
        load(saved)


@pytest.mark.parametrize("child, key, value", [(0, "out_features", 2_000_000), (1, "num_features", 10**9)])
def test_oversized_declarations_are_refused_before_allocating(saved, child, key, value):
    _edit(saved, lambda m: m["architecture"]["children"][child]["config"].update({key: value}))
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match="refused before allocating"):
            load(saved)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * saved.stat().st_size + (1 << 20)


def test_a_deflated_member_declaring_far_more_than_the_file_is_refused(saved):
    members = read_members(saved)
    big = np.zeros(16 << 20, dtype=np.float32)  # 64 MiB, deflates to ~64 KiB
    members["0.W.npy"] = npy_bytes(big)
    meta = read_meta(saved)
    meta["arrays"]["0.W"]["shape"] = [16 << 20]
    members[META] = npy_bytes(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    write_members(saved, members, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(FileFormatError, match="refused before allocating"):
        load(saved)


def test_a_member_shorter_than_its_header_is_named(saved):
    members = read_members(saved)
    members["0.W.npy"] = members["0.W.npy"][:-12]
    write_members(saved, members)
    with pytest.raises(FileFormatError, match="'0.W' is shorter than its header"):
        load(saved)


def test_a_member_that_is_not_npy_is_refused(saved):
    members = read_members(saved)
    members["notes.txt"] = b"hello"
    write_members(saved, members)
    with pytest.raises(FileFormatError, match="not a .npy array"):
        load(saved)


def test_an_object_member_is_refused_without_unpickling(saved):
    members = read_members(saved)
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    members["0.W.npy"] = buffer.getvalue()
    write_members(saved, members)
    with pytest.raises(FileFormatError, match="Python objects"):
        load(saved)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(saved, bad):
    rewrite(saved, edit_arrays=lambda arrays: arrays["0.W"].__setitem__((0, 0), bad))
    with pytest.raises(FileFormatError, match="'0.W' holds 1 NaN/inf"):
        load(saved)


@pytest.mark.parametrize("metadata, message", [
    ([], "expected a JSON object"),
    ({"normalizer": "scale"}, "'normalizer' must be an object"),
    ({"normalizer": {"mode": "scale", "divisor": [1.0]}}, "'offset'"),
    ({"data": 5}, "'data' must be a string"),
    ({"seed": "x"}, "'seed' must be a non-negative integer"),
    ({"classes": {"a": 1}}, "'classes' must be a list"),
])
def test_metadata_of_the_wrong_type_is_refused(saved, metadata, message):
    _edit(saved, lambda m: m.update(metadata=metadata))
    with pytest.raises(FileFormatError, match=message):
        load_with_metadata(saved)


@pytest.mark.parametrize("content", [b"\x80\x04K\x01.", b"hello", b"\x93NUMPY"])
def test_a_file_that_is_not_npz_never_mentions_allow_pickle(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as err:
        load(path)
    assert "allow_pickle" not in str(err.value) and "not an .npz archive" in str(err.value)
