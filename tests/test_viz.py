"""Graph pictures (minidl.viz.graphs) and ``minidl viz``. Rendering needs Graphviz `dot`: those
tests skip without it, and the missing-program message is tested by hiding `dot`."""

import doctest
import re
import shutil
from collections import deque

import numpy as np
import pytest

import minidl.cli
from minidl import ReLU, Sequential, save, viz
from minidl.autodiff import Tensor, dot, to_dot
from minidl.cli import viz as viz_cli
from minidl.nn.memory import memory_report
from minidl.nn.models import mlp

HAVE_DOT = shutil.which("dot") is not None
MISSING = ("Graphviz 'dot' was not found on PATH; install graphviz (apt-get install graphviz) "
           "or use to_dot() text")
NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"[^\]]*\];$')
EDGE = re.compile(r"^\s*(\w+) -> (\w+);$")


def parse(text: str) -> tuple[dict, list]:
    """Check ``text`` is one well-formed digraph; return ({node: label lines}, edges)."""
    outside_quotes = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)   # braces inside labels don't count
    depth = 0
    for char in outside_quotes:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "a '}' closes nothing"
    assert depth == 0 and outside_quotes.startswith("digraph ") and text.rstrip().endswith("}")
    nodes, edges = {}, []
    for line in text.splitlines()[1:-1]:
        if match := NODE.match(line):
            label = re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], match[2])
            nodes[match[1]] = label.split("\n")
        elif match := EDGE.match(line):
            edges.append((match[1], match[2]))
    return nodes, edges


def reachable(edges, start="input") -> set:
    seen, todo = {start}, deque([start])
    while todo:
        node = todo.popleft()
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def fashion_mlp():
    return mlp([784, 256, 128, 10], rng=0, dropout=0.2, batchnorm=True)


# ------------------------------------------------------------------------ model_to_dot
def test_model_dot_is_well_formed_and_every_node_is_reachable_from_the_input():
    nodes, edges = parse(viz.model_to_dot(fashion_mlp(), batch_size=64))
    assert {a for e in edges for a in e} <= set(nodes)          # every endpoint is declared
    assert reachable(edges) == set(nodes) and "output" in nodes
    assert len(nodes) == 9 + 2 and len(edges) == 10              # a chain through 9 layers


def test_model_dot_labels_show_repr_shape_parameters_and_cached_bytes():
    model = fashion_mlp()
    nodes, _ = parse(viz.model_to_dot(model, batch_size=64))
    assert nodes["input"] == ["input", "(N, 784)"]
    assert nodes["n0"][:3] == ["0 Dense(784 → 256)", "out (N, 256)", "200,960 parameters"]
    assert nodes["n1"][:3] == ["1 BatchNorm1d(256)", "out (N, 256)", "512 parameters"]
    assert nodes["n8"][:3] == ["8 Dense(128 → 10)", "out (N, 10)", "1,290 parameters"]
    assert nodes["output"] == ["output", "(N, 10)"]
    report = memory_report(model, 64)
    assert nodes["n0"][3] == f"cached {report.rows[0]['cached_bytes'] / 1024:.1f} KiB"
    assert all(len(lines) == 3 for lines in parse(viz.model_to_dot(model))[0].values()
               if lines[0] not in ("input", "output"))               # no batch size: no bytes


def test_checkpointing_shows_its_segment_inputs_in_the_total():
    model = Sequential(*mlp([8, 8, 8, 8, 8], rng=0).layers, recompute_segments=2)
    text = viz.model_to_dot(model, batch_size=16)
    kept = memory_report(model, 16).cached_bytes
    assert f"{kept / 1024:.1f} KiB cached for backward at N = 16; segment boundaries" in text
    assert reachable(parse(text)[1]) == set(parse(text)[0])


def test_labels_with_quotes_and_backslashes_are_escaped():
    class Odd(ReLU):
        def __repr__(self):
            return 'Odd "quoted" \\ {name}'

    text = viz.model_to_dot(Sequential(Odd()), input_dim=3)
    nodes, edges = parse(text)
    assert nodes["n0"][0] == '0 Odd "quoted" \\ {name}'
    assert reachable(edges) == set(nodes)


def test_drawing_leaves_the_model_as_it_was():
    model = fashion_mlp()
    x = np.ones((8, 784), dtype=np.float32)
    model(x)
    state, caches = model.state_dict(), [m.__dict__.get("_cache") for m in model.layers]
    rng_state = model[3].rng_state()
    viz.model_to_dot(model, batch_size=16)
    assert model.training and model[3].rng_state() == rng_state
    assert all(np.array_equal(v, model.state_dict()[k]) for k, v in state.items())
    assert all(a is m.__dict__.get("_cache") for a, m in zip(caches, model.layers, strict=True))


def test_the_input_width_must_be_known():
    with pytest.raises(ValueError, match="pass input_dim="):
        viz.model_to_dot(Sequential(ReLU()))
    nodes, _ = parse(viz.model_to_dot(Sequential(ReLU()), input_dim=5))
    assert nodes["output"] == ["output", "(N, 5)"]


def test_docstring_example_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(viz.model_to_dot, "model_to_dot", globs=vars(viz).copy()):
        runner.run(test)
    assert runner.failures == 0 and runner.tries > 0


def test_expression_graphs_come_from_the_engine():
    assert viz.expression_to_dot is to_dot
    x = Tensor(2.0, requires_grad=True, name="x")
    nodes, edges = parse(viz.expression_to_dot(x * 3 + x))
    assert {a for e in edges for a in e} <= set(nodes) and len(edges) == 4


# ---------------------------------------------------------------------------- render
def test_render_without_graphviz_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError) as info:
        viz.render(viz.model_to_dot(mlp([4, 3])), tmp_path / "model.svg")
    assert str(info.value) == MISSING and not list(tmp_path.iterdir())


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
def test_render_draws_an_svg(tmp_path):
    path = viz.render(viz.model_to_dot(fashion_mlp(), batch_size=32), tmp_path / "model.svg")
    svg = path.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "Dense(784 → 256)" in svg and "200,960 parameters" in svg


# ------------------------------------------------------------------------- the command
@pytest.fixture
def saved_model(tmp_path, monkeypatch):
    monkeypatch.setitem(minidl.cli.COMMANDS, "viz", viz_cli)   # a no-op once it is registered
    path = tmp_path / "model.npz"
    save(mlp([4, 8, 3], rng=0), path)
    return path


def test_cli_prints_dot_by_default(saved_model, capsys):
    assert minidl.cli.main(["viz", str(saved_model), "--batch-size", "32"]) == 0
    nodes, edges = parse(capsys.readouterr().out)
    assert nodes["n0"] == ["0 Dense(4 → 8)", "out (N, 8)", "40 parameters", "cached 512 B"]
    assert reachable(edges) == set(nodes)


def test_cli_writes_a_dot_file(saved_model, tmp_path, capsys):
    out = tmp_path / "pics" / "model.dot"
    assert minidl.cli.main(["viz", str(saved_model), "--out", str(out)]) == 0
    assert parse(out.read_text(encoding="utf-8"))[0]["n2"][0] == "2 Dense(8 → 3)"
    assert f"wrote {out}" in capsys.readouterr().out


def test_cli_without_graphviz_draws_with_matplotlib(saved_model, tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")  # the plot extra; CI installs only the test extra
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    out = tmp_path / "m.png"
    assert minidl.cli.main(["viz", str(saved_model), "--out", str(out), "--batch-size", "4"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert "drawn with matplotlib: Graphviz `dot` is not installed" in capsys.readouterr().out


def test_cli_without_graphviz_or_matplotlib_says_what_to_install(saved_model, tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    monkeypatch.setattr(minidl.cli.viz, "plots_available", lambda: False)
    assert minidl.cli.main(["viz", str(saved_model), "--out", str(tmp_path / "m.png")]) == 1
    err = capsys.readouterr().err
    assert "apt install graphviz" in err and "pip install 'minidl[plot]'" in err and ".dot" in err
    assert not (tmp_path / "m.png").exists()


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")
def test_cli_renders_a_png(saved_model, tmp_path):
    assert minidl.cli.main(["viz", str(saved_model), "--out", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("argv, code, message", [
    (["--out", "model.pdf"], 2, "--out must end in .dot, .svg or .png"),
    (["--batch-size", "0"], 2, "--batch-size must be ≥ 1"),
])
def test_cli_rejects_bad_options(saved_model, capsys, argv, code, message):
    assert minidl.cli.main(["viz", str(saved_model), *argv]) == code
    assert message in capsys.readouterr().err


def test_cli_names_a_missing_model(saved_model, tmp_path, capsys):
    assert minidl.cli.main(["viz", str(tmp_path / "nope.npz")]) == 1
    assert "minidl viz: error: cannot load" in capsys.readouterr().err
