"""The training loop and its parts: schedules, callbacks, clipping, divergence, metrics."""

import math

import numpy as np
import pytest

from minidl import SGD, Dense, ReLU, Sequential, SoftmaxCrossEntropy, Tanh
from minidl.data import DataLoader
from minidl.nn.models import mlp
from minidl.optim import clip_grad_norm
from minidl.training import (
    BestCheckpoint,
    ConstantLR,
    CosineLR,
    EarlyStopping,
    StepLR,
    Trainer,
    TrainingDiverged,
    confusion_matrix,
    evaluate,
    make_schedule,
)


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.0]])
    return (centres[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32), y


def test_trainer_learns_and_records_history():
    x, y = blobs()
    model = mlp([2, 16, 3], rng=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1, momentum=0.9),
                      progress=False, log=lambda *a: None)
    history = trainer.fit(DataLoader(x, y, 32, rng=0), epochs=5, test_data=blobs(100, 1))
    assert [r["epoch"] for r in history] == [1, 2, 3, 4, 5]
    assert set(history[0]) == {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
                               "lr", "seconds"}
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["test_accuracy"] > 0.9


def test_initial_loss_is_log_of_class_count():
    """A freshly initialised classifier is ~uniform: L ≈ ln C (CS231n's first sanity check)."""
    x = np.random.default_rng(0).random((500, 784), dtype=np.float32)
    model = mlp([784, 64, 10], rng=0)
    model[-1].W *= 0.01
    loss = SoftmaxCrossEntropy()(model(x), np.random.default_rng(1).integers(0, 10, 500))
    assert loss == pytest.approx(math.log(10), rel=0.02)


def test_divergence_names_the_step_and_the_layer():
    x, y = blobs()
    model = Sequential(Dense(2, 8, rng=0), Tanh(), Dense(8, 3, rng=0))
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1), progress=False,
                      log=lambda *a: None)
    trainer.fit(DataLoader(x, y, 50, rng=0), epochs=1)
    model[2].W[0, 0] = np.inf  # the last layer's output goes non-finite on the next step
    with pytest.raises(TrainingDiverged, match=r"at step 5: the logits are not finite; first non-finite "
                                               r"output: layer 2 Dense\(8 → 3\)"):
        trainer.fit(DataLoader(x, y, 50, rng=0), epochs=2, start_epoch=1)


def test_early_stopping_stops_after_patience():
    stopper = EarlyStopping("val_loss", patience=2)

    class Fake:
        stop_training = False
        log = staticmethod(lambda *a: None)

    trainer = Fake()
    for epoch, loss in enumerate([1.0, 0.9, 0.95, 0.91], start=1):
        stopper.on_epoch_end(trainer, {"epoch": epoch, "val_loss": loss})
    assert trainer.stop_training and stopper.best == 0.9


def test_best_checkpoint_keeps_the_best_model(tmp_path):
    import minidl

    model = mlp([2, 3], rng=0)
    keeper = BestCheckpoint(tmp_path / "best.npz", "val_accuracy")

    class Fake:
        pass

    trainer = Fake()
    trainer.model = model
    keeper.on_epoch_end(trainer, {"epoch": 1, "val_accuracy": 0.8})
    saved = model[0].W.copy()
    model[0].W += 1
    keeper.on_epoch_end(trainer, {"epoch": 2, "val_accuracy": 0.7})  # worse: not saved
    np.testing.assert_array_equal(minidl.load(tmp_path / "best.npz")[0].W, saved)
    assert keeper.best_epoch == 1


def test_schedules():
    assert ConstantLR(0.1)(1000) == 0.1
    warm = ConstantLR(0.1, warmup_steps=4)
    assert [warm(s) for s in range(5)] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1])
    step = StepLR(1.0, step_size=10, gamma=0.5)
    assert (step(0), step(9), step(10), step(25)) == (1.0, 1.0, 0.5, 0.25)
    cos = CosineLR(1.0, total_steps=100)
    assert cos(0) == 1.0 and cos(50) == pytest.approx(0.5) and cos(100) == pytest.approx(0.0)
    sched = make_schedule("cosine", 0.1, epochs=10, steps_per_epoch=10, warmup_epochs=1)
    lrs = [sched(s) for s in range(100)]
    assert max(lrs) == pytest.approx(0.1) and np.argmax(lrs) == 9 and lrs[-1] < 1e-4
    with pytest.raises(ValueError, match="unknown schedule 'linear'"):
        make_schedule("linear", 0.1, epochs=1, steps_per_epoch=1)


def test_clip_grad_norm():
    model = mlp([3, 2], rng=0)
    for p in model.parameters():
        p.grad[...] = 3.0  # 8 elements of 3: norm √72
    norm = clip_grad_norm(model.parameters(), 1.0)
    assert norm == pytest.approx(math.sqrt(72))
    total = math.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))
    assert total == pytest.approx(1.0, rel=1e-6)
    assert clip_grad_norm(model.parameters(), 10.0) == pytest.approx(1.0, rel=1e-6)  # no change


def test_confusion_matrix_and_evaluate():
    cm = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    model = Sequential(Dense(2, 2, rng=0, dtype="float64"), ReLU())
    x, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1])
    result = evaluate(model, SoftmaxCrossEntropy(), x, y, 2)
    assert set(result) == {"loss", "accuracy", "per_class_accuracy", "confusion_matrix",
                           "precision", "recall", "f1", "support",
                           "macro_precision", "macro_recall", "macro_f1"}
    assert result["confusion_matrix"].sum() == 2


def test_overfits_twenty_samples():
    """A network that cannot overfit 20 samples has a bug (CS231n's second sanity check)."""
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 784), dtype=np.float32), rng.integers(0, 10, 20)
    model = mlp([784, 64, 10], rng=0)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1, momentum=0.9),
                      progress=False, log=lambda *a: None)
    history = trainer.fit(DataLoader(x, y, 20, rng=0), epochs=60)
    assert history[-1]["train_accuracy"] == 1.0
