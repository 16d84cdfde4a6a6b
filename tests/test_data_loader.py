"""DataLoader (batches, shuffling, resume) and train_val_split."""

import json

import numpy as np
import pytest

from minidl.data import DataLoader, train_val_split


def data(n=103, d=4):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    return x, np.arange(n, dtype=np.int64)  # y[i] = i identifies each sample


def epoch_ids(loader):
    return [yb.copy() for _, yb in loader]


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_every_sample_once_per_epoch(shuffle, drop_last):
    x, y = data()
    loader = DataLoader(x, y, batch_size=10, shuffle=shuffle, rng=0, drop_last=drop_last)
    assert len(loader) == (10 if drop_last else 11) and loader.num_samples == 103
    for _ in range(3):
        batches = list(loader)
        assert len(batches) == len(loader)
        seen = np.concatenate([yb for _, yb in batches])
        for xb, yb in batches:
            np.testing.assert_array_equal(xb, x[yb])  # features stay with their labels
        if drop_last:
            assert [len(yb) for _, yb in batches] == [10] * 10 and len(np.unique(seen)) == 100
        else:
            assert [len(yb) for _, yb in batches] == [10] * 10 + [3]
            np.testing.assert_array_equal(np.sort(seen), y)
        assert np.array_equal(seen[:100], y[:100]) != shuffle


def test_batch_shapes_for_images():
    x = np.zeros((50, 1, 28, 28), np.float32)
    shapes = [xb.shape for xb, _ in DataLoader(x, np.zeros(50, np.int64), batch_size=32, rng=0)]
    assert shapes == [(32, 1, 28, 28), (18, 1, 28, 28)]


def test_epochs_differ_and_seeds_reproduce():
    x, y = data()
    a, b = DataLoader(x, y, 16, rng=5), DataLoader(x, y, 16, rng=5)
    first, second = epoch_ids(a), epoch_ids(a)
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    for got, want in zip(epoch_ids(b) + epoch_ids(b), first + second, strict=True):
        np.testing.assert_array_equal(got, want)
    other = np.concatenate(epoch_ids(DataLoader(x, y, 16, rng=6)))
    assert not np.array_equal(other, np.concatenate(first))


def test_generator_is_used_not_copied():
    x, y = data()
    gen = np.random.default_rng(0)
    list(DataLoader(x, y, 16, rng=gen))
    assert gen.bit_generator.state != np.random.default_rng(0).bit_generator.state


def test_batches_are_contiguous_gathers_and_unshuffled_ones_are_views():
    x, y = data()
    loader = DataLoader(x, y, batch_size=10, rng=0)
    perm = np.random.default_rng(0).permutation(len(x))  # the loader's first permutation
    for i, (xb, yb) in enumerate(loader):
        assert xb.flags.c_contiguous and not np.shares_memory(xb, x)  # training can't touch x
        np.testing.assert_array_equal(xb, x[perm[i * 10:(i + 1) * 10]])
        np.testing.assert_array_equal(yb, y[perm[i * 10:(i + 1) * 10]])
    for xb, yb in DataLoader(x, y, batch_size=10, shuffle=False):
        assert np.shares_memory(xb, x) and np.shares_memory(yb, y)  # unshuffled: views of x itself


def test_batches_survive_the_next_epoch():
    x, y = data()
    loader = DataLoader(x, y, batch_size=10, rng=0)
    kept = list(loader)
    snapshot = [yb.copy() for _, yb in kept]
    list(loader)
    for (_, yb), want in zip(kept, snapshot, strict=True):
        np.testing.assert_array_equal(yb, want)


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox])
def test_resume_after_epoch_k_replays_epoch_k_plus_1(bit_generator):
    x, y = data()
    straight = DataLoader(x, y, 8, rng=np.random.Generator(bit_generator(11)))
    epochs = [epoch_ids(straight) for _ in range(5)]

    first = DataLoader(x, y, 8, rng=np.random.Generator(bit_generator(11)))
    for _ in range(2):
        list(first)
    state = json.loads(json.dumps(first.state_dict()))  # must survive a JSON checkpoint

    resumed = DataLoader(x, y, 8, rng=np.random.Generator(bit_generator(999)))
    resumed.load_state_dict(state)
    for k in range(2, 5):
        for got, want in zip(epoch_ids(resumed), epochs[k], strict=True):
            np.testing.assert_array_equal(got, want)


def test_resume_mid_epoch_continues_with_the_next_batch():
    x, y = data()
    straight = DataLoader(x, y, 8, rng=3)
    list(straight)
    want = epoch_ids(straight) + epoch_ids(straight)

    loader = DataLoader(x, y, 8, rng=3)
    list(loader)
    iterator = iter(loader)
    done = [next(iterator)[1].copy() for _ in range(5)]
    state = json.loads(json.dumps(loader.state_dict()))
    assert state["position"] == 5

    resumed = DataLoader(x, y, 8, rng=0)
    resumed.load_state_dict(state)
    got = done + epoch_ids(resumed) + epoch_ids(resumed)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_state_survives_a_save_before_iterating_and_an_unexhausted_epoch():
    x, y = data()
    straight = DataLoader(x, y, 8, rng=3)
    want = epoch_ids(straight) + epoch_ids(straight)

    loader = DataLoader(x, y, 8, rng=3)
    iterator = iter(loader)
    for _ in range(3):
        next(iterator)
    first = DataLoader(x, y, 8, rng=0)
    first.load_state_dict(loader.state_dict())
    second = DataLoader(x, y, 8, rng=0)
    second.load_state_dict(first.state_dict())  # saved again before iterating: still batch 3
    assert [b.tolist() for b in epoch_ids(second)] == [b.tolist() for b in want[3:13]]

    taken = DataLoader(x, y, 8, rng=3)
    for _, _ in zip(range(len(taken)), taken, strict=False):  # every batch, iterator left open
        pass
    resumed = DataLoader(x, y, 8, rng=0)
    resumed.load_state_dict(taken.state_dict())
    assert [b.tolist() for b in epoch_ids(resumed)] == [b.tolist() for b in want[13:]]


def test_state_of_a_different_loader_is_refused():
    x, y = data()
    state = DataLoader(x, y, 8, rng=0).state_dict()
    with pytest.raises(ValueError, match="state has batch_size=8, this loader 16"):
        DataLoader(x, y, 16, rng=0).load_state_dict(state)
    with pytest.raises(ValueError, match="state has num_samples=103, this loader 50"):
        DataLoader(x[:50], y[:50], 8, rng=0).load_state_dict(state)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
        (dict(batch_size=2.5), "batch_size must be a positive integer, got 2.5"),
        (dict(batch_size=True), "batch_size must be a positive integer, got True"),
        (dict(batch_size=200, drop_last=True), "drop_last=True with batch_size 200 > 103 samples"),
    ],
)
def test_bad_arguments(kwargs, message):
    x, y = data()
    with pytest.raises(ValueError, match=message):
        DataLoader(x, y, **kwargs)


def test_bad_data():
    x, y = data()
    with pytest.raises(ValueError, match=r"same length N, got shapes \(103, 4\) and \(102,\)"):
        DataLoader(x, y[:-1])
    with pytest.raises(ValueError, match="empty"):
        DataLoader(x[:0], y[:0])


# ---------------------------------------------------------------- train_val_split


def test_split_is_disjoint_complete_and_deterministic():
    x, y = data(1000)
    x_tr, y_tr, x_val, y_val = train_val_split(x, y, 0.1, rng=0)
    assert len(y_val) == 100 and len(y_tr) == 900
    assert not set(y_tr.tolist()) & set(y_val.tolist())
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_val])), y)
    np.testing.assert_array_equal(x_tr, x[y_tr])
    assert np.all(np.diff(y_tr) > 0)  # original order kept within each part
    again = train_val_split(x, y, 0.1, rng=0)
    np.testing.assert_array_equal(again[3], y_val)
    assert not np.array_equal(train_val_split(x, y, 0.1, rng=1)[3], y_val)


def test_split_zero_fraction_and_rounding():
    x, y = data(10)
    x_tr, y_tr, x_val, y_val = train_val_split(x, y, 0.0, rng=0)
    assert len(y_tr) == 10 and x_val.shape == (0, 4)
    assert len(train_val_split(x, y, 0.01, rng=0)[3]) == 1  # any positive fraction holds out one
    x, y = data(100)
    assert len(train_val_split(x, y, 0.07, rng=0)[3]) == 7  # not 8 from 0.07 * 100 = 7.000...01


@pytest.mark.parametrize("fraction", [1.0, -0.1, 1.5, float("nan"), "0.1", True])
def test_split_fraction_outside_range(fraction):
    x, y = data(10)
    with pytest.raises(ValueError, match="val_fraction must be"):
        train_val_split(x, y, fraction, rng=0)


def test_split_leaving_no_training_sample():
    x, y = data(2)
    with pytest.raises(ValueError, match="leaves none to train on"):
        train_val_split(x, y, 0.9, rng=0)
    with pytest.raises(ValueError, match="same length"):
        train_val_split(x, y[:1], 0.5, rng=0)
