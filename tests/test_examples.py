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


def held_out_bits(out):
    """{row name: bits} from the language-model scripts' table of held-out bits per character."""
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| ")]
    return {name.strip(): float(bits) for name, _, bits in rows[1:]}


def test_char_lm_quick_beats_the_unigram(capsys):
    assert load("char_lm").main(["--quick"]) == 0
    out = capsys.readouterr().out
    bits = held_out_bits(out)
    assert bits["LSTM"] < bits["unigram (add-one, same split)"]
    assert out.count("[") >= 3 and "T = 0.5:" in out and "T = 1.0:" in out   # samples per temperature


def test_char_transformer_quick_reports_beside_the_lstm(capsys):
    assert load("char_transformer").main(["--quick"]) == 0
    out = capsys.readouterr().out
    bits = held_out_bits(out)
    assert {"LSTM (char_lm.py)", "transformer", "bigram (add-one, same split)"} <= set(bits)
    assert bits["transformer"] < bits["unigram (add-one, same split)"]
    assert "samples from the transformer:" in out


def test_vanishing_through_time_table_and_check(capsys, monkeypatch, tmp_path):
    script = load("vanishing_through_time")
    monkeypatch.setattr(script, "plots_available", lambda: False)
    argv = ["--steps", "3", "--hidden", "8", "--measure", "16", "--limit-train", "200",
            "--out", str(tmp_path)]
    assert script.main(argv) == 0   # the measured ∂L/∂h_t obey the RNN's recurrence
    out = capsys.readouterr().out
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| ")]
    norms = {int(r[0]): [float(c) if c.strip() != "—" else None for c in r[1:]]
             for r in rows[1:] if r[0].strip().isdigit()}
    assert sorted(norms) == list(range(0, 29, 2)) and all(len(v) == 8 for v in norms.values())
    assert norms[0][0] < 1e-3 * norms[28][0]   # the untrained RNN's gradient has vanished by t = 0
    assert "no picture (pip install 'minidl[plot]')" in out and not list(tmp_path.iterdir())


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


def test_discrete_gradients_lesson_finds_reinforce_unbiased(capsys):
    assert load("discrete_gradients").main(["--seeds", "300"]) == 0
    out = capsys.readouterr().out
    assert "REINFORCE (no baseline, leave-one-out) within 4 SE of the exact gradient: True" in out
