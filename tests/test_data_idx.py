"""IDX files and MNIST-format directories, on small files built byte by byte in tmp_path."""

import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from minidl.data import DataError, load_dataset, read_idx, read_mnist_dir
from minidl.data.idx import parse_idx

TYPE_CODES = {
    np.dtype("uint8"): 0x08,
    np.dtype("int8"): 0x09,
    np.dtype("int16"): 0x0B,
    np.dtype("int32"): 0x0C,
    np.dtype("float32"): 0x0D,
    np.dtype("float64"): 0x0E,
}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written independently of the reader."""
    header = bytes([0, 0, TYPE_CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, data: bytes, gz: bool):
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_mnist_dir(root, n_train=12, n_test=5, gz=True, names="standard", rows=4, cols=3, seed=0):
    """A tiny MNIST-format directory; returns {split: (images, labels)}."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, stem, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, (n, rows, cols), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for kind, ndim, array in (("images", 3, images), ("labels", 1, labels)):
            sep = "-" if names == "standard" else "."
            name = f"{stem}-{kind}{sep}idx{ndim}-ubyte" + (".gz" if gz else "")
            write(root / name, idx_bytes(array), gz)
        arrays[split] = (images, labels)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", list(TYPE_CODES))
def test_round_trip_every_type(tmp_path, gz, dtype):
    step = 1000 if dtype.itemsize > 1 else 5  # multi-byte values catch a byte-order mix-up
    shift = 0 if dtype.kind == "u" else 5  # signed types get negatives
    array = (np.arange(24).reshape(2, 3, 4) * step - shift).astype(dtype)
    got = read_idx(write(tmp_path / "a.idx", idx_bytes(array), gz))
    assert got.dtype == dtype.newbyteorder("=") and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, array)
    assert not got.flags.writeable


def test_gzip_is_detected_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8)
    np.testing.assert_array_equal(
        read_idx(write(tmp_path / "plain.gz", idx_bytes(array), False)), array
    )
    np.testing.assert_array_equal(
        read_idx(write(tmp_path / "zipped", idx_bytes(array), True)), array
    )


def test_parse_docstring_example():
    np.testing.assert_array_equal(parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9])), [7, 9])


def test_wrong_magic_shows_expected_and_got(tmp_path):
    path = write(tmp_path / "labels", idx_bytes(np.zeros((2, 2, 2), np.uint8)), True)
    with pytest.raises(
        DataError,
        match=r"labels: wrong magic number: expected 0x00000801 \(ubyte, 1-D\), "
        r"got 0x00000803 \(ubyte, 3-D\)",
    ):
        read_idx(path, magic=0x801)


def test_foreign_file_is_not_idx(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello world")
    with pytest.raises(
        DataError, match=r"notes.txt: wrong magic number 0x68656C6C: not an IDX file"
    ):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_data_names_expected_and_got_bytes(tmp_path, gz):
    data = idx_bytes(np.zeros((10, 4, 4), np.uint8))[:-7]
    with pytest.raises(
        DataError,
        match=r"x.idx: truncated: .*10 x 4 x 4 ubyte values, i.e. 160 bytes of data, got 153",
    ):
        read_idx(write(tmp_path / "x.idx", data, gz))


def test_truncated_header(tmp_path):
    with pytest.raises(
        DataError, match="truncated header: expected 16 bytes for 3 dimensions, got 9"
    ):
        read_idx(write(tmp_path / "x", bytes([0, 0, 8, 3, 0, 0, 0, 1, 0]), False))
    with pytest.raises(DataError, match="expected a 4-byte IDX magic number, got 2 bytes"):
        read_idx(write(tmp_path / "y", b"\x00\x00", False))


def test_trailing_bytes_are_refused(tmp_path):
    data = idx_bytes(np.zeros(5, np.uint8)) + b"junk"
    with pytest.raises(DataError, match="4 unexpected bytes after the 5 bytes of data"):
        read_idx(write(tmp_path / "x", data, False))


def test_truncated_gzip_stream(tmp_path):
    compressed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DataError, match="cut.gz: truncated gzip file"):
        read_idx(path)


def test_corrupt_gzip_stream(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32))))
    compressed[20:40] = b"\xff" * 20
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(DataError, match="bad.gz: corrupt gzip stream"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="nothing.idx: cannot read"):
        read_idx(tmp_path / "nothing.idx")


def test_sha256_verified_when_given(tmp_path):
    path = write(tmp_path / "x", idx_bytes(np.arange(3, dtype=np.uint8)), False)
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    np.testing.assert_array_equal(read_idx(path, sha256=good.upper()), [0, 1, 2])
    with pytest.raises(DataError, match=f"x: SHA-256 mismatch: expected {'0' * 64}, got {good}"):
        read_idx(path, sha256="0" * 64)


def test_rewritten_file_is_read_again(tmp_path):
    path = write(tmp_path / "x", idx_bytes(np.arange(3, dtype=np.uint8)), False)
    assert read_idx(path) is read_idx(path)  # decoded once per process
    write(path, idx_bytes(np.arange(4, dtype=np.uint8)), False)
    os.utime(path, ns=(1, 1))  # a different mtime, even on coarse-clock file systems
    np.testing.assert_array_equal(read_idx(path), [0, 1, 2, 3])


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("names", ["standard", "dotted"])
def test_mnist_dir_name_variants(tmp_path, gz, names):
    arrays = make_mnist_dir(tmp_path, gz=gz, names=names)
    splits = read_mnist_dir(tmp_path)
    for split in ("train", "test"):
        np.testing.assert_array_equal(splits[split].images, arrays[split][0])
        np.testing.assert_array_equal(splits[split].labels, arrays[split][1])


def test_load_dataset_from_user_dir(tmp_path):
    (tmp_path / "digits").mkdir()
    arrays = make_mnist_dir(tmp_path / "digits")
    ds = load_dataset(tmp_path / "digits")
    assert ds.name == "digits" and ds.image_shape == (4, 3) and ds.x_train.shape == (12, 12)
    assert ds.class_names == [str(k) for k in range(10)]
    np.testing.assert_array_equal(ds.x_train, arrays["train"][0].reshape(12, 12) / np.float32(255))
    assert ds.y_train.dtype == np.int64 and ds.x_train.dtype == np.float32


def test_missing_file_lists_names_tried(tmp_path):
    make_mnist_dir(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(
        DataError,
        match=r"no test labels file; looked for t10k-labels-idx1-ubyte.gz, "
        r"t10k-labels-idx1-ubyte, t10k-labels.idx1-ubyte.gz",
    ):
        read_mnist_dir(tmp_path)


def test_images_labels_count_mismatch(tmp_path):
    make_mnist_dir(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(11, np.uint8)), True)
    with pytest.raises(
        DataError,
        match="train-images-idx3-ubyte.gz holds 12 images but "
        "train-labels-idx1-ubyte.gz holds 11 labels",
    ):
        load_dataset(tmp_path)


def test_swapped_images_and_labels(tmp_path):
    make_mnist_dir(tmp_path)
    images, labels = tmp_path / "t10k-images-idx3-ubyte.gz", tmp_path / "t10k-labels-idx1-ubyte.gz"
    images_bytes = images.read_bytes()
    images.write_bytes(labels.read_bytes())
    labels.write_bytes(images_bytes)
    with pytest.raises(
        DataError, match=r"t10k-images-idx3-ubyte.gz: wrong magic number: expected 0x00000803"
    ):
        read_mnist_dir(tmp_path)


def test_train_and_test_image_sizes_differ(tmp_path):
    make_mnist_dir(tmp_path)
    write(tmp_path / "t10k-images-idx3-ubyte.gz", idx_bytes(np.zeros((5, 3, 3), np.uint8)), True)
    with pytest.raises(DataError, match=r"train images are \(4, 3\) but test images are \(3, 3\)"):
        read_mnist_dir(tmp_path)


def test_labels_out_of_range_for_requested_classes(tmp_path):
    make_mnist_dir(tmp_path)  # labels 0..9
    with pytest.raises(
        DataError,
        match=r"train-labels-idx1-ubyte.gz \(sample 8\): label 8 out of range "
        r"for 8 classes \(class ids are 0..7\)",
    ):
        load_dataset(tmp_path, num_classes=8)


def test_sha256sums_file_is_honoured(tmp_path):
    make_mnist_dir(tmp_path)
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}"
        for p in sorted(tmp_path.iterdir())
    ]
    (tmp_path / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    read_mnist_dir(tmp_path)
    write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.ones(5, np.uint8)), True)
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: SHA-256 mismatch"):
        read_mnist_dir(tmp_path)


def test_not_a_directory(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        read_mnist_dir(tmp_path / "absent")
