"""Seeded corruption fuzz: a few hundred crafted model, checkpoint and data files.

Every file is either refused with the error kind of its reader (``FileFormatError`` for
model files and checkpoints, ``DataError`` for data) or, when accepted, read faithfully:
a model is exactly the architecture and arrays its file records and runs forward; a data
set has finite features and labels inside its classes. Mutations known to be invalid
must be refused. Any other exception is a traceback a user would see, and fails.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from malformed_files import META, read_members, rewrite, write_members

from minidl import BatchNorm1d, Dense, Dropout, FileFormatError, ReLU, Sequential, save
from minidl.cli import main
from minidl.data import DataError, load_dataset
from minidl.io.checkpoint import load_checkpoint
from minidl.io.model_file import architecture, load_with_metadata
from minidl.io.npz import read_npz

ODD_VALUES = [None, -1, 0, 2**40, "x", [], {}, 1e308, float("nan"), float("inf"), True, 0.5, [1, 2]]


def _paths(node, prefix=()):
    """Every (path, value) inside a JSON tree."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _replace(tree, path, value):
    node = tree
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE and isinstance(node, dict):
        del node[path[-1]]
    elif value is _DELETE:
        node.pop(path[-1])
    else:
        node[path[-1]] = value


_DELETE = object()


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "model.npz"
    model = Sequential(Dense(4, 6, rng=0), BatchNorm1d(6), ReLU(), Dropout(0.2), Dense(6, 3, rng=1))
    model.classes = ["a", "b", "c"]
    save(model, path, metadata={"seed": 1, "data": "spirals"})
    return path


def _check_faithful_model(path):
    """Load ``path``: refused cleanly, or exactly what the file says, and it runs."""
    try:
        model, _ = load_with_metadata(path)
    except FileFormatError:
        return "refused"
    meta, arrays = read_npz(path)
    assert json.loads(json.dumps(architecture(model))) == meta["architecture"]
    state = model.state_dict()
    assert set(state) == set(arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(state[name], array)
        assert np.isfinite(array).all()
    width = model.parameters()[0].data.shape[0]
    model.eval()
    assert np.isfinite(model(np.ones((2, width), dtype=model.parameters()[0].data.dtype))).all()
    return "accepted"


def test_fuzz_model_files(model_file, tmp_path):
    rng = random.Random(13)
    base = json.loads(json.dumps(_meta(model_file)))
    paths = [p for p, _ in _paths(base) if p and p[0] in ("architecture", "metadata", "arrays")]
    outcomes = {"refused": 0, "accepted": 0}
    for trial in range(150):
        path = tmp_path / f"m{trial}.npz"
        kind = rng.choice(["json", "json", "array", "bytes"])
        if kind == "json":
            target, value = rng.choice(paths), rng.choice([*ODD_VALUES, _DELETE])
            if target[0] != "arrays":
                rewrite(model_file, out=path, edit_meta=lambda m, t=target, v=value: _replace(m, t, v))
            else:  # the array records themselves: damaged after rewrite recomputed them
                rewrite(model_file, out=path)
                members = read_members(path)
                meta = _meta_of(members)
                _replace(meta, target, value)
                members[META] = _meta_bytes(meta)
                write_members(path, members)
        elif kind == "array":
            def damage(arrays, r=rng):
                name = r.choice(sorted(arrays))
                action = r.choice(["nan", "inf", "dtype", "drop", "add", "shape"])
                if action in ("nan", "inf"):
                    arrays[name] = arrays[name].copy()
                    arrays[name].flat[0] = np.nan if action == "nan" else np.inf
                elif action == "dtype":
                    arrays[name] = arrays[name].astype(np.float64)
                elif action == "drop":
                    del arrays[name]
                elif action == "add":
                    arrays["extra"] = np.zeros(3, dtype=np.float32)
                else:
                    arrays[name] = np.zeros((*arrays[name].shape, 2), dtype=arrays[name].dtype)
            rewrite(model_file, out=path, edit_arrays=damage)
            assert _check_faithful_model(path) == "refused"
            outcomes["refused"] += 1
            continue
        else:
            data = bytearray(model_file.read_bytes())
            if rng.random() < 0.5:
                data = data[: rng.randrange(len(data))]
            else:
                for _ in range(rng.randint(1, 4)):
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            path.write_bytes(bytes(data))
        outcomes[_check_faithful_model(path)] += 1
    print(f"model-file fuzz: {outcomes}")
    assert outcomes["refused"] > 100


def _meta(path):
    return _meta_of(read_members(path))


def _meta_of(members):
    import io
    return json.loads(np.load(io.BytesIO(members[META])).tobytes().decode("utf-8"))


def _meta_bytes(meta):
    from malformed_files import npy_bytes
    return npy_bytes(np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzzck") / "run"
    assert main(["train", "--data", "xor", "--hidden", "6", "--dropout", "0.1", "--epochs", "2",
                 "--batch-size", "64", "--quiet", "--out", str(out)]) == 0
    return out / "checkpoint.npz"


INVALID_CHECKPOINT_VALUES = {
    ("epoch",): [-1, 10**9, 1.5, "2", None, float("inf")],
    ("step",): [-1, 0, 1, 10**9, 2.5, None],
    ("loader", "position"): [-3, 10**6, 0.5, None],
    ("loader", "num_samples"): [0, -5, "x", _DELETE],
    ("loader", "batch_size"): [0, "64", _DELETE],
    ("loader", "shuffle"): ["yes", 1, _DELETE],
    ("loader", "rng"): [{}, "x", None, {"bit_generator": "PCG64", "state": {}}],
    ("optimizer", "type"): ["RMSprop", 5, None],
    ("optimizer", "steps"): [-1, float("inf"), "3", None],
    ("optimizer", "hyper", "lr"): [-1.0, float("nan"), "0.1", None],
    ("optimizer", "hyper", "momentum"): [5.0, -0.5, 0.5, 1.0],
    ("optimizer", "hyper", "weight_decay"): [-1.0, 0.5, float("inf")],
    ("optimizer", "buffers"): [{}, {"momentum": 99}, []],
    ("layer_rng_states",): [{}, [], {"nope": {}}],
    ("history",): [[], {}, None, [{"epoch": 1}]],
    ("history", 0, "seconds"): [_DELETE, "x", float("nan")],
    ("history", 1, "epoch"): [5, "2", _DELETE],
    ("config",): [[], None, "x"],
    ("config", "optimizer"): ["adam"],
    ("config", "dtype"): ["float64", "float16"],
    ("architecture",): [None, [], {"type": "Nope"}],
    ("architecture", "children"): [[]],
}


def test_fuzz_checkpoints_every_invalid_record_is_refused(checkpoint_file, tmp_path):
    rng = random.Random(29)
    cases = [(path, value) for path, values in INVALID_CHECKPOINT_VALUES.items() for value in values]
    cases += [rng.choice(cases) for _ in range(60)]  # and some combined with a second edit
    for trial, (target, value) in enumerate(cases):
        second = cases[rng.randrange(len(cases))] if trial >= len(cases) - 60 else None
        path = tmp_path / f"c{trial}.npz"

        def edit(meta, t=target, v=value, s=second):
            _replace(meta, t, v)
            if s is not None and all(isinstance(n, (dict, list)) for n in _walk(meta, s[0][:-1])):
                try:
                    _replace(meta, s[0], s[1])
                except (KeyError, IndexError, TypeError):
                    pass
        rewrite(checkpoint_file, out=path, edit_meta=edit)
        with pytest.raises(FileFormatError):
            load_checkpoint(path)


def _walk(tree, path):
    node = tree
    yield node
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            yield None
            return
        yield node


def test_fuzz_checkpoint_bytes(checkpoint_file, tmp_path):
    rng = random.Random(31)
    original = checkpoint_file.read_bytes()
    for trial in range(60):
        data = bytearray(original)
        if trial % 2:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path = tmp_path / f"b{trial}.npz"
        path.write_bytes(bytes(data))
        try:
            state = load_checkpoint(path)
        except FileFormatError:
            continue
        # accepted: the flip hit bytes the format ignores, so everything equals the original
        reference = load_checkpoint(checkpoint_file)
        assert (state.epoch, state.step, state.history) == \
            (reference.epoch, reference.step, reference.history)


CSV_BAD_ROWS = ["1,0.5,0.5,0.5", "1,0.5", "1,0.5,x", "1,,0.5", "1,nan,0.5", "1,1e39,0.5",
                "1e20,0.5,0.5", "-1,0.5,0.5", "1_0,0.5,0.5", "0.5,0.5,0.5", "1,0.5,0.5,",
                "300000,0.5,0.5"]


def test_fuzz_csv_files(tmp_path):
    rng = random.Random(37)
    gen = np.random.default_rng(37)
    for trial in range(90):
        rows = [f"{i % 3},{a:.4f},{b:.4f}" for i, (a, b) in enumerate(gen.normal(size=(30, 2)))]
        bad = rng.choice(CSV_BAD_ROWS)
        rows.insert(rng.randrange(len(rows)), bad)
        path = tmp_path / f"d{trial}.csv"
        text = "label,a,b\n" + "\n".join(rows) + "\n"
        data = text.encode()
        if trial % 3 == 0:
            at = rng.randrange(len(data))
            data = data[:at] + b"\xe9" + data[at:]
        path.write_bytes(data)
        with pytest.raises(DataError):
            load_dataset(str(path), normalize="none")


def test_fuzz_csv_truncations_are_refused_or_read_whole_rows(tmp_path):
    rng = random.Random(41)
    gen = np.random.default_rng(41)
    rows = [f"{i % 3},{a:.4f},{b:.4f}" for i, (a, b) in enumerate(gen.normal(size=(40, 2)))]
    text = ("label,a,b\n" + "\n".join(rows) + "\n").encode()
    for trial in range(40):
        path = tmp_path / f"t{trial}.csv"
        path.write_bytes(text[: rng.randrange(12, len(text))])
        try:
            ds = load_dataset(str(path), normalize="none")
        except DataError:
            continue
        assert np.isfinite(ds.x_train).all() and ds.y_train.max() < ds.num_classes
        kept = len(ds.y_train) + len(ds.y_test)
        assert kept <= 40
