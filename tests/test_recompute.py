"""Gradient checkpointing: bit-identical gradients, less memory held, the same training."""

import numpy as np
import pytest

from minidl import SGD, Sequential, SoftmaxCrossEntropy, load, save
from minidl.data import DataLoader
from minidl.gradcheck import check_module
from minidl.nn.memory import memory_report
from minidl.nn.models import mlp
from minidl.nn.recompute import split
from minidl.training import Trainer


def deep(dropout=0.0, batchnorm=False, dtype="float64", width=16, depth=8, seed=0):
    return mlp([10] + [width] * depth + [4], rng=seed, dtype=dtype, dropout=dropout, batchnorm=batchnorm)


def gradients(model, x, g):
    model.zero_grad()
    out = model(x)
    dx = model.backward(g)
    return out, dx, [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("segments", [1, 2, 3, 5, 17])
@pytest.mark.parametrize("dropout, batchnorm", [(0.0, False), (0.3, False), (0.2, True)])
def test_gradients_are_bit_identical(segments, dropout, batchnorm):
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((12, 10)), rng.standard_normal((12, 4))
    plain = deep(dropout, batchnorm)
    checkpointed = Sequential(*deep(dropout, batchnorm).layers, recompute_segments=segments)
    for _ in range(2):  # twice: RNG states and running statistics must stay in step too
        out_a, dx_a, grads_a = gradients(plain, x, g)
        out_b, dx_b, grads_b = gradients(checkpointed, x, g)
        np.testing.assert_array_equal(out_a, out_b)
        np.testing.assert_array_equal(dx_a, dx_b)
        for a, b in zip(grads_a, grads_b):
            np.testing.assert_array_equal(a, b)
    for (name, a), (_, b) in zip(plain.state_dict().items(), checkpointed.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)  # running stats updated once per step


def test_checkpointing_holds_fewer_bytes():
    plain = deep(width=64, depth=16)
    checkpointed = Sequential(*deep(width=64, depth=16).layers, recompute_segments=4)
    held, full = memory_report(checkpointed, 128).cached_bytes, memory_report(plain, 128).cached_bytes
    assert held < full / 4
    assert "segment boundaries" in memory_report(checkpointed, 128).table()


def test_checkpointed_model_passes_the_gradient_check():
    model = Sequential(*deep(width=6, depth=4).layers, recompute_segments=3)
    x = np.random.default_rng(0).standard_normal((5, 10))
    check_module(model, x, rng=0).raise_if_failed()


def test_training_is_identical_with_and_without_checkpointing():
    rng = np.random.default_rng(0)
    x, y = rng.random((256, 10), dtype=np.float32), rng.integers(0, 4, 256)
    weights = []
    for segments in (None, 3):
        model = Sequential(*deep(dropout=0.1, dtype="float32").layers, recompute_segments=segments)
        # the teaching path for both: bit for bit is the claim, and a plan folds the learning
        # rate into the plain model's gradients (equal to rounding) but not into a recomputing one's
        trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1, momentum=0.9),
                          progress=False, log=lambda *a: None, planned=False)
        trainer.fit(DataLoader(x, y, 32, rng=0), epochs=2)
        weights.append([p.data.copy() for p in model.parameters()])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_save_and_load_keep_the_segments(tmp_path):
    model = Sequential(*deep().layers, recompute_segments=4)
    save(model, tmp_path / "m.npz")
    assert load(tmp_path / "m.npz").recompute_segments == 4


def test_split_is_contiguous_and_balanced():
    runs = split(list(range(10)), 4)
    assert runs == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    assert split(list(range(3)), 3) == [[0], [1], [2]]


@pytest.mark.parametrize("segments", [0, 99, 2.5])
def test_bad_segment_counts(segments):
    with pytest.raises(ValueError, match="recompute_segments must be an integer in"):
        Sequential(*deep().layers, recompute_segments=segments)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="backward called before forward"):
        Sequential(*deep().layers, recompute_segments=2).backward(np.zeros((1, 4)))
