"""Pictures of both graphs minidl differentiates, as Graphviz DOT text:

- ``model_to_dot(model)``: the layer graph of a model, one box per layer with its shapes,
  parameter count and (given a batch size) the bytes it caches for backward;
- ``expression_to_dot(tensor)``: the autodiff graph of an engine expression, one box per
  tensor with its op, shape, and value and gradient when small (``minidl.autodiff.to_dot``).

``render(dot_text, path)`` draws either to SVG or PNG with Graphviz ``dot`` (the engine's
``render_dot``: one renderer for both), and says clearly when ``dot`` is not installed.

Example:
    >>> from minidl import Dense, ReLU, Sequential
    >>> text = model_to_dot(Sequential(Dense(784, 256), ReLU(), Dense(256, 10)), batch_size=128)
    >>> render(text, "model.svg")        # needs Graphviz; print(text) works without it
"""

from __future__ import annotations

import numpy as np

from ..autodiff.dot import render_dot
from ..autodiff.dot import to_dot as expression_to_dot
from ..nn.memory import memory_report
from ..nn.residual import Residual
from ..nn.snapshot import undisturbed

__all__ = ["model_to_dot", "expression_to_dot", "render"]

TRAINABLE = "#cfe8ff"  # the fill the engine's pictures give leaves that require grad


def model_to_dot(model, batch_size: int | None = None, input_dim: int | None = None) -> str:
    r"""The layer graph of ``model`` as DOT text: input → each leaf layer in order → output.

    A layer's box shows its name and repr (``0 Dense(784 → 256)``), its output shape with
    N for the batch, its parameter count and, when ``batch_size`` is given, the bytes it
    keeps for backward at that batch size (``minidl.nn.memory.memory_report``). Layers with
    parameters are filled. The layers are drawn as a chain in ``named_modules`` order,
    which is the order ``Sequential`` runs them.

    Args:
        model: a Module.
        batch_size: N for the cached-bytes line (None: leave it out).
        input_dim: the input width, when the first layer does not tell it (no ``in_features``).

    Example:
        >>> from minidl import Dense, ReLU, Sequential
        >>> print(model_to_dot(Sequential(Dense(4, 3), ReLU())), end="")
        digraph model {
          rankdir=TB;
          node [shape=box, fontname="Helvetica", fontsize=10];
          label="Sequential: 15 parameters"; labelloc=t; fontname="Helvetica";
          input [label="input\n(N, 4)", shape=oval];
          n0 [label="0 Dense(4 → 3)\nout (N, 3)\n15 parameters", style=filled, fillcolor="#cfe8ff"];
          n1 [label="1 ReLU()\nout (N, 3)\n0 parameters"];
          output [label="output\n(N, 3)", shape=oval];
          input -> n0;
          n0 -> n1;
          n1 -> output;
        }
    """
    title, boxes, input_box, output_box = layer_boxes(model, batch_size, input_dim)
    lines = ["digraph model {", "  rankdir=TB;",
             '  node [shape=box, fontname="Helvetica", fontsize=10];',
             f'  label="{_escape(title)}"; labelloc=t; fontname="Helvetica";',
             f'  input [label="{_label(input_box)}", shape=oval];']
    for i, (box, trainable) in enumerate(boxes):
        fill = f', style=filled, fillcolor="{TRAINABLE}"' if trainable else ""
        lines.append(f'  n{i} [label="{_label(box)}"{fill}];')
    lines.append(f'  output [label="{_label(output_box)}", shape=oval];')
    lines += _edges(residual_spans(model), len(boxes))
    lines.append("}")
    return "\n".join(lines) + "\n"


def residual_spans(model) -> list[tuple[int, int]]:
    """(first, last) leaf index of each ``Residual`` in ``model``, leaves counted in
    ``named_modules`` order (the order ``layer_boxes`` draws them)."""
    leaf_names = [name for name, m in model.named_modules() if not any(m.children())]
    spans = []
    for name, module in model.named_modules():
        if isinstance(module, Residual):
            inside = [i for i, leaf in enumerate(leaf_names)
                      if not name or leaf == name or leaf.startswith(name + ".")]
            if inside:
                spans.append((inside[0], inside[-1]))
    return spans


def _edges(spans: list[tuple[int, int]], count: int) -> list[str]:
    """The chain input → n0 → … → output, with a ``+`` node after each residual's last layer
    that the residual's input reaches by a dashed skip edge: Y = X + f(X) drawn as it is."""
    lines, feeds, current = [], {}, "input"
    for i in range(count):
        feeds[i] = current  # what leaf i reads: the input of any residual that starts here
        lines.append(f"  {current} -> n{i};")
        current = f"n{i}"
        # residuals ending here, the innermost (latest start) first
        for j, (first, _) in sorted((s for s in enumerate(spans) if s[1][1] == i), key=lambda s: -s[1][0]):
            lines += [f'  add{j} [label="+", shape=circle];', f"  {current} -> add{j};",
                      f'  {feeds[first]} -> add{j} [style=dashed, label="skip"];']
            current = f"add{j}"
    lines.append(f"  {current} -> output;")
    return lines


def layer_boxes(model, batch_size: int | None = None, input_dim: int | None = None):
    """What a picture of the layer graph shows, for any renderer: ``(title, [(lines,
    trainable)] per leaf layer, input lines, output lines)``."""
    leaves = [(name, m) for name, m in model.named_modules() if not any(m.children())]
    input_dim = _input_dim(leaves, input_dim)
    shapes = _output_shapes(model, leaves, input_dim)
    names = [f"{name} {module!r}".strip() for name, module in leaves]  # memory_report's row names
    title = f"{type(model).__name__}: {model.num_parameters():,} parameters"
    cached = None
    if batch_size is not None:
        report = memory_report(model, batch_size, input_dim=input_dim)
        cached = {row["name"]: row["cached_bytes"] for row in report.rows}
        title += f", {_bytes(report.cached_bytes)} cached for backward at N = {batch_size}"
        # rows that are not layers: what a container keeps (checkpointing's segment inputs)
        title += "".join(f"; {row} {_bytes(n)}" for row, n in cached.items() if row not in names)
    boxes = []
    for (_, module), name, shape in zip(leaves, names, shapes, strict=True):
        box = [name, f"out {_shape(*shape)}", f"{module.num_parameters():,} parameters"]
        if cached is not None:
            box.append(f"cached {_bytes(cached[name])}")
        boxes.append((box, bool(module.parameters())))
    out_shape = shapes[-1] if shapes else (input_dim,)
    return title, boxes, ["input", _shape(input_dim)], ["output", _shape(*out_shape)]


def render(dot_text, path, format=None):
    """Draw DOT text (or an engine Tensor's graph) to ``path`` (.svg or .png) with Graphviz.

    The file is written atomically; returns its Path. Raises ``RuntimeError`` with an
    install hint when Graphviz ``dot`` is not on the PATH (see ``minidl.autodiff.render_dot``).
    """
    return render_dot(dot_text, path, format=format)


def _input_dim(leaves, input_dim):
    if input_dim is not None:
        return int(input_dim)
    for _, module in leaves:  # Dense says in_features; Normalize and BatchNorm1d num_features
        for attribute in ("in_features", "num_features"):
            if isinstance(getattr(module, attribute, None), int):
                return getattr(module, attribute)
    raise ValueError("model_to_dot: cannot tell the input width from the first layer; "
                     "pass input_dim=")


def _output_shapes(model, leaves, input_dim: int) -> list[tuple]:
    """Each leaf's output shape without the batch axis, from an evaluation-mode pass of one
    zero sample (evaluation mode draws no Dropout mask and updates no running statistics);
    the caches that pass overwrites and the training mode are put back (``undisturbed``)."""
    dtype = next((p.dtype for p in model.parameters()), np.dtype("float32"))
    shapes, x = [], np.zeros((1, input_dim), dtype=dtype)
    with undisturbed(model):
        model.eval()
        for _, module in leaves:
            x = module(x)
            shapes.append(x.shape[1:])
    return shapes


def _shape(*dims) -> str:
    return "(" + ", ".join(["N", *map(str, dims)]) + ")"


def _bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KiB" if n < 2**20 else f"{n / 2**20:.1f} MiB"


def _escape(text: str) -> str:
    """Make ``text`` safe inside a double-quoted DOT string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _label(lines: list[str]) -> str:
    return "\\n".join(_escape(line) for line in lines)
