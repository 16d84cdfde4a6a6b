"""Synthetic lesson sets: shapes, dtypes, balance, determinism, and that they are learnable."""

import numpy as np
import pytest

from minidl.data import load_dataset, make_moons, make_spirals, make_xor

MAKERS = {"spirals": make_spirals, "moons": make_moons, "xor": make_xor}


@pytest.mark.parametrize("name", MAKERS)
def test_shapes_dtypes_balance(name):
    x, y = MAKERS[name](301, rng=0)
    assert x.shape == (301, 2) and x.dtype == np.float32
    assert y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 2 and np.isfinite(x).all()


@pytest.mark.parametrize("name", MAKERS)
def test_deterministic_per_seed_and_different_across_seeds(name):
    make = MAKERS[name]
    a, b, c = make(200, rng=3), make(200, rng=3), make(200, rng=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    gen = np.random.default_rng(3)
    np.testing.assert_array_equal(make(200, rng=gen)[0], a[0])  # a Generator works like its seed


def test_spirals_classes_and_radius():
    x, y = make_spirals(500, n_classes=5, noise=0.0, rng=0)
    assert set(y.tolist()) == set(range(5))
    assert np.linalg.norm(x, axis=1).max() <= 1.0


def test_xor_labels_follow_quadrants():
    x, y = make_xor(2000, noise=0.25, rng=0)
    assert np.mean((x[:, 0] * x[:, 1] < 0) == (y == 1)) > 0.99


def test_moons_are_centred():
    x, _ = make_moons(4000, noise=0.0, rng=0)
    assert np.abs(x.mean(axis=0)).max() < 0.1


@pytest.mark.parametrize("bad", [dict(n_samples=0), dict(noise=-1.0), dict(noise=float("nan"))])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        make_moons(**{"n_samples": 10, **bad})
    with pytest.raises(ValueError, match="n_classes must be >= 2"):
        make_spirals(10, n_classes=1)


@pytest.mark.parametrize("name", MAKERS)
def test_load_dataset_synthetic(name):
    ds = load_dataset(name, seed=0)
    assert ds.name == name and ds.x_train.shape == (1000, 2) and ds.x_test.shape == (500, 2)
    assert ds.num_classes == (3 if name == "spirals" else 2)
    assert (
        ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    )  # "scale" is min-max on the train split
    again, other = load_dataset(name, seed=0), load_dataset(name, seed=1)
    np.testing.assert_array_equal(again.x_train, ds.x_train)
    assert not np.array_equal(other.x_train, ds.x_train)
    assert not np.array_equal(ds.x_train[:500], ds.x_test)  # test drawn after train, not a copy


def test_spirals_are_not_linearly_separable_but_learnable():
    """Least-squares linear fit stays far from perfect; nearest neighbour nearly perfect."""
    ds = load_dataset("spirals", seed=0, normalize="none")
    onehot = np.eye(3)[ds.y_train]
    design = np.c_[ds.x_train, np.ones(len(ds.x_train))]
    w, *_ = np.linalg.lstsq(design, onehot, rcond=None)
    linear = np.mean((np.c_[ds.x_test, np.ones(len(ds.x_test))] @ w).argmax(1) == ds.y_test)
    d2 = ((ds.x_test[:, None, :] - ds.x_train[None, :, :]) ** 2).sum(-1)
    nearest = np.mean(ds.y_train[d2.argmin(1)] == ds.y_test)
    assert linear < 0.7 and nearest > 0.9
