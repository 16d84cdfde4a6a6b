"""The layer graph drawn with matplotlib, for machines without Graphviz ``dot``.

The same boxes as ``model_to_dot`` (``graphs.layer_boxes``): input, each leaf layer in
the order it runs, output, one below the other with arrows between; layers with
parameters filled in the engine's colour for trainable tensors; each residual's skip
connection as a dashed arrow on the right from its input to a "+" after its last layer.
"""

from __future__ import annotations

from .graphs import TRAINABLE, layer_boxes, residual_spans
from .plots import _pyplot, _save

ROW = 1.1  # inches of figure per box (four lines of text and the arrow below)


def draw_layer_graph(model, path, batch_size: int | None = None,
                     input_dim: int | None = None) -> None:
    """Draw ``model``'s layer graph to ``path`` (.png or .svg) with matplotlib."""
    plt = _pyplot()
    title, boxes, input_box, output_box = layer_boxes(model, batch_size, input_dim)
    nodes = [(input_box, "oval", False)] + [(b, "box", t) for b, t in boxes]
    nodes.append((output_box, "oval", False))
    fig, ax = plt.subplots(figsize=(4.8, 0.6 + ROW * len(nodes)))
    ax.set_xlim(0, 1)
    ax.set_ylim(len(nodes) - 0.5, -0.5)
    ax.axis("off")
    for row, (lines, shape, trainable) in enumerate(nodes):
        style = "round,pad=0.4" if shape == "oval" else "square,pad=0.4"
        ax.text(0.5, row, "\n".join(lines), ha="center", va="center", fontsize=8,
                bbox={"boxstyle": style, "facecolor": TRAINABLE if trainable else "white",
                      "edgecolor": "black"})
        if row:
            ax.annotate("", xy=(0.5, row - 0.5 + 0.18), xytext=(0.5, row - 1 + 0.5 - 0.18),
                        arrowprops={"arrowstyle": "->"})
    for first, last in residual_spans(model):
        # leaf i sits in row i + 1: the residual's input is row `first`, its sum below row last + 1
        below = last + 1.5
        ax.annotate("", xy=(0.93, below), xytext=(0.93, first + 0.3),
                    arrowprops={"arrowstyle": "->", "linestyle": "--", "connectionstyle": "arc3,rad=-0.2"})
        ax.text(0.93, below, "+", ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "circle,pad=0.1", "facecolor": "white", "edgecolor": "black"})
    ax.set_title(title, fontsize=9)
    _save(fig, path)
    plt.close(fig)
