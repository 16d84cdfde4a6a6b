"""``minidl bench --model vit``: it runs and prints its table (never a timing assertion), its
contestants train the same network, and its GEMM bound has the vit's real shapes."""

import numpy as np

from minidl.bench import vit as bench_vit
from minidl.cli import main


def test_bench_vit_quick_prints_the_table(capsys):
    # one small batch per round keeps it short (on a loaded machine a multi-threaded BLAS crawls)
    assert main(["bench", "--model", "vit", "--quick", "--no-torch", "--synthetic", "--limit", "32",
                 "--batch-size", "32"]) == 0
    out = capsys.readouterr().out
    for text in ("default ViT", "16 tokens", "4 heads", "batch 32", "planned", "teaching", "gemm", "× gemm",
                 "× planned"):
        assert text in out
    assert "× torch" not in out  # --no-torch: no column for it


def test_the_gemm_bound_has_the_vits_shapes():
    projections, attention = bench_vit.gemm_shapes(bench_vit._model("float32", 0), batch_size=128)
    tokens = 128 * 16
    block = [(tokens, 64, 192), (tokens, 64, 64), (tokens, 64, 128), (tokens, 128, 64)]
    assert projections == [(tokens, 49, 64), *block, *block, (128, 64, 10)]
    assert attention == [(128 * 4, 16, 16)] * 2


def test_planned_and_teaching_contestants_train_to_the_same_weights():
    rng = np.random.default_rng(0)
    x, y = rng.random((12, 784)), rng.integers(0, 10, 12)  # a full batch and a short one
    runs = [bench_vit.trainer(x, y, 8, "float64", 3, planned=p) for p in (True, False)]
    for run in runs:
        run()
    for planned, taught in zip(*(run.weights() for run in runs), strict=True):
        np.testing.assert_allclose(planned, taught, rtol=1e-9, atol=1e-12)
