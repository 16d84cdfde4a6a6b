"""Pictures of graphs: `to_dot` writes Graphviz DOT text, `render_dot` turns it into SVG/PNG.

One box per tensor, an arrow from each operand to the op's result. A box shows the tensor's
name or op, its shape, and — for small tensors (at most 4 elements) — its value and
gradient, the way micrograd's `draw_dot` does for scalars. Leaves that require grad are
filled; constants are dashed. Rendering needs the Graphviz `dot` program on the PATH.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .graph import topo_order
from .tensor import Tensor

SMALL = 4  # tensors with at most this many elements show their numbers
MISSING_DOT = ("Graphviz 'dot' was not found on PATH; install graphviz (apt-get install "
               "graphviz) or use to_dot() text")


def _numbers(array):
    """A short one-line rendering of a small array (4 significant digits)."""
    text = np.array2string(np.asarray(array), separator=", ",
                           formatter={"float_kind": lambda v: f"{v:.4g}"})
    return " ".join(text.split())


def _label(node):
    """The lines of a node's box, DOT-escaped and joined with DOT's newline escape."""
    lines = [node.name or node.op or ("leaf" if node.requires_grad else "const")]
    if node.name and node.op:
        lines[0] += f" = {node.op}"
    lines.append(f"shape {node.shape}")
    if node.size <= SMALL:
        lines.append(f"data {_numbers(node.data)}")
        if node.grad is not None:
            lines.append(f"grad {_numbers(node.grad)}")
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def _style(node):
    if not node._parents and node.requires_grad:
        return ', style=filled, fillcolor="#cfe8ff"'
    return ", style=dashed" if not node.requires_grad else ""


def to_dot(tensor):
    r"""The graph that produced `tensor`, as Graphviz DOT text.

    Example:
        >>> from minidl.autodiff import Tensor, to_dot
        >>> x = Tensor(2.0, requires_grad=True, name="x")
        >>> print(to_dot(x * 3), end="")
        digraph autodiff {
          rankdir=LR;
          node [shape=box, fontname="Helvetica", fontsize=10];
          n0 [label="x\nshape ()\ndata 2", style=filled, fillcolor="#cfe8ff"];
          n1 [label="const\nshape ()\ndata 3", style=dashed];
          n2 [label="mul\nshape ()\ndata 6"];
          n0 -> n2;
          n1 -> n2;
        }
    """
    nodes = topo_order(tensor, grad_only=False)
    ids = {node: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["digraph autodiff {", "  rankdir=LR;",
             '  node [shape=box, fontname="Helvetica", fontsize=10];']
    for node in nodes:
        lines.append(f'  {ids[node]} [label="{_label(node)}"{_style(node)}];')
        lines.extend(f"  {ids[p]} -> {ids[node]};" for p in node._parents)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(graph, path, format=None):
    """Render a Tensor's graph (or DOT text) to `path` with Graphviz; returns the Path.

    Args:
        graph: a Tensor, or DOT text from `to_dot`.
        path: the output file; written atomically (temporary file, then rename).
        format: "svg" or "png"; by default taken from path's suffix.

    Raises:
        RuntimeError: when Graphviz `dot` is not on the PATH, or fails.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in ("svg", "png"):
        raise ValueError(f"render_dot: format must be 'svg' or 'png', got {fmt!r} for {path}")
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError(MISSING_DOT)
    text = to_dot(graph) if isinstance(graph, Tensor) else str(graph)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)  # mkstemp makes 0600; the picture should get a plain file's mode
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        # UTF-8 is DOT's default charset; the locale's encoding may not spell "→" at all.
        done = subprocess.run([dot, f"-T{fmt}", "-o", tmp], input=text, encoding="utf-8",
                              capture_output=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"render_dot: Graphviz 'dot' failed: {done.stderr.strip()}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
