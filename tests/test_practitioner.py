"""The practitioner's path end to end: a saved model predicts from raw data, eval means what it
says, run directories, `minidl predict`, `--import` of a user's registered layer, early stopping
on a validation split, and clean errors where tracebacks were."""

import json
import subprocess
import sys

import numpy as np
import pytest

import minidl
from minidl.cli import main
from minidl.data.csvfile import read_csv

NAMES = ("setosa", "versicolor", "virginica")
SCALES = np.array([0.5, 300.0, 0.0005, 5.0])  # features on very different scales


def write_csv(path, n, seed):
    rng = np.random.default_rng(seed)
    lines = ["species,a,b,c,d"]
    for i in range(n):
        k = i % 3
        features = rng.standard_normal(4) * SCALES + np.array([1, 1000, 0.002, 40]) + k * 2.5 * SCALES
        lines.append(",".join([NAMES[k], *(f"{v:.6g}" for v in features)]))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("plants")
    train = write_csv(root / "plants.csv", 150, 0)
    holdout = write_csv(root / "holdout.csv", 50, 1)
    out = root / "run"
    assert main(["train", "--data", str(train), "--epochs", "30", "--normalize", "standardize",
                 "--quiet", "--out", str(out)]) == 0
    return root, out, holdout


def test_a_loaded_model_takes_raw_features(trained):
    _, out, holdout = trained
    model = minidl.load(out / "model.npz")
    table = read_csv(holdout)
    assert model.classes == list(NAMES)
    predicted = model.predict(table.x)
    assert predicted.dtype.kind == "U" and (predicted == table.labels).mean() > 0.85
    proba = model.predict_proba(table.x)
    assert proba.shape == (50, 3) and np.allclose(proba.sum(axis=1), 1)
    assert (np.asarray(model.classes)[proba.argmax(axis=1)] == predicted).all()


def test_eval_of_a_file_scores_every_row_and_agrees_with_predict(trained, capsys):
    _, out, holdout = trained
    capsys.readouterr()
    assert main(["eval", str(out), "--data", str(holdout), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["samples"] == 50 and report["whole_file"] is True
    table = read_csv(holdout)
    by_predict = (minidl.load(out / "model.npz").predict(table.x) == table.labels).mean()
    assert report["accuracy"] == pytest.approx(by_predict)


def test_eval_without_data_uses_the_runs_test_split_from_any_directory(trained, tmp_path, monkeypatch,
                                                                      capsys):
    _, out, _ = trained
    metrics = json.loads((out / "metrics.json").read_text())
    monkeypatch.chdir(tmp_path)  # elsewhere: the training data path must still resolve
    capsys.readouterr()
    assert main(["eval", str(out / "model.npz"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["whole_file"] is False and report["samples"] == 30
    assert report["accuracy"] == pytest.approx(metrics["test_accuracy"])


def test_eval_says_what_it_tried_when_the_training_data_is_gone(tmp_path, capsys):
    data = write_csv(tmp_path / "gone.csv", 60, 0)
    assert main(["train", "--data", str(data), "--epochs", "1", "--quiet", "--out", str(tmp_path / "r")]) == 0
    data.unlink()
    assert main(["eval", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "gone" in err and "tried" in err and "--data" in err


def test_predict_writes_one_row_per_row_with_and_without_labels(trained, capsys):
    root, out, holdout = trained
    target = root / "preds.csv"
    assert main(["predict", str(out), "--data", str(holdout), "--out", str(target), "--proba"]) == 0
    lines = target.read_text().splitlines()
    assert lines[0] == "prediction,p_setosa,p_versicolor,p_virginica" and len(lines) == 51
    unlabelled = root / "unlabelled.csv"
    rows = [line.split(",", 1)[1] for line in holdout.read_text().splitlines()]
    unlabelled.write_text("\n".join(rows) + "\n")
    capsys.readouterr()
    assert main(["predict", str(out / "model.npz"), "--data", str(unlabelled)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "prediction" and printed[1:] == [line.split(",")[0] for line in lines[1:]]


def test_a_bare_train_writes_numbered_run_directories_and_no_save_writes_nothing(tmp_path, monkeypatch,
                                                                                 capsys):
    monkeypatch.chdir(tmp_path)
    args = ["train", "--data", "xor", "--epochs", "1", "--quiet"]
    assert main(args) == 0 and main(args) == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["1", "2"]
    assert "to runs/2" in capsys.readouterr().out
    assert main([*args, "--no-save"]) == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["1", "2"]


def test_a_run_that_cannot_start_leaves_no_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", "no-such-set", "--quiet"]) == 1
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("make", ["file_parent", "unwritable"])
def test_out_that_cannot_be_used_is_a_clean_error(tmp_path, capsys, make):
    if make == "file_parent":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "sub"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        out = locked / "run"
        if __import__("os").access(locked, __import__("os").W_OK):
            pytest.skip("running as a user who can write anywhere")
    assert main(["train", "--data", "xor", "--epochs", "1", "--quiet", "--out", str(out)]) == 1
    assert "minidl train: error:" in capsys.readouterr().err


def test_patience_takes_a_validation_split_and_keeps_the_best_epoch(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", "spirals", "--epochs", "30", "--lr", "0.5", "--patience", "2",
                 "--hidden", "16", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "--val-split 0.1" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    losses = {r["epoch"]: r["val_loss"] for r in metrics["history"]}
    assert metrics["config"]["val_split"] == 0.1
    assert losses[metrics["chosen_epoch"]] == min(losses.values())
    best = minidl.load(out / "best.npz")
    saved = minidl.load(out / "model.npz")
    for a, b in zip(best.state_dict().values(), saved.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b)


LAYER_FILE = '''
import numpy as np
import minidl

@minidl.register_module
class FileLeakyReLU(minidl.Module):
    def __init__(self, slope=0.1):
        self.slope = slope
    def forward(self, x):
        self.cache = x
        return np.where(x > 0, x, self.slope * x)
    def backward(self, dout):
        """Y = max(X, aX)  =>  dX = dY * (1 if X > 0 else a)."""
        return dout * np.where(self.cached() > 0, 1.0, self.slope)
    def get_config(self):
        return {"slope": self.slope}
'''


def test_import_makes_a_users_layer_checkable_and_its_models_loadable(tmp_path, capsys):
    layers = tmp_path / "my_layers.py"
    layers.write_text(LAYER_FILE)
    assert main(["gradcheck", "--import", str(layers), "FileLeakyReLU"]) == 0
    assert "FileLeakyReLU" in capsys.readouterr().out
    cls = minidl.nn.registry.registered_module("FileLeakyReLU")
    model = minidl.Sequential(minidl.Dense(2, 8, rng=0), cls(0.2), minidl.Dense(8, 2, rng=1))
    minidl.save(model, tmp_path / "m.npz", metadata={"data": "xor"})
    assert main(["eval", str(tmp_path / "m.npz"), "--import", str(layers), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == 500
    assert main(["gradcheck", "--import", str(tmp_path / "missing.py"), "FileLeakyReLU"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_a_bare_minidl_prints_help_and_version_works(capsys):
    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"minidl {minidl.__version__}"


def test_a_closed_pipe_is_not_a_traceback():
    command = [sys.executable, "-c", "import sys; from minidl.cli import main; sys.exit(main(['gradcheck']))"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    proc.wait()
    assert "Traceback" not in err


def test_a_collapsing_epoch_suggests_one_thread():
    from minidl.cli.threads import ThreadCollapseWatch

    said = []
    watch = ThreadCollapseWatch(said.append, threads=2)
    for epoch, seconds in enumerate([1.0, 1.2, 9.0, 10.0], start=1):
        watch.on_epoch_end(None, {"epoch": epoch, "seconds": seconds})
    assert len(said) == 1 and "epoch 3" in said[0] and "--threads 1" in said[0]
    quiet = ThreadCollapseWatch(said.append, threads=1)
    for epoch, seconds in enumerate([1.0, 9.0], start=1):
        quiet.on_epoch_end(None, {"epoch": epoch, "seconds": seconds})
    assert len(said) == 1  # one thread cannot stall on its peers


def write_regression_csv(path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 3)) * [1, 100, 0.01]  # very different scales again
    target = 3 * x[:, 0] + 0.02 * x[:, 1] - 50 * x[:, 2] + 1000 + rng.normal(0, 0.1, n)
    rows = [",".join(f"{v:.8g}" for v in [t, *features]) for t, features in zip(target, x)]
    path.write_text("price,a,b,c\n" + "\n".join(rows) + "\n")
    return path


def test_regression_from_the_command_line_predicts_in_the_targets_units(tmp_path, capsys):
    data = write_regression_csv(tmp_path / "prices.csv")
    out = tmp_path / "reg"
    assert main(["train", "--task", "regression", "--data", str(data), "--epochs", "30", "--hidden", "32",
                 "--no-batchnorm", "--dropout", "0", "--lr", "0.05", "--quiet", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "regression" and metrics["test_r2"] > 0.9
    assert {"test_mae", "test_r2", "test_loss"} <= set(metrics["history"][-1])
    model = minidl.load(out / "model.npz")
    assert repr(model[-1]) == "Rescale(1)" and model.classes is None
    table = read_csv(data)
    predicted = model.predict(table.x)
    assert predicted.shape == (300,) and np.mean(np.abs(predicted - table.labels)) < 1.0  # targets ≈ 1000
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mae"] == pytest.approx(metrics["test_mae"], rel=1e-4)
    assert report["r2"] == pytest.approx(metrics["test_r2"], rel=1e-4)
    assert main(["predict", str(out), "--data", str(data), "--proba"]) == 1
    assert "regression" in capsys.readouterr().err


def test_regression_refuses_text_targets(tmp_path, capsys):
    data = tmp_path / "words.csv"
    data.write_text("y,a\nlow,1\nhigh,2\nlow,3\nhigh,4\nlow,5\n")
    assert main(["train", "--task", "regression", "--data", str(data), "--quiet", "--no-save"]) == 1
    assert "is not a number" in capsys.readouterr().err


def test_a_label_last_file_is_read_the_same_way_by_eval_and_predict(tmp_path, capsys):
    first = write_csv(tmp_path / "first.csv", 150, 0).read_text().splitlines()
    last = [",".join([*line.split(",")[1:], line.split(",")[0]]) for line in first]  # label moved last
    data = tmp_path / "last.csv"
    data.write_text("\n".join(last) + "\n")
    out = tmp_path / "run"
    assert main(["train", "--data", str(data), "--label-column", "-1", "--epochs", "20",
                 "--normalize", "standardize", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--data", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["samples"] == 150
    unlabelled = tmp_path / "features.csv"
    unlabelled.write_text("\n".join(line.rsplit(",", 1)[0] for line in last) + "\n")
    assert main(["predict", str(out), "--data", str(unlabelled)]) == 0
    predicted = capsys.readouterr().out.splitlines()[1:]
    truth = [line.rsplit(",", 1)[1] for line in last[1:]]
    assert np.mean(np.array(predicted) == np.array(truth)) > 0.85


def test_eval_reports_precision_recall_and_f1_per_class_and_macro(trained, capsys):
    _, out, holdout = trained
    capsys.readouterr()
    assert main(["eval", str(out), "--data", str(holdout), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["f1"]) == set(NAMES) and 0 < report["macro_f1"] <= 1
    assert report["recall"] == pytest.approx(report["per_class_accuracy"])
    assert main(["eval", str(out), "--data", str(holdout)]) == 0
    printed = capsys.readouterr().out
    assert "precision" in printed and "macro" in printed


def test_a_resumed_run_shows_the_configured_lr_and_labels_its_times(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", "xor", "--epochs", "2", "--lr", "0.2", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--epochs", "3"]) == 0
    printed = capsys.readouterr().out
    assert "SGD(lr=0.2," in printed  # the configured peak, not the schedule's last value
    assert "since resuming at epoch 2" in printed


def test_viz_takes_a_run_directory_and_reads_the_width_off_normalize(trained, capsys):
    _, out, _ = trained
    capsys.readouterr()
    assert main(["viz", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("digraph") and "Normalize(4)" in text
