"""Finite blow-ups (hidden from the NaN check by BatchNorm) stop training with a message
naming the step and the layer; a last batch of one sample does not crash BatchNorm."""

from __future__ import annotations

import numpy as np
import pytest

from minidl import SGD, Adam, BatchNorm1d, Dense, ReLU, Sequential, SoftmaxCrossEntropy
from minidl.data import DataLoader
from minidl.training import Trainer, TrainingDiverged
from minidl.training.divergence import DivergenceWatch


def _data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def _model():
    return Sequential(Dense(4, 16, rng=0), BatchNorm1d(16), ReLU(), Dense(16, 2, rng=1))


@pytest.mark.parametrize("planned", [True, False])
@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=1e6), lambda p: SGD(p, lr=1e6, momentum=0.99),
                                  lambda p: Adam(p, lr=1e5)])
def test_a_blow_up_hidden_by_batchnorm_stops_training(planned, make):
    x, y = _data()
    model = _model()
    trainer = Trainer(model, SoftmaxCrossEntropy(), make(model.parameters()), progress=False,
                      log=lambda *a: None, planned=planned)
    with pytest.raises(TrainingDiverged, match=r"training diverged at step \d+: the (loss|weights)"):
        trainer.fit(DataLoader(x, y, batch_size=32, rng=0), epochs=3)


def test_the_weight_check_names_the_layer():
    model = _model()
    watch = DivergenceWatch(factor=1e4, every=1)
    watch.after_step(1, 0.7, model)
    model[0].W[...] *= 1e6
    with pytest.raises(TrainingDiverged, match=r"step 2: the weights of layer 0.W \(Dense\(4 → 16\)\)"):
        watch.after_step(2, 0.7, model)


def test_a_normal_run_is_not_stopped():
    x, y = _data()
    model = _model()
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1, momentum=0.9),
                      progress=False, log=lambda *a: None)
    history = trainer.fit(DataLoader(x, y, batch_size=32, rng=0), epochs=3)
    assert len(history) == 3


@pytest.mark.parametrize("planned", [True, False])
def test_a_last_batch_of_one_with_batchnorm_is_skipped_not_fatal(planned):
    x, y = _data(129)
    model = _model()
    notes = []
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1), progress=False,
                      log=notes.append, planned=planned)
    trainer.fit(DataLoader(x, y, batch_size=32, rng=0), epochs=2)
    assert trainer.step == 2 * 5  # the skipped batch still counts: schedules and resume agree
    assert sum("skipping the last batch" in n for n in notes) == 1


def test_an_evaluated_loss_far_above_the_start_stops_training():
    watch = DivergenceWatch()
    watch.after_step(1, 1.3, _model())
    watch.after_evaluation(1, "test", 5.0)  # worse, but nothing like a blow-up
    with pytest.raises(TrainingDiverged, match=r"by epoch 2: the test loss is 3\.871e\+05"):
        watch.after_evaluation(2, "test", 387078.34)
