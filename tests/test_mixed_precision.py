"""float16 training: master weights, dynamic loss scaling, skipped steps, resume."""

import json

import numpy as np
import pytest

import minidl
from minidl import SGD, SoftmaxCrossEntropy
from minidl.cli import main
from minidl.data import DataLoader, load_dataset
from minidl.nn.models import mlp
from minidl.training import MixedPrecision, Trainer


def spirals_trainer(init_scale=2.0 ** 15):
    ds = load_dataset("spirals", seed=0)
    model = mlp([2, 32, 32, 3], rng=0, dtype="float16")
    mp = MixedPrecision(model, init_scale=init_scale)
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(mp.master_parameters(), lr=0.05, momentum=0.9),
                      progress=False, log=lambda *a: None, mixed_precision=mp)
    return ds, model, mp, trainer


def test_float16_training_makes_progress_on_spirals():
    ds, model, mp, trainer = spirals_trainer()
    history = trainer.fit(DataLoader(ds.x_train.astype(np.float16), ds.y_train, 32, rng=0), epochs=15,
                          test_data=(ds.x_test.astype(np.float16), ds.y_test))
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["test_accuracy"] > 0.85
    assert all(p.dtype == np.float16 for p in model.parameters())
    assert all(m.dtype == np.float32 for m in mp.master_parameters())
    for p, m in zip(model.parameters(), mp.master_parameters()):
        np.testing.assert_array_equal(p.data, m.data.astype(np.float16))  # refreshed every step
    assert mp.steps == 15 * 32 and mp.skipped_steps >= 0


def test_overflow_skips_the_step_and_halves_the_scale():
    ds, model, mp, trainer = spirals_trainer(init_scale=2.0 ** 40)  # ∂(S·L) overflows float16
    before = [p.data.copy() for p in model.parameters()]
    trainer.train_step(ds.x_train[:32].astype(np.float16), ds.y_train[:32])
    assert mp.skipped_steps == 1 and mp.scale == 2.0 ** 39
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, b)
    for _ in range(40):  # the scale comes down until steps go through
        trainer.train_step(ds.x_train[:32].astype(np.float16), ds.y_train[:32])
    assert mp.steps - mp.skipped_steps > 0 and mp.scale < 2.0 ** 30


def test_scale_grows_after_clean_steps():
    ds, model, mp, trainer = spirals_trainer(init_scale=4.0)
    mp.growth_interval = 5
    for _ in range(10):
        trainer.train_step(ds.x_train[:32].astype(np.float16), ds.y_train[:32])
    assert mp.scale == 16.0 and mp.skipped_steps == 0


def test_needs_a_float16_model():
    with pytest.raises(TypeError, match="parameters must be float16"):
        MixedPrecision(mlp([2, 3], rng=0))


def test_cli_float16_reports_skipped_steps_and_resumes_bit_identically(tmp_path, capsys):
    common = ["--data", "spirals", "--dtype", "float16", "--hidden", "16", "--schedule", "constant",
              "--batch-size", "32", "--lr", "0.05", "--quiet"]
    assert main(["train", *common, "--epochs", "4", "--out", str(tmp_path / "a")]) == 0
    assert "steps skipped for overflow" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert set(metrics["mixed_precision"]) == {"skipped_steps", "steps", "underflows", "loss_scale"}
    assert main(["train", *common, "--epochs", "2", "--out", str(tmp_path / "b")]) == 0
    assert main(["train", "--resume", str(tmp_path / "b"), "--epochs", "4", "--quiet"]) == 0
    a, b = minidl.load(tmp_path / "a" / "model.npz"), minidl.load(tmp_path / "b" / "model.npz")
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert pa.dtype == np.float16
        np.testing.assert_array_equal(pa.data, pb.data)


def test_underflows_are_counted_and_fewer_with_a_larger_scale():
    counts = []
    for scale in (1.0, 2.0 ** 12):
        ds, model, mp, trainer = spirals_trainer(init_scale=scale)
        mp.growth_interval = 10 ** 6  # keep the scale fixed for the comparison
        for i in range(10):
            batch = slice(i * 32, (i + 1) * 32)
            trainer.train_step(ds.x_train[batch].astype(np.float16), ds.y_train[batch])
        counts.append(mp.underflows)
    assert counts[0] > counts[1]
