"""The Fashion-MNIST copy shipped in data/fashion-mnist: checksums, contents and loading."""

import gzip
import hashlib
import re

import numpy as np
import pytest

from minidl.data import (
    FASHION_MNIST_CLASSES,
    KNOWN_SHA256,
    DataError,
    load_dataset,
    read_mnist_dir,
    sources,
)
from minidl.data.sources import SHIPPED_DIR

README = SHIPPED_DIR.parent / "README.md"


@pytest.fixture(scope="module")
def fashion():
    return load_dataset("fashion-mnist")


def test_shipped_files_match_known_sha256():
    assert sorted(p.name for p in SHIPPED_DIR.glob("*.gz")) == sorted(KNOWN_SHA256)
    for name, digest in KNOWN_SHA256.items():
        assert hashlib.sha256((SHIPPED_DIR / name).read_bytes()).hexdigest() == digest


def test_readme_and_sha256sums_list_the_same_checksums():
    readme = README.read_text(encoding="utf-8")
    sums = dict(
        reversed(line.split()) for line in (SHIPPED_DIR / "SHA256SUMS").read_text().splitlines()
    )
    assert sums == KNOWN_SHA256
    for name, digest in KNOWN_SHA256.items():
        size = f"{(SHIPPED_DIR / name).stat().st_size:,}"
        assert re.search(rf"`{re.escape(name)}` \| {size} \| `{digest}`", readme), name
    assert "MIT" in readme and "Zalando SE" in (SHIPPED_DIR / "LICENSE").read_text(encoding="utf-8")


def test_raw_contents_shapes_and_class_balance():
    splits = read_mnist_dir(SHIPPED_DIR)
    for split, n in (("train", 60_000), ("test", 10_000)):
        images, labels = splits[split].images, splits[split].labels
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.uint8
        assert labels.min() == 0 and labels.max() == 9
        assert np.bincount(labels).tolist() == [n // 10] * 10
        assert images.min() == 0 and images.max() == 255


def test_load_default(fashion):
    ds = fashion
    assert ds.name == "fashion-mnist" and ds.class_names == FASHION_MNIST_CLASSES
    assert ds.num_classes == 10 and ds.input_dim == 784 and ds.image_shape == (28, 28)
    assert ds.x_train.shape == (60_000, 784) and ds.x_test.shape == (10_000, 784)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0 and ds.x_test.max() == 1.0
    assert ds.x_train.flags.c_contiguous and ds.x_train.flags.writeable
    assert "60000 train, 10000 test, 784 features, 10 classes" in repr(ds)


def test_pixels_are_bytes_over_255(fashion):
    with gzip.open(SHIPPED_DIR / "t10k-images-idx3-ubyte.gz") as handle:
        raw = np.frombuffer(handle.read(), np.uint8, offset=16).reshape(-1, 784)
    np.testing.assert_array_equal(fashion.x_test * np.float32(255), raw.astype(np.float32))


def test_limits_take_the_first_samples(fashion):
    ds = load_dataset("fashion-mnist", limit_train=2000, limit_test=300)
    assert ds.x_train.shape == (2000, 784) and ds.x_test.shape == (300, 784)
    np.testing.assert_array_equal(ds.x_train, fashion.x_train[:2000])
    np.testing.assert_array_equal(ds.y_test, fashion.y_test[:300])


def test_standardize_uses_train_statistics():
    ds = load_dataset("fashion-mnist", normalize="standardize", limit_train=20_000, limit_test=1000)
    mean, std = ds.x_train.mean(axis=0, dtype=np.float64), ds.x_train.std(axis=0, dtype=np.float64)
    assert np.abs(mean).max() < 1e-4
    floored = std < 0.999  # near-constant border pixels divided by the std floor instead
    assert np.allclose(std[~floored], 1.0, atol=1e-3) and floored.sum() < 20
    assert np.isfinite(ds.x_test).all()


def test_explicit_path_to_shipped_dir_is_the_same_data(fashion):
    ds = load_dataset(str(SHIPPED_DIR), limit_train=10, limit_test=10)
    assert ds.name == "fashion-mnist" and ds.class_names == FASHION_MNIST_CLASSES
    np.testing.assert_array_equal(ds.x_train, fashion.x_train[:10])


def test_sha256_mismatch_in_shipped_dir(tmp_path, monkeypatch):
    for name in KNOWN_SHA256:
        ndim = 3 if "images" in name else 1
        header = (
            bytes([0, 0, 8, ndim]) + (2).to_bytes(4, "big") + (1).to_bytes(4, "big") * (ndim - 1)
        )
        (tmp_path / name).write_bytes(gzip.compress(header + bytes(2)))
    monkeypatch.setattr(sources, "SHIPPED_DIR", tmp_path.resolve())
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte.gz: SHA-256 mismatch: expected b0564c3e"
    ):
        load_dataset("fashion-mnist")


def test_missing_shipped_copy_says_pass_data(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "SHIPPED_DIR", tmp_path / "absent")
    with pytest.raises(
        DataError, match=r"fashion-mnist: the copy shipped with minidl is not at .*--data PATH"
    ):
        load_dataset("fashion-mnist")


def test_num_classes_must_match_known_names():
    with pytest.raises(
        DataError, match=r"has 10 classes \(T-shirt/top, .*num_classes=12 was requested"
    ):
        load_dataset("fashion-mnist", num_classes=12)
