"""The fast training path: reused arrays, skipped input gradients, flushed subnormals —
each must change no number, and a steady-state step must allocate no batch-sized array."""

import tracemalloc

import numpy as np
import pytest

from minidl import SGD, Adam, Dense, Parameter, ReLU, Sequential, SoftmaxCrossEntropy
from minidl.data import DataLoader
from minidl.models import mlp
from minidl.training import Trainer


def batches(seed=0, n=512, d=784):
    rng = np.random.default_rng(seed)
    return rng.random((n, d), dtype=np.float32), rng.integers(0, 10, n)


def trained_weights(reuse: bool, steps=6):
    x, y = batches()
    model = mlp([784, 64, 32, 10], rng=0)
    model.use_workspace(reuse)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    loss_fn = SoftmaxCrossEntropy()
    for i in range(steps):
        xb, yb = x[i * 64:(i + 1) * 64], y[i * 64:(i + 1) * 64]
        loss_fn(model(xb), yb)
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    return [p.data.copy() for p in model.parameters()]


def test_workspace_changes_no_number():
    for a, b in zip(trained_weights(False), trained_weights(True)):
        np.testing.assert_array_equal(a, b)


def test_workspace_reuses_arrays_only_when_on():
    layer = Dense(4, 3, rng=0)
    x = np.ones((2, 4), dtype=np.float32)
    assert layer(x) is not layer(x)
    layer.use_workspace(True)
    first = layer(x)
    assert layer(x) is first  # the same array, overwritten
    layer.use_workspace(False)
    assert "_workspace" not in vars(layer)


def test_backward_params_matches_backward():
    x, _ = batches(n=16, d=20)
    a = Sequential(Dense(20, 8, rng=0, dtype="float64"), ReLU(), Dense(8, 3, rng=1, dtype="float64"))
    b = Sequential(Dense(20, 8, rng=0, dtype="float64"), ReLU(), Dense(8, 3, rng=1, dtype="float64"))
    g = np.random.default_rng(1).standard_normal((16, 3))
    a(x), b(x)
    assert a.backward(g).shape == (16, 20)
    assert b.backward_params(g) is None
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.grad, pb.grad)


def test_backward_params_runs_a_subclass_own_backward():
    calls = []

    class Mine(Dense):
        def backward(self, dout):
            """Z = X W + b  ⇒  the parent's equations, recording the call."""
            calls.append("mine")
            return super().backward(dout)

    layer = Mine(3, 2, rng=0)
    layer(np.ones((2, 3), dtype=np.float32))
    layer.backward_params(np.ones((2, 2), dtype=np.float32))
    assert calls == ["mine"]


@pytest.mark.parametrize("make_opt", [
    lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
    lambda ps: Adam(ps, lr=1e-3),
])
def test_steady_state_step_allocates_no_batch_sized_array(make_opt):
    """After warm-up, a training step's peak of new memory stays far below one (128, 256)
    float32 activation (128 KiB): every batch-sized intermediate is a reused array."""
    x, y = batches(n=128 * 6)
    model = mlp([784, 256, 128, 10], rng=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), make_opt(model.parameters()), progress=False,
                      log=lambda *a: None)
    loader = DataLoader(x, y, 128, shuffle=False)
    model.use_workspace(True)
    steps = iter(loader)
    for _ in range(3):  # warm-up: the workspace is built
        trainer.train_step(*next(steps))
    tracemalloc.start()
    try:
        for xb, yb in steps:
            tracemalloc.reset_peak()
            before, _ = tracemalloc.get_traced_memory()
            trainer.train_step(xb, yb)
            _, peak = tracemalloc.get_traced_memory()
            assert peak - before < 64 * 1024, f"a step allocated {peak - before} bytes at its peak"
    finally:
        tracemalloc.stop()
        model.use_workspace(False)


def test_optimizer_buffers_are_not_reallocated():
    p = Parameter(np.ones(5, dtype=np.float32))
    opt = Adam([p])
    ids = [id(a) for arrays in opt._state_arrays().values() for a in arrays]
    for _ in range(3):
        p.grad[...] = 0.1
        opt.step()
    assert [id(a) for arrays in opt._state_arrays().values() for a in arrays] == ids


def test_subnormal_momentum_is_flushed_to_zero():
    p = Parameter(np.zeros(3, dtype=np.float32))
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt._velocity[0][...] = [1e-35, 2e-38, 1.0]
    for _ in range(SGD.FLUSH_EVERY):
        opt.step()
    v = opt._velocity[0]
    assert v[0] == 0 and v[1] == 0 and v[2] > 0


def test_float64_state_is_left_alone():
    p = Parameter(np.zeros(2))
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt._velocity[0][...] = [1e-35, 1.0]
    for _ in range(SGD.FLUSH_EVERY):
        opt.step()
    assert opt._velocity[0][0] > 0


def test_adam_leaves_tiny_moments_alone_when_eps_cannot_absorb_them():
    """With eps = 0 the update m̂/√v̂ does not shrink with the gradient: a flush would change it."""
    p = Parameter(np.zeros(3, dtype=np.float32))
    opt = Adam([p], lr=1e-3, eps=0.0)
    for _ in range(Adam.FLUSH_EVERY + 1):
        p.grad = np.full(3, 1e-16, dtype=np.float32)
        opt.step()
    np.testing.assert_allclose(p.data, -1e-3 * (Adam.FLUSH_EVERY + 1), rtol=1e-3)
