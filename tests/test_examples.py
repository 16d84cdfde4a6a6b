"""The lesson scripts in examples/ run and reach their point."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xor_tanh_solves_xor(capsys):
    assert load("xor_tanh").main() == 0
    assert "solved" in capsys.readouterr().out


def test_fashion_mnist_script_trains_and_reloads(tmp_path, capsys):
    script = load("fashion_mnist_mlp")
    assert script.main(["--epochs", "1", "--limit-train", "2000", "--out", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out
    assert "reloaded from" in out and (tmp_path / "m.npz").exists()


def test_checkpointing_example_reports_bit_identical_gradients(capsys):
    assert load("checkpointing").main(["--depth", "6", "--width", "32", "--batch", "16"]) == 0
    out = capsys.readouterr().out
    assert out.count("bit-identical") == 3 and "DIFFERENT" not in out


def test_precision_study_prints_both_tables(capsys):
    assert load("precision_study").main(["--limit-train", "300", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "float16" in out and "skipped steps" in out and "loss × 2¹⁵" in out
