"""``minidl export MODEL --format onnx|torch --out PATH``: carry a saved model to ONNX or PyTorch.

The exported model includes the input normalisation the model was trained with (its first
layer), so it takes raw features, as ``minidl predict`` does.
"""

from __future__ import annotations

import sys

from ..export import ExportError, save_torch, to_onnx
from ..io.model_file import load_with_metadata
from ..io.npz import FileFormatError
from .rows import model_path, taking_raw_features


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export", help="export a saved model to ONNX or PyTorch",
        description="Export a model saved by minidl (MODEL: the model .npz or its run directory). "
                    "onnx: one .onnx file (opset 17, input 'input' of shape (batch, D), output "
                    "'output'), run it with ONNX Runtime. torch: a state_dict file that "
                    "torch.load(PATH, weights_only=True) reads, plus PATH with suffix .json holding "
                    "the architecture (torch classes and their constructor arguments).")
    p.add_argument("model", help="a model .npz written by minidl, or a run directory holding model.npz")
    p.add_argument("--format", required=True, choices=("onnx", "torch"), help="what to write")
    p.add_argument("--out", required=True, help="the file to write (e.g. model.onnx or model.pt)")


def run(args, parser) -> int:
    try:
        model, meta = load_with_metadata(model_path(args.model))
        model = taking_raw_features(model, meta)
        if args.format == "onnx":
            written = [to_onnx(model, args.out)]
        else:
            written = list(save_torch(model, args.out))
    except (FileFormatError, ExportError, ValueError) as err:
        print(f"minidl export: error: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
