"""save/load: bit-exact round trips, atomic writes, and one clear error for any bad file."""

import os
import zipfile

import numpy as np
import pytest

import minidl
from minidl import Dense, FileFormatError, ReLU, Sequential, Sigmoid, Tanh, load, save
from minidl.io.npz import read_npz, write_npz


def make_model(dtype="float32"):
    return Sequential(Dense(5, 4, rng=0, dtype=dtype), ReLU(), Dense(4, 4, rng=1, dtype=dtype),
                      Tanh(), Dense(4, 3, rng=2, dtype=dtype, init="xavier"), Sigmoid())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_trip_is_bit_exact(tmp_path, dtype):
    model = make_model(dtype)
    path = tmp_path / "model.npz"
    save(model, path)
    loaded = load(path)
    assert repr(loaded) == repr(model)
    for (na, a), (nb, b) in zip(model.named_parameters(), loaded.named_parameters()):
        assert na == nb and a.data.dtype == b.data.dtype
        np.testing.assert_array_equal(a.data, b.data)
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(dtype)
    np.testing.assert_array_equal(model(x), loaded(x))


def test_save_leaves_no_temporary_files(tmp_path):
    save(make_model(), tmp_path / "m.npz")
    save(make_model(), tmp_path / "m.npz")  # overwrite
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "m.npz"
    save(make_model(), path)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        write_npz(path, {}, {"bad": np.array([object()], dtype=object)})
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_file_never_needs_pickle(tmp_path):
    save(make_model(), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        assert all(npz[name].dtype != object for name in npz.files)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.npz"
    save(make_model(), path)
    return path


def test_truncated_file(saved):
    data = saved.read_bytes()
    for keep in (0, 10, len(data) // 2, len(data) - 30):
        saved.write_bytes(data[:keep])
        with pytest.raises(FileFormatError, match=rf"cannot load '{saved}'"):
            load(saved)


def test_empty_file(saved):
    saved.write_bytes(b"")
    with pytest.raises(FileFormatError, match="truncated or corrupted"):
        load(saved)


def test_every_byte_flip_is_caught_or_harmless(saved):
    """A flip anywhere either raises FileFormatError or loads a bit-identical model
    (it hit a byte the format ignores, such as a zip timestamp) — never a wrong model."""
    data = saved.read_bytes()
    reference = load(saved).state_dict()
    rng = np.random.default_rng(0)
    positions = rng.choice(len(data), size=150, replace=False)
    caught = 0
    for pos in positions:
        flipped = bytearray(data)
        flipped[pos] ^= 0xFF
        saved.write_bytes(bytes(flipped))
        try:
            state = load(saved).state_dict()
        except FileFormatError:
            caught += 1
            continue
        for name, value in reference.items():
            np.testing.assert_array_equal(state[name], value)
    assert caught > 100


def test_flip_inside_the_weights_is_caught(saved):
    meta, arrays = read_npz(saved)
    data = bytearray(saved.read_bytes())
    raw = arrays["0.W"].tobytes()
    start = bytes(data).find(raw)
    data[start + 5] ^= 0x01
    saved.write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match=r"corrupted|CRC"):
        load(saved)


def test_foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(FileFormatError, match="not a minidl file"):
        load(path)


def test_not_a_zip_at_all(tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("hello")
    with pytest.raises(FileFormatError, match="truncated or corrupted"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        load(tmp_path / "nope.npz")


def test_wrong_architecture_never_half_loads(tmp_path):
    """Weights that do not fit the recorded architecture: one error, nothing built."""
    path = tmp_path / "m.npz"
    model = make_model()
    arrays = model.state_dict()
    arrays["2.W"] = np.zeros((4, 5), dtype=np.float32)
    write_npz(path, {"kind": "model", "architecture": minidl.io.model_file.architecture(model)}, arrays)
    with pytest.raises(FileFormatError,
                       match=r"weights do not fit the architecture.*2\.W has shape \(4, 5\)"):
        load(path)


def test_unknown_module_type(tmp_path):
    path = tmp_path / "m.npz"
    write_npz(path, {"kind": "model", "architecture": {"type": "Conv9d", "config": {}, "children": []}}, {})
    with pytest.raises(FileFormatError, match="bad architecture record.*Conv9d"):
        load(path)


def test_newer_format_version(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    monkeypatch.setattr(minidl.io.npz, "FORMAT_VERSION", 99)
    save(make_model(), path)
    monkeypatch.undo()
    with pytest.raises(FileFormatError, match="format version 99 is not supported"):
        load(path)


def test_zip_members_are_checked_by_crc(saved):
    with zipfile.ZipFile(saved) as z:
        assert z.testzip() is None


def test_custom_modules_are_refused_with_a_clear_message(tmp_path):
    class Mine(ReLU):
        pass

    with pytest.raises(TypeError, match="save: cannot describe Mine"):
        save(Sequential(Mine()), tmp_path / "m.npz")


def test_saved_files_get_a_plain_files_permissions(tmp_path):
    import stat

    save(make_model(), tmp_path / "m.npz")
    (tmp_path / "plain").write_bytes(b"")
    mode = stat.S_IMODE((tmp_path / "m.npz").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode)  # not mkstemp's 0600
