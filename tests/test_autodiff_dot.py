"""DOT export and rendering. Rendering needs Graphviz `dot`: those tests skip without it,
and the missing-program message is tested by hiding `dot` from shutil.which."""

import shutil

import numpy as np
import pytest

from minidl.autodiff import Tensor, dot, render_dot, to_dot

HAVE_DOT = shutil.which("dot") is not None


def _example():
    x = Tensor(2.0, requires_grad=True, name="x")
    y = Tensor(3.0, requires_grad=True, name="y")
    z = x * y + x
    z.backward()
    return z


def test_to_dot_shows_ops_shapes_values_and_grads():
    text = to_dot(_example())
    assert text.startswith("digraph autodiff {") and text.rstrip().endswith("}")
    assert 'label="x\\nshape ()\\ndata 2\\ngrad 4"' in text
    assert 'label="y\\nshape ()\\ndata 3\\ngrad 2"' in text
    assert 'label="mul\\nshape ()\\ndata 6"' in text and 'label="add' in text
    assert text.count("->") == 4                  # x→mul, y→mul, mul→add, x→add


def test_to_dot_omits_the_numbers_of_big_tensors_and_marks_constants():
    w = Tensor(np.ones((3, 3)), requires_grad=True)
    text = to_dot((w.sum(axis=0) * np.ones(3)).sum())
    (big,) = [line for line in text.splitlines() if "shape (3, 3)" in line]
    assert "data" not in big
    assert "style=dashed" in text                  # the constant vector
    assert "data [1, 1, 1]" in text                # a small tensor shows its values


def test_to_dot_escapes_quotes_in_names():
    assert 'label="say \\"hi\\"' in to_dot(Tensor(1.0, name='say "hi"'))


def test_render_without_graphviz_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError) as info:
        render_dot(_example(), tmp_path / "graph.svg")
    assert str(info.value) == ("Graphviz 'dot' was not found on PATH; install graphviz "
                               "(apt-get install graphviz) or use to_dot() text")
    assert not list(tmp_path.iterdir())


def test_render_rejects_unknown_formats(tmp_path):
    with pytest.raises(ValueError, match="'svg' or 'png'"):
        render_dot(_example(), tmp_path / "graph.pdf")


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_render_writes_the_picture(tmp_path, fmt, magic):
    path = render_dot(_example(), tmp_path / f"graph.{fmt}")
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"graph.{fmt}"]   # no temporary left


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
def test_render_reports_a_graphviz_failure(tmp_path):
    with pytest.raises(RuntimeError, match="dot' failed"):
        render_dot("digraph { this is not dot", tmp_path / "bad.svg")
    assert not list(tmp_path.iterdir())
