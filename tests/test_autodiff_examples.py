"""The engine's two example scripts run and print what they teach."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_micrograd_lesson(capsys):
    assert _load("micrograd_lesson").main([]) == 0
    out = capsys.readouterr().out
    assert "engine  : ∂z/∂x = 4,   ∂z/∂y = 2" in out
    assert "∂a/∂x1 = (1 − a²)·w1 = -1.5000   engine: -1.5000" in out
    assert out.count("digraph autodiff") == 1


def test_micrograd_lesson_without_graphviz(capsys, monkeypatch, tmp_path):
    from minidl.autodiff import dot

    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    assert _load("micrograd_lesson").main(["--out", str(tmp_path / "g.svg")]) == 1
    assert "Graphviz 'dot' was not found on PATH" in capsys.readouterr().out


@pytest.mark.parametrize("size", [3])
def test_forward_vs_reverse_counts_passes(capsys, size):
    assert _load("forward_vs_reverse").main(["--sizes", str(size)]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines()[2:]]
    (f_row, g_row) = [[cell.strip() for cell in row] for row in rows]
    assert (f_row[2], f_row[4]) == (str(size), "1")     # f: ℝⁿ→ℝ: n forward, 1 reverse
    assert (g_row[2], g_row[4]) == ("1", str(size))     # g: ℝ→ℝᵐ: 1 forward, m reverse
    assert float(f_row[-1]) < 1e-12 and float(g_row[-1]) < 1e-12
