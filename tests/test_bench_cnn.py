"""``minidl bench --model cnn``: it runs and prints its table (never a timing assertion), its
GEMM bound times the products an im2col step needs, its planned and teaching contestants
train the same network to the same weights, and the PyTorch twin (when torch is installed)
starts from minidl's weights and follows the same steps."""

import json

import numpy as np
import pytest

from minidl import Conv2d, Dense
from minidl.bench import cnn as bench_cnn
from minidl.cli import main
from minidl.nn.models import cnn


def test_bench_cnn_quick_prints_the_table(capsys):
    assert main(["bench", "--model", "cnn", "--quick", "--no-torch", "--limit", "64",
                 "--batch-size", "32"]) == 0
    out = capsys.readouterr().out
    for text in ("Conv2d(1 → 16, 3×3, padding=1)", "MaxPool2d(2×2)", "fashion-mnist", "planned", "teaching",
                 "gemm", "× gemm", "× planned"):
        assert text in out
    assert "× torch" not in out  # --no-torch: no column for it


def test_bench_cnn_json_has_every_contestant(capsys):
    assert main(["bench", "--model", "cnn", "--quick", "--no-torch", "--synthetic", "--limit", "32",
                 "--batch-size", "16", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in result["epoch"]} == {"planned", "teaching", "gemm"}
    assert result["setup"]["model"] == "cnn" and all(r["median_s"] > 0 for r in result["epoch"])


def test_the_gemm_bound_multiplies_the_im2col_shapes():
    """(M, K, F) per layer: output pixels × C·KH·KW × F for the convolutions, N × D × H for Dense."""
    model = cnn(rng=0)
    convs = [m for m in model.layers if type(m) is Conv2d]
    denses = [m for m in model.layers if type(m) is Dense]
    c1, c2 = (conv.out_channels for conv in convs)
    hidden = denses[0].out_features
    assert bench_cnn.gemm_shapes(model, 8, "float32") == [
        (8 * 28 * 28, 9, c1), (8 * 14 * 14, c1 * 9, c2), (8, c2 * 7 * 7, hidden), (8, hidden, 10)]


def test_planned_and_teaching_contestants_train_to_the_same_weights():
    """The absolute floor: a conv bias that feeds BatchNorm2d has a gradient of exactly zero,
    so it holds rounding noise (~1e-10 here), which two correct paths round differently."""
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 784)), rng.integers(0, 10, 40)
    runs = [bench_cnn.trainer(x, y, 16, "float64", 3, planned=p) for p in (True, False)]
    for run in runs:
        run()
    for planned, taught in zip(*(run.weights() for run in runs), strict=True):
        np.testing.assert_allclose(planned, taught, rtol=1e-9, atol=1e-8)


def test_the_torch_twin_starts_from_minidls_weights_and_follows_its_steps():
    """float64, 40 samples in batches of 16: PyTorch's Adam steps on the exported network end
    where minidl's planned steps end."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 784)), rng.integers(0, 10, 40)
    ours = bench_cnn.trainer(x, y, 16, "float64", 3, planned=True)
    theirs = bench_cnn.torch_twin(x, y, 16, "float64", 3, threads=1)
    ours()
    theirs()
    for mine, torch_weight in zip(ours.weights(), theirs.weights(), strict=True):
        np.testing.assert_allclose(torch_weight, mine, rtol=1e-6, atol=1e-8)
