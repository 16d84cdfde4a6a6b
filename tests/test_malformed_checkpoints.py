"""Checkpoints whose records were edited (checksums still valid), and resumes onto changed
data: each refused with one clear error before anything trains — never a traceback."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from malformed_files import rewrite

from minidl.cli import main
from minidl.io.checkpoint import load_checkpoint
from minidl.io.npz import FileFormatError


def _write_csv(path, rows=90, features=3, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(rows) % classes
    x = rng.normal(size=(rows, features)) + y[:, None]
    lines = ["label," + ",".join(f"f{j}" for j in range(features))]
    lines += [f"{label}," + ",".join(f"{v:.5f}" for v in row) for label, row in zip(y, x)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt")
    _write_csv(root / "data.csv")
    out = root / "run"
    assert main(["train", "--data", str(root / "data.csv"), "--hidden", "8", "--dropout", "0.2",
                 "--epochs", "2", "--batch-size", "16", "--quiet", "--out", str(out)]) == 0
    return out


@pytest.fixture
def run(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    shutil.copy(run_dir.parent / "data.csv", tmp_path / "data.csv")
    data = str(tmp_path / "data.csv")  # the copy's own data file, so a test may change it
    rewrite(copy / "checkpoint.npz", edit_meta=lambda m: m["config"].update(data=data))
    return copy


def _set(path: str, value):
    def edit(meta):
        *keys, last = path.split(".")
        node = meta
        for key in keys:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return edit


DELETE = object()
RECORD_EDITS = [
    ("loader.num_samples", DELETE, "num_samples"),
    ("loader.position", 8, "position 8"),
    ("loader.position", -3, "position -3"),
    ("loader.rng", {"bit_generator": "PCG64", "state": "x"}, "RNG state"),
    ("optimizer.steps", float("inf"), "optimizer steps"),
    ("optimizer.hyper.momentum", 0.5, "momentum = 0.5 but the run's config says 0.9"),
    ("optimizer.hyper.weight_decay", -1.0, "weight_decay"),
    ("optimizer.hyper.lr", float("nan"), "learning rate"),
    ("optimizer.type", "RMSprop", "not one of"),
    ("epoch", -3, "epoch -3"),
    ("epoch", 10**9, "past the run's"),
    ("epoch", float("inf"), "epoch inf"),
    ("step", 0, "step 0 does not match"),
    ("layer_rng_states", {}, "RNG states for layers"),
    ("history.1.seconds", DELETE, "lacks \\['seconds'\\]"),
    ("history.0.train_loss", "x", "non-numeric"),
    ("config.optimizer", "adam", "config says optimizer"),
    ("config.dtype", "float64", "config says dtype float64"),
    ("config", [], "config is a list"),
]


@pytest.mark.parametrize("path, value, message", RECORD_EDITS, ids=[f"{p}={v!r}" for p, v, _ in RECORD_EDITS])
def test_every_record_is_checked(run, path, value, message):
    rewrite(run / "checkpoint.npz", edit_meta=_set(path, value))
    with pytest.raises(FileFormatError, match=message):
        load_checkpoint(run / "checkpoint.npz")


def test_optimizer_buffers_of_the_wrong_kind_are_refused(run):
    def edit(arrays):
        arrays["optimizer/momentum/0"] = arrays["optimizer/momentum/0"].astype(np.int64)
    rewrite(run / "checkpoint.npz", edit_arrays=edit)
    with pytest.raises(FileFormatError, match="momentum buffer 0"):
        load_checkpoint(run / "checkpoint.npz")


def test_a_stray_array_is_refused(run):
    rewrite(run / "checkpoint.npz", edit_arrays=lambda a: a.update(extra=np.zeros(2)))
    with pytest.raises(FileFormatError, match="no part of a checkpoint names"):
        load_checkpoint(run / "checkpoint.npz")


@pytest.mark.parametrize("path, value, message", RECORD_EDITS[:6])
def test_resume_reports_them_without_a_traceback(run, capsys, path, value, message):
    rewrite(run / "checkpoint.npz", edit_meta=_set(path, value))
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 1
    assert "cannot resume" in capsys.readouterr().err


def test_a_config_naming_another_activation_is_named(run, capsys):
    rewrite(run / "checkpoint.npz", edit_meta=_set("config.activation", "tanh"))
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 1
    assert "differs from the checkpoint's" in capsys.readouterr().err


@pytest.mark.parametrize("change, message", [
    (dict(rows=100), "num_samples"),
    (dict(features=4), "in_features: 3 → 4"),
    (dict(classes=4), "out_features: 3 → 4"),
])
def test_data_changed_since_the_checkpoint_is_named(run, capsys, change, message):
    _write_csv(run.parent / "data.csv", **change)
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_untouched_checkpoint_resumes(run):
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 0
