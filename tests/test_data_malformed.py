"""Odd data files: each gives one DataError naming the file (and line/column), never a
traceback, a runaway allocation or a silently wrong data set."""

from __future__ import annotations

import gzip
import zipfile

import numpy as np
import pytest

from minidl.data import DataError, load_dataset
from minidl.data.csvfile import read_csv
from minidl.data.idx import read_idx

HEADER = "label,a,b,c"


def _rows(n=40, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return [f"{i % classes}," + ",".join(f"{v:.4f}" for v in rng.normal(size=3)) for i in range(n)]


def _csv(tmp_path, lines, name="d.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _edited(tmp_path, index, line):
    lines = [HEADER, *_rows()]
    lines[index] = line
    return _csv(tmp_path, lines)


@pytest.mark.parametrize("line, message", [
    ("1,0.5,0.5,0.5,9.9", r"line 6: expected 4 columns, got 5"),
    ("1,0.5,0.5,0.5,", r"got 5 \(the first row has 4\) \(a trailing comma\?\)"),
    ("1_0,0.5,0.5,0.5", r"label '1_0' is not a number"),
    ("1e20,0.5,0.5,0.5", r"label 1e\+20 is far too large"),
    ("300000,0.5,0.5,0.5", r"class id 300000 .*line 6.* far above the 4 distinct labels"),
    ("1000000000,0.5,0.5,0.5", r"far above"),
    ("1,1e39,0.5,0.5", r"line 6, column 2 \(a\): value 1e\+39 overflows float32"),
    ("1,inf,0.5,0.5", r"line 6, column 2 \(a\): value inf is not finite"),
])
def test_a_bad_row_is_named(tmp_path, line, message):
    with pytest.raises(DataError, match=message):
        load_dataset(str(_edited(tmp_path, 5, line)), normalize="none")


def test_trailing_commas_on_every_row_are_named(tmp_path):
    path = _csv(tmp_path, [s + "," for s in [HEADER, *_rows()]])
    with pytest.raises(DataError, match="remove the trailing commas"):
        read_csv(path)


def test_a_short_first_row_is_named(tmp_path):
    lines = _rows()
    lines[0] = "0,0.5"
    with pytest.raises(DataError, match=r"line 2: expected 2 columns, got 4 \(the first row has 2\)"):
        read_csv(_csv(tmp_path, lines))


def test_alternating_huge_values_are_a_data_error(tmp_path):
    lines = [HEADER] + [f"{i % 2},{(-1) ** i * 1e308!r},0.5,0.5" for i in range(20)]
    with pytest.raises(DataError, match="overflows float32"):
        load_dataset(str(_csv(tmp_path, lines)))


def test_a_non_utf8_byte_late_in_the_file_names_its_line(tmp_path):
    path = tmp_path / "latin.csv"
    lines = [HEADER, *_rows(400)]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"2,0.5,0.5,caf\xe9\n")
    with pytest.raises(DataError, match=r"line 402: not UTF-8"):
        read_csv(path)


def test_a_single_class_is_refused(tmp_path):
    lines = [HEADER] + ["0" + row[1:] for row in _rows()]
    with pytest.raises(DataError, match="single class"):
        load_dataset(str(_csv(tmp_path, lines)))


def test_sparse_class_ids_are_refused_with_a_way_out(tmp_path):
    lines = [HEADER] + [f"{int(row[0]) * 100}{row[1:]}" for row in _rows()]
    with pytest.raises(DataError, match="renumber them, or write them as text"):
        load_dataset(str(_csv(tmp_path, lines)))


def test_a_semicolon_file_is_read_with_its_delimiter(tmp_path):
    path = _csv(tmp_path, [s.replace(",", ";") for s in [HEADER, *_rows()]])
    table = read_csv(path)
    assert table.x.shape == (40, 3) and table.columns == ["label", "a", "b", "c"]


def test_a_one_column_file_says_which_delimiters_it_knows(tmp_path):
    path = _csv(tmp_path, ["a b c", "1 2 3"])
    with pytest.raises(DataError, match="got 1 column.*','"):
        read_csv(path)


@pytest.mark.parametrize("label_column", [-1, 3, "label"])
def test_the_label_column_can_be_another_than_the_first(tmp_path, label_column):
    rows = [row.split(",") for row in _rows()]
    path = _csv(tmp_path, ["a,b,c,label"] + [",".join(r[1:] + r[:1]) for r in rows])
    table = read_csv(path, label_column=label_column)
    np.testing.assert_array_equal(table.labels, [int(r[0]) for r in rows])
    assert table.x.shape == (40, 3)
    with pytest.raises(DataError, match="no column named 'target'"):
        read_csv(path, label_column="target")


def _idx(array: np.ndarray) -> bytes:
    code = {np.uint8: 0x08}[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(">u1").tobytes()


def _mnist_dir(tmp_path, train_labels, images=None):
    rng = np.random.default_rng(0)
    n = len(train_labels)
    images = images if images is not None else rng.integers(0, 255, size=(n, 4, 4), dtype=np.uint8)
    labels = np.asarray(train_labels, np.uint8)
    files = {"train-images-idx3-ubyte": images, "train-labels-idx1-ubyte": labels,
             "t10k-images-idx3-ubyte": images[:10], "t10k-labels-idx1-ubyte": labels[:10]}
    for name, array in files.items():
        (tmp_path / name).write_bytes(_idx(array))
    return tmp_path


def test_a_stray_idx_label_does_not_make_a_256_class_model(tmp_path):
    labels = [i % 10 for i in range(40)]
    labels[17] = 255
    with pytest.raises(DataError, match=r"class id 255 .*sample 17"):
        load_dataset(str(_mnist_dir(tmp_path, labels)))


def test_a_gzip_bomb_is_refused_before_inflating(tmp_path):
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (64, 1024, 1024))
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + bytes(64 << 20)))  # 64 MiB of zeros: ~64 KiB stored
    with pytest.raises(DataError, match="refused before decompressing"):
        read_idx(path)


def test_a_truncated_gzip_stream_is_still_named(tmp_path):
    path = tmp_path / "t-idx1-ubyte.gz"
    data = gzip.compress(_idx(np.arange(100, dtype=np.uint8)))
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_images_with_an_empty_axis_are_refused(tmp_path):
    x = np.zeros((20, 4, 0))
    y = np.arange(20) % 2
    path = _npz(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
    with pytest.raises(DataError, match=r"\(20, 4, 0\) hold no value"):
        load_dataset(str(path))


def test_npz_features_overflowing_float32_are_refused(tmp_path):
    x = np.ones((20, 3))
    x[3, 1] = 1e39
    y = np.arange(20) % 2
    path = _npz(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x[:4] / 1e39, y_test=y[:4])
    with pytest.raises(DataError, match="overflows float32"):
        load_dataset(str(path))


def test_an_npz_member_shorter_than_its_header_is_not_blamed_on_pickling(tmp_path):
    y = np.arange(20) % 2
    path = _npz(tmp_path / "d.npz", x_train=np.ones((20, 3)), y_train=y, x_test=np.ones((4, 3)), y_test=y[:4])
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["x_train.npy"] = members["x_train.npy"][:-40]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(DataError) as err:
        load_dataset(str(path))
    assert "pickle" not in str(err.value) and "x_train" in str(err.value)


def test_train_takes_a_label_column_and_hints_at_it(tmp_path, capsys):
    from minidl.cli import main

    rows = [row.split(",") for row in _rows(60)]
    path = _csv(tmp_path, ["a,b,c,label"] + [",".join(r[1:] + r[:1]) for r in rows])
    assert main(["train", "--data", str(path), "--epochs", "1", "--hidden", "4", "--no-save", "--quiet"]) == 1
    assert "--label-column -1" in capsys.readouterr().err
    assert main(["train", "--data", str(path), "--label-column", "label", "--epochs", "1", "--hidden", "4",
                 "--no-save", "--quiet"]) == 0
