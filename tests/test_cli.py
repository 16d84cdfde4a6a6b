"""``minidl train`` / ``minidl eval`` through ``main([...])``: exit codes, files, resume, errors."""

import json

import numpy as np
import pytest

import minidl
from minidl.cli import main
from minidl.training import Trainer

FAST = ["--limit-train", "2000", "--limit-test", "1000", "--epochs", "2", "--quiet"]


def test_train_on_fashion_mnist_subset_writes_everything(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *FAST, "--hidden", "64", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.6  # chance is 0.1
    assert [set(r) >= {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds"}
            for r in metrics["history"]] == [True, True]
    assert metrics["history"][1]["train_loss"] < metrics["history"][0]["train_loss"]
    history = (out / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,train_loss,train_accuracy") and len(history) == 3
    model = minidl.load(out / "model.npz")
    assert repr(model[0]) == "Normalize(784)" and repr(model[1]) == "Dense(784 → 64)"
    assert "test accuracy" in capsys.readouterr().out


def test_train_on_spirals_learns(tmp_path):
    out = tmp_path / "spirals"
    args = ["train", "--data", "spirals", "--epochs", "40", "--hidden", "32", "32", "--lr", "0.05",
            "--batch-size", "32", "--quiet", "--out", str(out)]
    assert main(args) == 0
    assert json.loads((out / "metrics.json").read_text())["test_accuracy"] > 0.9


def test_eval_json_matches_training_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *FAST, "--hidden", "32", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["eval", str(out / "model.npz"), "--limit-test", "1000", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert result["accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert result["loss"] == pytest.approx(metrics["test_loss"], rel=1e-5)
    assert len(result["confusion_matrix"]) == 10 and "Ankle boot" in result["per_class_accuracy"]
    assert main(["eval", str(out / "model.npz"), "--limit-test", "500"]) == 0
    text = capsys.readouterr().out
    assert "accuracy" in text and "confusion matrix" in text and "Sneaker" in text


def weights(path):
    return [p.data for p in minidl.load(path).parameters()]


@pytest.mark.parametrize("extra", [[], ["--dropout", "0.3", "--batchnorm", "--optimizer", "adam"]])
def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path, extra):
    common = ["--limit-train", "1500", "--limit-test", "300", "--hidden", "32", "--quiet",
              "--schedule", "constant", *extra]
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(["train", *common, "--epochs", "5", "--out", str(straight)]) == 0
    assert main(["train", *common, "--epochs", "2", "--out", str(split)]) == 0
    assert main(["train", "--resume", str(split), "--epochs", "5", "--quiet"]) == 0
    for a, b in zip(weights(straight / "model.npz"), weights(split / "model.npz")):
        np.testing.assert_array_equal(a, b)
    history = json.loads((split / "metrics.json").read_text())["history"]
    assert [r["epoch"] for r in history] == [1, 2, 3, 4, 5]


def test_resume_after_a_kill_continues_the_planned_schedule(tmp_path, monkeypatch):
    """Kill a cosine-scheduled 4-epoch run after epoch 2, resume: same weights as 4 straight."""
    common = ["--limit-train", "1000", "--limit-test", "200", "--hidden", "16", "--quiet", "--epochs", "4"]
    assert main(["train", *common, "--out", str(tmp_path / "straight")]) == 0
    original_fit = Trainer.fit

    def killed_after_two_epochs(self, loader, epochs, **kwargs):
        original_fit(self, loader, 2, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "fit", killed_after_two_epochs)
    assert main(["train", *common, "--out", str(tmp_path / "killed")]) == 130
    monkeypatch.undo()
    assert main(["train", "--resume", str(tmp_path / "killed"), "--quiet"]) == 0
    for a, b in zip(weights(tmp_path / "straight" / "model.npz"), weights(tmp_path / "killed" / "model.npz")):
        np.testing.assert_array_equal(a, b)


def test_resume_refuses_changed_settings(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", "xor", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    assert main(["train", "--resume", str(out), "--hidden", "8"]) == 2
    assert "cannot change --hidden" in capsys.readouterr().err


def test_resume_from_a_missing_checkpoint(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path)]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs must be ≥ 1"),
    (["--lr", "-1"], "--lr must be a positive number"),
    (["--momentum", "1.5"], r"--momentum must be in \[0, 1\)"),
    (["--val-split", "1"], r"--val-split must be in \[0, 1\)"),
    (["--batch-size", "0"], "--batch-size must be ≥ 1"),
    (["--hidden", "0"], "--hidden widths must be ≥ 1"),
    (["--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["--epochs", "two"], "invalid int value: 'two'"),
])
def test_bad_values_exit_2_with_a_message(args, message, capsys):
    assert main(["train", *args]) == 2
    import re
    assert re.search(message, capsys.readouterr().err)


def test_unknown_dataset_exits_1_with_the_choices(capsys):
    assert main(["train", "--data", "imagenet", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "imagenet" in err and "fashion-mnist" in err


def test_corrupted_csv_is_reported_not_crashed(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("label,a,b\n0,1.0,2.0\n1,nan,3.0\n0,0.5,0.1\n1,0.2,0.3\n0,1,1\n")
    assert main(["train", "--data", str(path), "--quiet"]) == 1
    assert "bad.csv" in capsys.readouterr().err


def test_eval_of_a_corrupted_model(tmp_path, capsys):
    path = tmp_path / "model.npz"
    path.write_bytes(b"PK\x03\x04 not really")
    assert main(["eval", str(path)]) == 1
    assert "truncated or corrupted" in capsys.readouterr().err


def test_no_matplotlib_skips_plots_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("minidl.cli.train.plots_available", lambda: False)
    out = tmp_path / "run"
    assert main(["train", "--data", "moons", "--epochs", "1", "--out", str(out)]) == 0
    assert capsys.readouterr().out.count("matplotlib is not installed") == 1
    assert not (out / "curves.png").exists() and (out / "model.npz").exists()


def test_validation_split_keeps_the_best_model(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--data", "moons", "--epochs", "3", "--val-split", "0.2", "--quiet",
                 "--out", str(out)]) == 0
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert "val_accuracy" in history[0]
    assert (out / "best.npz").exists()


def test_help_lists_every_flag(capsys):
    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--hidden", "--activation", "--epochs", "--batch-size", "--lr", "--optimizer",
                 "--momentum", "--weight-decay", "--schedule", "--seed", "--dtype", "--val-split",
                 "--out", "--resume", "--quiet"):
        assert flag in text


def test_python_dash_m_works():
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "minidl", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout


def test_eval_refuses_a_model_for_other_data(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", "moons", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    assert main(["eval", str(out / "model.npz"), "--data", "fashion-mnist", "--limit-test", "10"]) == 1
    assert "the model expects 2 input features but fashion-mnist has 784" in capsys.readouterr().err


def test_divergence_stops_with_the_step_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    original = Trainer.train_step

    def poisoned(self, xb, yb):
        if self.step == 40:  # in epoch 2 (32 steps an epoch): a weight goes to infinity
            self.model[0].W[0, 0] = np.inf
        return original(self, xb, yb)

    monkeypatch.setattr(Trainer, "train_step", poisoned)
    out = tmp_path / "run"
    assert main(["train", "--data", "moons", "--epochs", "3", "--batch-size", "32", "--quiet",
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "diverged at step 41" in err and "layer 0 Dense(2 → 256)" in err
    assert "last good checkpoint" in err
    from minidl.io.checkpoint import load_checkpoint
    state = load_checkpoint(out / "checkpoint.npz")
    assert state.epoch == 1 and all(np.isfinite(p.data).all() for p in state.model.parameters())


def test_same_seed_gives_the_same_numbers(tmp_path):
    runs = []
    for name in ("a", "b"):
        assert main(["train", "--data", "xor", "--epochs", "3", "--seed", "7", "--quiet",
                     "--out", str(tmp_path / name)]) == 0
        runs.append(json.loads((tmp_path / name / "metrics.json").read_text()))
    strip = [[{k: v for k, v in r.items() if k != "seconds"} for r in m["history"]] for m in runs]
    assert strip[0] == strip[1] and runs[0]["test_accuracy"] == runs[1]["test_accuracy"]


def test_diagnostics_flag_writes_the_gradient_flow(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--data", "spirals", "--epochs", "2", "--diagnostics", "--quiet",
                 "--out", str(out)]) == 0
    records = json.loads((out / "diagnostics.json").read_text())
    assert records and "Dense" in json.dumps(records)


def test_threads_flag_reruns_with_the_blas_variables(tmp_path, monkeypatch):
    import minidl.cli.threads as threads
    calls = []
    monkeypatch.setattr(threads.subprocess, "call", lambda cmd, env: calls.append(env) or 0)
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    assert main(["train", "--threads", "1", "--quiet"]) == 0
    assert calls and calls[0]["OPENBLAS_NUM_THREADS"] == "1" and calls[0]["OMP_NUM_THREADS"] == "1"
    assert main(["train", "--threads", "0"]) == 2
