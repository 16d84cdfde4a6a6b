"""The .npz and .csv readers, through load_dataset: round trips and every refusal."""

import numpy as np
import pytest

from minidl.data import DataError, load_dataset, read_csv, read_npz


def arrays(seed=0, n_train=40, n_test=10, d=3, classes=4):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.normal(size=(n_train, d)),
        "y_train": np.arange(n_train) % classes,
        "x_test": rng.normal(size=(n_test, d)),
        "y_test": np.arange(n_test) % classes,
    }


def write_csv(path, rows, header=None):
    lines = ([header] if header else []) + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- npz


def test_npz_round_trip(tmp_path):
    data = arrays()
    np.savez(tmp_path / "set.npz", **data)
    ds = load_dataset(tmp_path / "set.npz", normalize="none")
    assert ds.name == "set" and ds.num_classes == 4 and ds.image_shape is None
    np.testing.assert_array_equal(ds.x_train, data["x_train"].astype(np.float32))
    np.testing.assert_array_equal(ds.y_test, data["y_test"])
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64


def test_npz_images_and_class_names(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(
        tmp_path / "img.npz",
        x_train=rng.integers(0, 256, (6, 5, 5), dtype=np.uint8),
        y_train=[0, 1, 2] * 2,
        x_test=rng.integers(0, 256, (3, 5, 5), dtype=np.uint8),
        y_test=[2, 1, 0],
        class_names=np.array(["cat", "dog", "eel"]),
    )
    ds = load_dataset(tmp_path / "img.npz")
    assert (
        ds.class_names == ["cat", "dog", "eel"] and ds.image_shape == (5, 5) and ds.input_dim == 25
    )
    assert ds.x_train.max() <= 1.0


def test_npz_missing_keys_are_named(tmp_path):
    data = arrays()
    del data["y_test"], data["x_test"]
    np.savez(tmp_path / "part.npz", **data)
    with pytest.raises(
        DataError, match=r"part.npz: missing key\(s\) x_test, y_test; .*found: x_train, y_train"
    ):
        load_dataset(tmp_path / "part.npz")


def test_npz_object_array_is_refused_not_unpickled(tmp_path):
    data = arrays()
    data["y_train"] = np.array([{"evil": 1}] * 40, dtype=object)
    np.savez(tmp_path / "obj.npz", **data)
    with pytest.raises(
        DataError, match="obj.npz: 'y_train' is an object array; refusing to unpickle it"
    ):
        load_dataset(tmp_path / "obj.npz")


def test_npz_length_mismatch(tmp_path):
    data = arrays()
    data["y_train"] = data["y_train"][:-1]
    np.savez(tmp_path / "m.npz", **data)
    with pytest.raises(DataError, match="m.npz: x_train has 40 samples but y_train has 39 labels"):
        load_dataset(tmp_path / "m.npz")


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("y_train", np.full(40, 0.5), r"y_train: label 0.5 at index 0 is not an integer class id"),
        (
            "y_train",
            np.zeros((40, 2)),
            r"y_train: labels must be a 1-D array of class ids, got shape \(40, 2\)",
        ),
        ("x_test", np.full((10, 3), np.nan), r"x_test: non-finite value nan at index \(0, 0\)"),
        (
            "x_test",
            np.zeros((10, 4)),
            r"x_train samples have shape \(3,\) but x_test samples have shape \(4,\)",
        ),
        (
            "x_train",
            np.zeros(40),
            r"x_train: expected a non-empty array of shape \(N, features...\)",
        ),
        ("x_train", np.array(["a"] * 40).reshape(40, 1), "x_train: features must be numbers"),
    ],
)
def test_npz_bad_arrays(tmp_path, key, value, message):
    data = arrays()
    data[key] = value
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(DataError, match=message):
        load_dataset(tmp_path / "bad.npz")


def test_npz_labels_out_of_range_for_class_names(tmp_path):
    data = arrays()
    np.savez(tmp_path / "c.npz", **data, class_names=np.array(["a", "b", "c"]))
    with pytest.raises(DataError, match=r"c.npz: y_train\[3\]: label 3 out of range for 3 classes"):
        load_dataset(tmp_path / "c.npz")


def test_npz_negative_label(tmp_path):
    data = arrays()
    data["y_test"] = -data["y_test"]
    np.savez(tmp_path / "neg.npz", **data)
    with pytest.raises(DataError, match=r"neg.npz: y_test\[1\]: label -1 out of range"):
        load_dataset(tmp_path / "neg.npz")


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04 truncated"])
def test_npz_garbage(tmp_path, content):
    (tmp_path / "g.npz").write_bytes(content)
    with pytest.raises(DataError, match="g.npz: not a readable .npz archive"):
        read_npz(tmp_path / "g.npz")


def test_npy_is_not_npz(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros(3))
    (tmp_path / "one.npy").rename(tmp_path / "one.npz")
    with pytest.raises(DataError, match=r"one.npz: holds a single array \(.npy\)"):
        read_npz(tmp_path / "one.npz")


# ---------------------------------------------------------------- csv


def test_csv_round_trip_with_header_and_seeded_split(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)).round(4)
    y = np.arange(50) % 3
    path = write_csv(
        tmp_path / "t.csv",
        [[label, *row] for label, row in zip(y, x, strict=True)],
        header="label,a,b,c",
    )
    ds = load_dataset(path, normalize="none", seed=7)
    assert ds.x_train.shape == (40, 3) and ds.x_test.shape == (10, 3) and ds.num_classes == 3
    both_x = np.concatenate([ds.x_train, ds.x_test])
    both_y = np.concatenate([ds.y_train, ds.y_test])
    order = np.argsort([np.flatnonzero((x.astype(np.float32) == row).all(1))[0] for row in both_x])
    np.testing.assert_array_equal(both_x[order], x.astype(np.float32))
    np.testing.assert_array_equal(both_y[order], y)
    again = load_dataset(path, normalize="none", seed=7)
    np.testing.assert_array_equal(again.x_test, ds.x_test)
    other = load_dataset(path, normalize="none", seed=8)
    assert not np.array_equal(other.x_test, ds.x_test)


def test_csv_without_header_and_test_fraction(tmp_path):
    path = write_csv(tmp_path / "n.csv", [[i % 2, i, -i] for i in range(20)])
    ds = load_dataset(path, test_fraction=0.5)
    assert len(ds.x_train) == len(ds.x_test) == 10
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0  # min-max scaled per feature


def test_csv_text_labels_become_class_names(tmp_path):
    rows = [[name, i, i * 2] for i in range(12) for name in ("versicolor", "setosa")]
    path = write_csv(tmp_path / "iris.csv", rows, header="species,a,b")
    ds = load_dataset(path)
    assert ds.class_names == ["setosa", "versicolor"]
    table = read_csv(path)
    assert table.columns == ["species", "a", "b"] and table.labels[0] == "versicolor"


def test_csv_a_number_among_text_labels(tmp_path):
    rows = [["a", 1], ["b", 2], ["a", 3], ["7", 4], ["b", 5]]
    with pytest.raises(DataError, match=r"line 4: label '7' is a number, but most labels are not"):
        load_dataset(write_csv(tmp_path / "t.csv", rows))


def test_csv_text_labels_without_header(tmp_path):
    path = write_csv(
        tmp_path / "t.csv", [["b", 1, 2], ["a", 3, 4], ["b", 5, 6], ["a", 7, 8], ["c", 9, 0]]
    )
    table = read_csv(path)
    assert table.columns is None and table.x.shape == (5, 2)


def test_csv_pair(tmp_path):
    train = write_csv(tmp_path / "train.csv", [[i % 2, i, 1] for i in range(8)])
    test = write_csv(tmp_path / "test.csv", [[1, 3, 1], [0, 4, 1]])
    for source in (f"{train},{test}", (train, test)):
        ds = load_dataset(source, normalize="none")
        assert ds.name == "train" and len(ds.x_train) == 8 and len(ds.x_test) == 2
        np.testing.assert_array_equal(ds.x_test, [[3, 1], [4, 1]])


def test_csv_pair_numeric_and_text_labels(tmp_path):
    train = write_csv(tmp_path / "a.csv", [["x", 1], ["y", 2]])
    test = write_csv(tmp_path / "b.csv", [[0, 1]])
    with pytest.raises(DataError, match="b.csv: labels are numbers while other files have text"):
        load_dataset((train, test))


def test_csv_pair_column_mismatch(tmp_path):
    train = write_csv(tmp_path / "a.csv", [[0, 1, 2], [1, 2, 3]])
    test = write_csv(tmp_path / "b.csv", [[0, 1]])
    with pytest.raises(DataError, match="b.csv: has 1 feature columns but .*a.csv has 2"):
        load_dataset(f"{train},{test}")


@pytest.mark.parametrize(
    "bad, message",
    [
        ("nan", r"line 4, column 3 \(b\): value nan is not finite"),
        ("inf", r"line 4, column 3 \(b\): value inf is not finite"),
        ("abc", r"line 4, column 3 \(b\): 'abc' is not a number"),
        ("", r"line 4, column 3 \(b\): empty"),
    ],
)
def test_csv_bad_feature_names_line_and_column(tmp_path, bad, message):
    rows = [[0, 1, 2], [1, 2, 3], [0, 3, bad], [1, 4, 5]]
    path = write_csv(tmp_path / "bad.csv", rows, header="label,a,b")
    with pytest.raises(DataError, match="bad.csv, " + message):
        load_dataset(path)


def test_csv_ragged_row(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("0,1,2\n1,2,3\n0,3\n")
    with pytest.raises(DataError, match="r.csv, line 3: expected 3 columns, got 2"):
        load_dataset(path)


@pytest.mark.parametrize(
    "label, message",
    [
        ("2.5", r"line 3: label 2.5 is not a class id \(a non-negative integer\)"),
        ("-1", r"line 3: label -1 is not a class id"),
        ("nan", r"line 3: label nan is not a class id"),
        ("cat", r"line 3: label 'cat' is not a number, but most labels are;"),
    ],
)
def test_csv_bad_labels(tmp_path, label, message):
    path = write_csv(tmp_path / "l.csv", [[0, 1], [1, 2], [label, 3], [1, 4], [0, 5]])
    with pytest.raises(DataError, match="l.csv, " + message):
        load_dataset(path)


def test_csv_labels_out_of_range_name_the_line(tmp_path):
    path = write_csv(tmp_path / "l.csv", [[0, 1], [1, 2], [5, 3], [1, 4], [0, 5]], header="y,x")
    with pytest.raises(DataError, match=r"l.csv, line 4: label 5 out of range for 3 classes"):
        load_dataset(path, num_classes=3)


def test_csv_structural_errors(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="e.csv: empty file"):
        load_dataset(empty)
    single = write_csv(tmp_path / "s.csv", [[0], [1]])
    with pytest.raises(
        DataError, match="s.csv: expected a label column and at least one feature column"
    ):
        load_dataset(single)
    header_only = write_csv(tmp_path / "h.csv", [], header="label,a")
    with pytest.raises(DataError, match="h.csv: no data rows, only a header"):
        load_dataset(header_only)
    one_row = write_csv(tmp_path / "o.csv", [[0, 1.0]])
    with pytest.raises(DataError, match=r"o.csv: 1 row\(s\) are too few to split"):
        load_dataset(one_row)
