"""The lesson scripts in examples/ run and reach their point."""

import importlib.util
from pathlib import Path

import pytest

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
    assert load("recompute").main(["--depth", "6", "--width", "32", "--batch", "16"]) == 0
    out = capsys.readouterr().out
    assert out.count("bit-identical") == 3 and "DIFFERENT" not in out


def test_precision_study_prints_both_tables(capsys):
    assert load("precision_study").main(["--limit-train", "300", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "float16" in out and "skipped steps" in out and "loss × 2¹⁵" in out


def test_micrograd_lesson(capsys):
    assert load("micrograd_lesson").main([]) == 0
    out = capsys.readouterr().out
    assert "engine  : ∂z/∂x = 4,   ∂z/∂y = 2" in out
    assert "∂a/∂x1 = (1 − a²)·w1 = -1.5000   engine: -1.5000" in out
    assert out.count("digraph autodiff") == 1


def test_micrograd_lesson_without_graphviz(capsys, monkeypatch, tmp_path):
    from minidl.autodiff import dot

    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    assert load("micrograd_lesson").main(["--out", str(tmp_path / "g.svg")]) == 1
    assert "Graphviz 'dot' was not found on PATH" in capsys.readouterr().out


@pytest.mark.parametrize("size", [3])
def test_forward_vs_reverse_counts_passes(capsys, size):
    assert load("forward_vs_reverse").main(["--sizes", str(size)]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    (f_row, g_row) = [[cell.strip() for cell in row] for row in rows]
    assert (f_row[2], f_row[4]) == (str(size), "1")     # f: ℝⁿ→ℝ: n forward, 1 reverse
    assert (g_row[2], g_row[4]) == ("1", str(size))     # g: ℝ→ℝᵐ: 1 forward, m reverse
    assert float(f_row[-1]) < 1e-12 and float(g_row[-1]) < 1e-12


def test_higher_order_lesson_matches_its_closed_forms(capsys):
    assert load("higher_order").main(["--repeats", "1", "--sizes", "3"]) == 0
    out = capsys.readouterr().out
    assert "by hand 86.400000000000" in out and "order 5 against the closed form" in out


@pytest.mark.parametrize("argv", [[], ["--stride", "2", "--padding", "2", "--dilation", "2"]])
def test_cnn_lesson_loops_layer_and_finite_differences_agree(capsys, argv):
    assert load("cnn_lesson").main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("agree") == 7 and "DISAGREE" not in out  # forward, then dW, db, dX twice
    assert "    2     4     1     1       0    30    40     0" in out  # a tie goes to the first 4


def test_implicit_ridge_lesson_agrees_three_ways(capsys):
    assert load("implicit_ridge").main(["--data", "synthetic", "--train", "40", "--val", "40",
                                        "--features", "4", "--steps", "5", "300",
                                        "--theta-step", "5"]) == 0
    out = capsys.readouterr().out
    assert "central differences" in out and "unrolled, 300 steps" in out
