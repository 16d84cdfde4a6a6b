"""``minidl viz MODEL``: a saved model's layer graph as Graphviz DOT text, or drawn to SVG/PNG."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..io.model_file import load
from ..io.npz import FileFormatError
from ..viz.graphs import model_to_dot, render
from ..viz.plots import plots_available
from .rows import model_path

PICTURES = (".svg", ".png")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "viz", help="draw a saved model's layer graph (DOT text, SVG or PNG)",
        description="Print the layer graph of a model saved by minidl as Graphviz DOT text, or "
                    "draw it with Graphviz `dot`: one box per layer with its output shape, "
                    "parameters and the bytes it caches for backward.")
    p.add_argument("model", help="path to a model .npz written by minidl")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write FILE.dot, or draw FILE.svg / FILE.png (with Graphviz `dot`, else "
                        "with matplotlib); "
                        "default: print the DOT text")
    p.add_argument("--batch-size", type=int, metavar="N",
                   help="also show the bytes each layer caches for backward at batch size N")


def run(args, parser) -> int:
    if args.out is not None and args.out.suffix.lower() not in (".dot", *PICTURES):
        parser.error(f"--out must end in .dot, .svg or .png, got {str(args.out)!r}")
    if args.batch_size is not None and args.batch_size < 1:
        parser.error(f"--batch-size must be ≥ 1, got {args.batch_size}")
    try:
        model = load(model_path(args.model))  # a model file or its run directory
        text = model_to_dot(model, batch_size=args.batch_size)
    except (FileFormatError, ValueError) as err:
        return fail(err)
    if args.out is None:
        print(text, end="")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix.lower() in PICTURES and shutil.which("dot") is None:
        return draw_without_graphviz(model, args)
    if args.out.suffix.lower() in PICTURES:
        try:
            render(text, args.out)
        except RuntimeError as err:  # Graphviz missing or failing: the message says which
            return fail(err)
    else:
        tmp = args.out.with_name(f".{args.out.name}.tmp")  # atomic: temporary file, then rename
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


def draw_without_graphviz(model, args) -> int:
    """No ``dot`` on the PATH: draw the same boxes with matplotlib, or say what to install."""
    if not plots_available():
        return fail("drawing needs Graphviz `dot` (e.g. apt install graphviz, brew install "
                    "graphviz) or matplotlib (pip install 'minidl[plot]'); neither is installed. "
                    "--out FILE.dot writes the DOT text without either")
    from ..viz.layer_plot import draw_layer_graph

    draw_layer_graph(model, args.out, batch_size=args.batch_size)
    print(f"wrote {args.out} (drawn with matplotlib: Graphviz `dot` is not installed)")
    return 0


def fail(err) -> int:
    print(f"minidl viz: error: {err}", file=sys.stderr)
    return 1
