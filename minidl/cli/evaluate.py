"""``minidl eval MODEL``: accuracy, loss, per-class accuracy and confusion matrix of a saved model."""

from __future__ import annotations

import json
import sys

from ..data import DataError, Normalizer, load_dataset
from ..io.model_file import load_with_metadata
from ..io.npz import FileFormatError
from ..nn.losses import SoftmaxCrossEntropy
from ..training import evaluate


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="evaluate a saved model on a data set's test split",
                       description="Evaluate a model saved by `minidl train --out DIR` (DIR/model.npz).")
    p.add_argument("model", help="path to a model .npz written by minidl")
    p.add_argument("--data", default=None,
                   help="data set name or path (default: the one the model was trained on)")
    p.add_argument("--limit-test", type=int, default=None, help="evaluate on the first N test samples only")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def run(args, parser) -> int:
    if args.limit_test is not None and args.limit_test < 1:
        parser.error(f"--limit-test must be ≥ 1, got {args.limit_test}")
    try:
        model, meta = load_with_metadata(args.model)
        source = args.data or meta.get("data", "fashion-mnist")
        normalizer = Normalizer.from_state_dict(meta["normalizer"]) if "normalizer" in meta else None
        ds = load_dataset(source, normalizer=normalizer, limit_test=args.limit_test,
                          seed=meta.get("seed", 0))
        first = next((m for _, m in model.named_modules() if hasattr(m, "in_features")), None)
        if first is not None and first.in_features != ds.input_dim:
            raise DataError(f"the model expects {first.in_features} input features but "
                            f"{source!r} has {ds.input_dim}")
        last = next((m for _, m in reversed(list(model.named_modules())) if hasattr(m, "out_features")), None)
        if last is not None and last.out_features != ds.num_classes:
            raise DataError(f"the model has {last.out_features} outputs but {source!r} has "
                            f"{ds.num_classes} classes")
        dtype = model.parameters()[0].dtype if model.parameters() else ds.x_test.dtype
        result = evaluate(model, SoftmaxCrossEntropy(), ds.x_test.astype(dtype, copy=False),
                          ds.y_test, ds.num_classes)
    except (FileFormatError, DataError, ValueError) as err:
        print(f"minidl eval: error: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"accuracy": result["accuracy"], "loss": result["loss"],
                          "per_class_accuracy": dict(zip(ds.class_names, result["per_class_accuracy"])),
                          "confusion_matrix": result["confusion_matrix"].tolist(),
                          "samples": len(ds.y_test), "data": str(source), "model": str(args.model)}))
        return 0
    print(f"{args.model} on {source} ({len(ds.y_test)} test samples)")
    print(f"accuracy {result['accuracy']:.4f}   loss {result['loss']:.4f}\n")
    print(format_per_class(ds.class_names, result["per_class_accuracy"]))
    print()
    print(format_confusion(result["confusion_matrix"], ds.class_names))
    return 0


def format_per_class(names: list[str], accuracies: list[float]) -> str:
    width = max(len(n) for n in names)
    lines = [f"{'class'.ljust(width)}  accuracy"]
    lines += [f"{name.ljust(width)}  {acc:.4f}" for name, acc in zip(names, accuracies)]
    return "\n".join(lines)


def format_confusion(cm, names: list[str]) -> str:
    """Rows: true class; columns: predicted class (by index, names in the left column)."""
    width = max(len(n) for n in names)
    cell = max(len(str(int(cm.max()))), len(str(len(names) - 1))) + 1
    header = " " * (width + 3) + "".join(str(j).rjust(cell) for j in range(len(names)))
    lines = ["confusion matrix (rows: true, columns: predicted)", header]
    for i, name in enumerate(names):
        lines.append(f"{name.ljust(width)} {i:>2}" + "".join(str(int(v)).rjust(cell) for v in cm[i]))
    return "\n".join(lines)
