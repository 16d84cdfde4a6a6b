"""``minidl gradcheck`` through ``main([...])``: the table, filtering, --model, exit codes."""

import re

import pytest

import minidl
from minidl import Tanh
from minidl.cli import main
from minidl.gradcheck.suite import SPECIMENS
from minidl.nn.models import mlp


def run(capsys, *args):
    code = main(["gradcheck", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_default_run_checks_everything_both_ways(capsys):
    code, out, _ = run(capsys)
    assert code == 0
    assert out.splitlines()[3].split() == ["layer", "check", "tensor", "shape", "max", "abs", "err",
                                           "max", "rel", "err", "result"]
    for subject in ["Dense(5 → 4)", "ReLU()", "Tanh()", "Sigmoid()", "Dropout(p=0.5) train",
                    "BatchNorm1d(4) train", "BatchNorm1d(4) eval", "SoftmaxCrossEntropy()",
                    "MSELoss()", "mlp([6, 10, 10, 4])", "RNN(2 → 3) T=1, sequence",
                    "LSTM(2 → 3) T=3, last state", "GRU(2 → 3) T=3, sequence",
                    "Reshape → LSTM → Dense"]:
        lines = [line for line in out.splitlines() if line.startswith(subject)]
        kinds = {re.split(r"\s{2,}", line)[1] for line in lines}
        assert kinds == {"finite", "engine"}, subject
    assert "FAIL" not in out and "PASS (2 at kinks)" in out  # the ReLU specimen sits on its kink
    assert "rows PASS" in out.splitlines()[-1]


def test_layer_names_filter_case_insensitively(capsys):
    code, out, _ = run(capsys, "dense", "Tanh")
    table = out.splitlines()[4:-2]
    assert code == 0 and table
    assert {re.split(r"\s{2,}", line)[0] for line in table} == {"Dense(5 → 4)", "Tanh()"}


def test_unknown_layer_is_bad_usage_and_lists_the_known_ones(capsys):
    code, out, err = run(capsys, "Dense", "Conv3d")
    assert code == 2 and out == ""
    assert "unknown layer 'Conv3d'" in err and all(name in err for name in SPECIMENS)


def test_a_planted_failure_exits_1_and_shows_the_full_report(capsys, monkeypatch):
    def backward(self, dout):
        """A planted bug: dZ = dH, forgetting the (1 − H²) factor."""
        return dout

    monkeypatch.setattr(Tanh, "backward", backward)
    code, out, _ = run(capsys, "Tanh", "Sigmoid")
    assert code == 1
    failed = [line for line in out.splitlines() if line.endswith("FAIL")]
    assert failed and all(line.startswith(("Tanh()", "dx")) for line in failed)
    assert "rows FAIL" in out and "check_module Tanh()" in out and "worst index" in out


def test_saved_model_is_checked_in_float64(tmp_path, capsys):
    path = tmp_path / "model.npz"
    minidl.save(mlp([5, 7, 3], rng=0, batchnorm=True), path)  # float32 on disk
    code, out, _ = run(capsys, "--model", str(path))
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith(str(path))]
    assert {line.split()[1] for line in rows} == {"finite", "engine"}
    assert any(" 1.gamma " in line for line in rows)
    assert "Dense(5 → 4)" not in out  # only the model, unless layers are named too


def test_saved_model_with_dropout_gives_the_same_table_twice(tmp_path, capsys):
    path = tmp_path / "model.npz"
    minidl.save(mlp([5, 7, 3], rng=0, dropout=0.5), path)
    first = run(capsys, "--model", str(path), "--seed", "4")
    assert first[0] == 0 and first == run(capsys, "--model", str(path), "--seed", "4")


def test_big_saved_model_switches_to_directional(tmp_path, capsys):
    path = tmp_path / "big.npz"
    minidl.save(mlp([300, 64, 10], rng=0), path)
    code, out, _ = run(capsys, "--model", str(path), "ReLU")
    assert code == 0
    assert "parameters, so finite differences run along random directions" in out
    assert " directional " in out and "ReLU()" in out


def test_unreadable_model_is_bad_usage(tmp_path, capsys):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"not a zip file")
    code, _, err = run(capsys, "--model", str(path))
    assert code == 2 and "junk.npz" in err


def test_fast_and_float32(capsys):
    code, out, _ = run(capsys, "--fast", "mlp", "Dense")
    kinds = {re.split(r"\s{2,}", line)[1] for line in out.splitlines()[4:-2]}
    assert code == 0 and kinds == {"directional", "engine"}
    code, out, _ = run(capsys, "--dtype", "float32", "--seed", "3", "mlp")
    assert code == 0 and "tolerances are widened" in out and "(float32, seed 3)" in out


def test_bad_option_values_are_bad_usage(capsys):
    assert main(["gradcheck", "--dtype", "float16"]) == 2
    assert main(["gradcheck", "--seed", "x"]) == 2


def test_every_option_has_help(capsys):
    assert main(["gradcheck", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for option, phrase in [("LAYER", "check only these"),
                           ("--model PATH", "also check a model saved by minidl"),
                           ("--dtype {float64,float32}", "precision of the checks"),
                           ("--fast", "finite differences along 2 random directions"),
                           ("--seed SEED", "seed for inputs")]:
        assert f"{option} {phrase}" in out


@pytest.mark.parametrize("seed", [0, 7])
def test_seeds_give_reproducible_tables(capsys, seed):
    first = run(capsys, "--seed", str(seed), "Dense", "mlp")[1]
    assert first == run(capsys, "--seed", str(seed), "Dense", "mlp")[1]
