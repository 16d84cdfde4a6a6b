"""load_dataset's dispatch and arguments, the Dataset container and the Normalizer."""

import json
import pickle

import numpy as np
import pytest

from minidl.data import DataError, Dataset, Normalizer, load_dataset


class _Trap:
    """Unpickling this creates ``path``: proof that a loader ran pickle."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_unknown_name_lists_choices():
    with pytest.raises(
        DataError,
        match=r"unknown data set 'mnits'; choose one of fashion-mnist, spirals, moons, xor",
    ):
        load_dataset("mnits")


def test_missing_path_and_unsupported_file(tmp_path):
    with pytest.raises(DataError, match=r"absent.csv: no such file or directory"):
        load_dataset(tmp_path / "absent.csv")
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(DataError, match=r"data.json: unsupported file type '.json'"):
        load_dataset(tmp_path / "data.json")


def test_pickle_disguised_as_npz_is_never_run(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.npz").write_bytes(pickle.dumps(_Trap(marker)))
    with pytest.raises(DataError, match="evil.npz: not a readable .npz archive"):
        load_dataset(tmp_path / "evil.npz")
    assert not marker.exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(normalize="minmax"),
            "normalize must be one of scale, standardize, none, got 'minmax'",
        ),
        (dict(limit_train=0), "limit_train must be a positive integer, got 0"),
        (dict(limit_test=2.0), "limit_test must be a positive integer, got 2.0"),
        (dict(test_fraction=1.0), r"test_fraction must be in \(0, 1\), got 1.0"),
        (dict(num_classes=-3), "num_classes must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset("xor", **kwargs)


def test_limits_larger_than_the_data_keep_everything():
    ds = load_dataset("xor", limit_train=10**6, limit_test=7)
    assert len(ds.x_train) == 1000 and len(ds.x_test) == 7


def test_num_classes_widens_the_label_space():
    ds = load_dataset("xor", num_classes=5)
    assert ds.num_classes == 5 and ds.class_names == ["0", "1", "2", "3", "4"]


def test_normalizer_is_fitted_on_limited_train_and_reusable():
    ds = load_dataset("moons", normalize="standardize", limit_train=100)
    assert np.allclose(ds.x_train.mean(axis=0), 0, atol=1e-6) and np.allclose(
        ds.x_train.std(axis=0), 1, atol=1e-5
    )
    state = json.loads(json.dumps(ds.normalizer.state_dict()))
    again = load_dataset("moons", normalizer=Normalizer.from_state_dict(state))
    np.testing.assert_array_equal(again.x_test, ds.x_test)
    with pytest.raises(
        DataError, match=r"Normalizer\(standardize, 2 features\): expected x of shape \(N, 2\)"
    ):
        load_dataset("fashion-mnist", normalizer=ds.normalizer, limit_train=5, limit_test=5)


def test_normalizer_scale_modes():
    pixels = np.array([[0, 51], [255, 102]], np.uint8)
    want = np.array([[0, 51], [255, 102]], np.float32) / np.float32(255)
    np.testing.assert_array_equal(Normalizer.fit(pixels)(pixels), want)
    values = np.array([[1.0, 5.0, 3.0], [3.0, 5.0, 4.0]])
    scaled = Normalizer.fit(values, "scale")(values)
    np.testing.assert_array_equal(scaled, [[0, 0, 0], [1, 0, 1]])  # constant column: 0, not NaN
    assert scaled.dtype == np.float32
    np.testing.assert_array_equal(Normalizer.fit(values, "none")(values), values.astype(np.float32))


def test_standardize_floors_the_std_of_near_constant_features():
    x = np.zeros((1000, 2), np.uint8)
    x[:, 0] = np.arange(1000) % 256
    x[0, 1] = 1  # one grey level in one sample: std 0.0316, far below 1 % of 255
    norm = Normalizer.fit(x, "standardize")
    assert norm.divisor[1] == pytest.approx(2.55)  # floored at 2.55 grey levels
    assert np.abs(norm(x)[:, 1]).max() < 1.0
    constant = Normalizer.fit(np.ones((5, 1)), "standardize")
    assert constant.divisor[0] == 1.0 and np.all(constant(np.ones((5, 1))) == 0)


def test_normalizer_validation():
    with pytest.raises(ValueError, match="mode must be one of"):
        Normalizer.fit(np.zeros((2, 2)), "zscore")
    with pytest.raises(ValueError, match="divisor finite and positive"):
        Normalizer("scale", [0.0], [0.0])
    with pytest.raises(ValueError, match=r"expected x_train of shape \(N, D\)"):
        Normalizer.fit(np.zeros(3))


def test_dataset_checks_what_it_is_given():
    x, y = np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1])
    ds = Dataset(x, y, x, y, ["a", "b"], "tiny")
    assert ds.num_classes == 2 and ds.input_dim == 2 and "tiny" in repr(ds)
    with pytest.raises(DataError, match=r"tiny: y_train\[1\]: label 1 out of range for 1 classes"):
        Dataset(x, y, x, y, ["a"], "tiny")
    with pytest.raises(DataError, match="x_train must be a float"):
        Dataset(x.astype(np.int64), y, x, y, ["a", "b"], "tiny")
    with pytest.raises(DataError, match="y_train must be an int64"):
        Dataset(x, y.astype(np.int32), x, y, ["a", "b"], "tiny")
    with pytest.raises(DataError, match="x_train has 2 features but x_test 3"):
        Dataset(x, y, np.zeros((4, 3), np.float32), y, ["a", "b"], "tiny")
