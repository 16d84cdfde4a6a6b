"""``minidl bench --model lstm``: it runs and prints its table (never a timing assertion), its
contestants train the same network from the same weights, and the PyTorch twin (when torch
is installed) starts from minidl's weights and follows the same steps."""

import json

import numpy as np
import pytest

from minidl.bench import lstm as bench_lstm
from minidl.cli import main


def test_bench_lstm_quick_prints_the_table(capsys):
    assert main(["bench", "--model", "lstm", "--quick", "--no-torch", "--limit", "256"]) == 0
    out = capsys.readouterr().out
    for text in ("LSTM(28 → 128)", "Dense(128 → 10)", "fashion-mnist", "planned", "teaching", "gemm",
                 "× gemm", "× planned"):
        assert text in out
    assert "× torch" not in out  # --no-torch: no column for it


def test_bench_lstm_json_has_every_contestant(capsys):
    assert main(["bench", "--model", "lstm", "--quick", "--no-torch", "--synthetic", "--limit", "128",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in result["epoch"]} == {"planned", "teaching", "gemm"}
    assert result["setup"]["model"] == "lstm" and all(r["median_s"] > 0 for r in result["epoch"])


def test_planned_and_teaching_contestants_train_to_the_same_weights():
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 784)), rng.integers(0, 10, 40)
    runs = [bench_lstm.trainer(x, y, 16, "float64", 3, planned=p) for p in (True, False)]
    for run in runs:
        run()
    for planned, taught in zip(*(run.weights() for run in runs), strict=True):
        np.testing.assert_allclose(planned, taught, rtol=1e-9, atol=1e-12)


def test_the_torch_twin_starts_from_minidls_weights_and_follows_its_steps():
    """float64, 40 samples in batches of 16: PyTorch's Adam steps on torch.nn.LSTM end where
    minidl's planned steps end (weights mapped back: Wx = weight_ihᵀ, Wh = weight_hhᵀ, b = bias_ih;
    bias_hh stays 0, untrained)."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 784)), rng.integers(0, 10, 40)
    ours = bench_lstm.trainer(x, y, 16, "float64", 3, planned=True)
    theirs = bench_lstm.torch_twin(x, y, 16, "float64", 3, threads=1)
    ours()
    theirs()
    w_ih, w_hh, b_ih, w, b = theirs.weights()
    mapped = [w_ih.T, w_hh.T, b_ih, w.T, b]
    for mine, torch_weight in zip(ours.weights(), mapped, strict=True):
        np.testing.assert_allclose(torch_weight, mine, rtol=1e-6, atol=1e-9)
