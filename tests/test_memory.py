"""memory_report: measured cache sizes, and no side effects on the model."""

import numpy as np

from minidl import SGD
from minidl.nn.memory import memory_report
from minidl.nn.models import mlp


def test_dense_caches_its_input_and_relu_its_mask():
    model = mlp([100, 50, 10], rng=0)
    report = memory_report(model, 32)
    cached = [r["cached_bytes"] for r in report.rows]
    assert cached == [32 * 100 * 4, 32 * 50 * 1, 32 * 50 * 4]  # X (float32), mask (bool), H
    assert report.parameter_bytes == (100 * 50 + 50 + 50 * 10 + 10) * 4
    assert "Dense(100 → 50)" in report.table()


def test_shared_arrays_are_counted_once():
    model = mlp([20, 8, 3], "tanh", rng=0, dtype="float64")
    rows = memory_report(model, 4).rows
    assert rows[1]["cached_bytes"] == 4 * 8 * 8 and rows[2]["cached_bytes"] == 0  # Tanh's output


def test_optimizer_state_is_reported():
    model = mlp([10, 5, 2], rng=0)
    report = memory_report(model, 8, optimizer=SGD(model.parameters(), lr=0.1, momentum=0.9))
    assert report.optimizer_bytes == report.parameter_bytes


def test_report_leaves_the_model_as_it_was():
    model = mlp([6, 4, 2], rng=0, dropout=0.5, batchnorm=True)
    model.eval()
    state = {k: v.copy() for k, v in model.state_dict().items()}
    rng_state = model[3].rng_state()
    memory_report(model, 16)
    assert not model.training
    assert model[3].rng_state() == rng_state
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
