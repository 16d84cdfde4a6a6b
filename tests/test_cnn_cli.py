"""The command line with ``--model cnn`` end to end on a few hundred images: train (with
diagnostics and filters.png), eval, predict, gradcheck, viz, resume; and the library pieces the CLI
leans on for a CNN: the memory report per conv layer, the summary, gradient checkpointing."""

import importlib.util
import json

import numpy as np
import pytest

import minidl
from minidl import Sequential
from minidl.cli import main
from minidl.nn.memory import memory_report
from minidl.nn.models import cnn

# 2 steps an epoch on 128 images at a small lr (the default 0.1 overshoots on so few); a
# constant schedule so that 1 epoch + a resume to 2 is the same run (a cosine schedule is
# planned over the epochs asked for).
TINY = ["--model", "cnn", "--limit-train", "128", "--batch-size", "64", "--limit-test", "32",
        "--quiet", "--schedule", "constant", "--seed", "3", "--lr", "0.01"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One trained CNN run directory, shared by the commands that read it."""
    out = tmp_path_factory.mktemp("cnn") / "run"
    assert main(["train", *TINY, "--epochs", "2", "--diagnostics", "--out", str(out)]) == 0
    return out


def test_train_writes_the_run_with_diagnostics_and_filters(run):
    metrics = json.loads((run / "metrics.json").read_text())
    assert [r["epoch"] for r in metrics["history"]] == [1, 2]
    assert metrics["history"][1]["train_loss"] < metrics["history"][0]["train_loss"]
    diagnostics = json.loads((run / "diagnostics.json").read_text())
    assert any("Conv2d" in json.dumps(entry) for entry in diagnostics.values())
    pictures = {"curves.png", "confusion.png", "filters.png", "gradient-flow.png"}
    if importlib.util.find_spec("matplotlib") is not None:
        assert pictures <= {p.name for p in run.iterdir()}
    model = minidl.load(run / "model.npz")
    assert [type(m).__name__ for m in model.layers[:3]] == ["Normalize", "Reshape", "Conv2d"]


def test_filters_png_shows_the_first_conv_layers_kernels(tmp_path):
    pytest.importorskip("matplotlib")
    from minidl.viz.filters import first_conv, plot_filters
    model = cnn(8, 3, channels=(6, 4), hidden=8, rng=0)
    assert first_conv(model) is model[1]
    for layer in (model[1], minidl.Conv2d(3, 5, 3, rng=0), minidl.Conv2d(2, 3, (2, 3), rng=0)):
        path = tmp_path / f"{layer.in_channels}.png"
        plot_filters(layer, path)  # grey (C = 1), RGB (C = 3), a row of tiles per filter (C = 2)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first_conv(Sequential(minidl.Dense(2, 2))) is None


def test_without_matplotlib_the_run_says_filters_png_was_skipped(tmp_path, monkeypatch, capsys):
    import minidl.cli.train as train
    monkeypatch.setattr(train, "plots_available", lambda: False)
    out = tmp_path / "run"
    loud = [a for a in TINY if a != "--quiet"]  # the note is a log line, which --quiet drops
    assert main(["train", *loud, "--limit-train", "64", "--epochs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr()
    said = text.out + text.err
    assert said.count("skipped curves.png, confusion.png and filters.png") == 1
    assert "Traceback" not in said and not (out / "filters.png").exists()


def test_eval_and_predict_read_the_cnn_run(run, tmp_path, capsys):
    capsys.readouterr()
    assert main(["eval", str(run), "--limit-test", "32", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    metrics = json.loads((run / "metrics.json").read_text())
    assert result["accuracy"] == pytest.approx(metrics["test_accuracy"])
    model = minidl.load(run / "model.npz")
    rows = np.random.default_rng(0).integers(0, 256, (5, 784))
    data = tmp_path / "rows.csv"
    data.write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    assert main(["predict", str(run), "--data", str(data)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "prediction" and len(printed) == 6
    assert printed[1:] == [str(p) for p in model.predict(rows.astype(np.float32))]


def test_gradcheck_checks_a_saved_cnn(tmp_path, capsys):
    """The batch is as wide as the rows the model takes (its leading Reshape's 64; a saved
    run's Normalize), not its first weight's first axis (a Conv2d's F)."""
    minidl.save(cnn(8, 3, channels=(2,), hidden=4, rng=0), tmp_path / "cnn.npz")
    assert main(["gradcheck", "--model", str(tmp_path / "cnn.npz")]) == 0
    out = capsys.readouterr().out
    assert "(8, 64)" in out and "(2, 1, 3, 3)" in out and "FAIL" not in out  # dx, the conv's W


def test_viz_draws_the_cnn(run, tmp_path):
    target = tmp_path / "model.dot"
    assert main(["viz", str(run), "--out", str(target)]) == 0
    text = target.read_text()
    assert "Conv2d" in text and "MaxPool2d" in text and "BatchNorm2d" in text


@pytest.fixture
def no_pictures(monkeypatch):
    """Skip the matplotlib pictures (most of a tiny run's time) where a test reads none."""
    import minidl.cli.train as train
    import minidl.training.diagnostics as diagnostics
    for module in (train, diagnostics):
        monkeypatch.setattr(module, "plots_available", lambda: False)


def test_resume_continues_a_cnn_run_bit_identically(run, tmp_path, no_pictures):
    """--diagnostics is not given again: the checkpoint keeps it, and it matters, since its
    sampled steps run the layers' own methods, whose float32 rounding differs from the
    planned kernels' (Adam turns that into ±lr steps on the conv biases, whose gradient
    before a BatchNorm2d is 0 up to rounding)."""
    split = tmp_path / "split"
    assert main(["train", *TINY, "--epochs", "1", "--diagnostics", "--out", str(split)]) == 0
    assert main(["train", "--resume", str(split), "--epochs", "2", "--quiet"]) == 0
    for a, b in zip(minidl.load(run / "model.npz").state_dict().values(),
                    minidl.load(split / "model.npz").state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b)  # weights and BatchNorm2d running statistics


def test_memory_report_gives_what_each_conv_layer_caches():
    """Conv2d caches its padded input, BatchNorm2d x̂, ReLU a mask, MaxPool2d one byte per
    window (the first argmax), Flatten and Reshape nothing."""
    n = 4
    model = cnn(8, 3, channels=(2,), hidden=5, rng=0)  # Reshape, Conv2d, BN2d, MaxPool2d, ReLU, ...
    rows = {r["name"].split(" ", 1)[1]: r["cached_bytes"] for r in memory_report(model, n).rows}
    assert rows["Reshape((1, 8, 8))"] == 0 and rows["Flatten()"] == 0
    assert rows["Conv2d(1 → 2, 3×3, padding=1)"] == n * 1 * 10 * 10 * 4  # Xp, float32
    assert rows["BatchNorm2d(2)"] >= n * 2 * 8 * 8 * 4  # x̂
    assert rows["MaxPool2d(2×2)"] == n * 2 * 4 * 4 * 1  # uint8 window index
    images = memory_report(model[1:], n, input_dim=(1, 8, 8))  # starting at the Conv2d
    assert images.cached_bytes == memory_report(model, n).cached_bytes
    assert "Conv2d(1 → 2, 3×3, padding=1)" in model.summary((n, 64))


@pytest.mark.parametrize("segments", [2, 3])
def test_recompute_gives_bit_identical_gradients_through_a_conv_stack(segments):
    rng = np.random.default_rng(5)
    x, g = rng.standard_normal((3, 64)), rng.standard_normal((3, 4))
    plain = cnn(8, 4, channels=(3, 2), hidden=6, rng=1, dtype="float64")
    checkpointed = Sequential(*cnn(8, 4, channels=(3, 2), hidden=6, rng=1, dtype="float64").layers,
                              recompute_segments=segments)
    for _ in range(2):  # twice: BatchNorm2d's running statistics must stay in step as well
        results = []
        for model in (plain, checkpointed):
            model.zero_grad()
            out = model(x)
            results.append((out, model.backward(g), [p.grad.copy() for p in model.parameters()]))
        (out_a, dx_a, grads_a), (out_b, dx_b, grads_b) = results
        np.testing.assert_array_equal(out_a, out_b)
        np.testing.assert_array_equal(dx_a, dx_b)
        for a, b in zip(grads_a, grads_b, strict=True):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(plain.state_dict().values(), checkpointed.state_dict().values(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert memory_report(checkpointed, 3).cached_bytes < memory_report(plain, 3).cached_bytes
