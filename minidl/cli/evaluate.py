"""``minidl eval MODEL``: accuracy, loss, per-class accuracy and confusion matrix of a saved model."""

from __future__ import annotations

import json
import sys

import numpy as np

from ..data import DataError
from ..io.npz import FileFormatError
from ..nn.losses import SoftmaxCrossEntropy
from ..training import evaluate
from ..training.regression import regression_scores
from .rows import class_ids, load_for_rows, read_rows
from .threads import threads_from_flag

# Per-class and averaged scores beside accuracy, when ``evaluate`` gives them.
EXTRA_KEYS = ("precision", "recall", "f1", "macro_precision", "macro_recall", "macro_f1")


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="evaluate a saved model (on its test split, or on every row of a file)",
                       description="Evaluate a model saved by `minidl train` (MODEL: the model .npz or its "
                                   "run directory). With --data FILE.csv every row of the file is "
                                   "evaluated; without --data, the test split of the data it was "
                                   "trained on.")
    p.add_argument("model", help="a model .npz written by minidl, or a run directory holding model.npz")
    p.add_argument("--data", default=None,
                   help="a CSV file (every row is evaluated), or a data-set name, .npz or IDX directory "
                        "(its test split); default: the test split of the model's training data")
    p.add_argument("--limit-test", type=int, default=None, help="evaluate on the first N rows only")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.add_argument("--threads", type=int, help="BLAS threads (default: every core)")


def run(args, parser) -> int:
    if args.limit_test is not None and args.limit_test < 1:
        parser.error(f"--limit-test must be ≥ 1, got {args.limit_test}")
    code = threads_from_flag(args, parser)
    if code is not None:
        return code
    try:
        path, model, meta = load_for_rows(args.model)
        rows = read_rows(args.data, model, path, meta, seed=_seed(meta), need_labels=True)
        x, labels = rows.x[: args.limit_test], rows.labels[: args.limit_test]
        rows.labels = labels
        if meta.get("task") == "regression":
            return report_regression(args, path, rows, model.predict(x), labels)
        num_outputs = np.shape(model.predict_proba(x[:1]))[-1]
        y = class_ids(rows, model.classes, num_outputs)
        result = evaluate(model, SoftmaxCrossEntropy(), x, y, num_outputs)
    except (FileFormatError, DataError, ValueError) as err:
        print(f"minidl eval: error: {err}", file=sys.stderr)
        return 1
    names = ([str(c) for c in model.classes] if model.classes is not None
             else [str(k) for k in range(num_outputs)])
    what = "rows, the whole file" if rows.whole_file else "test samples"
    if args.json:
        report = {"accuracy": result["accuracy"], "loss": result["loss"],
                  "per_class_accuracy": dict(zip(names, result["per_class_accuracy"])),
                  "confusion_matrix": result["confusion_matrix"].tolist(),
                  "samples": len(y), "whole_file": rows.whole_file, "data": rows.source, "model": str(path)}
        for key in EXTRA_KEYS:  # per-class lists keyed by class name, as per_class_accuracy
            if key in result:
                value = result[key]
                report[key] = dict(zip(names, value)) if isinstance(value, list) else value
        print(json.dumps(report, default=float))
        return 0
    print(f"{path} on {rows.source} ({len(y)} {what})")
    print(f"accuracy {result['accuracy']:.4f}   loss {result['loss']:.4f}\n")
    print(format_per_class(names, result))
    print()
    print(format_confusion(result["confusion_matrix"], names))
    return 0


def report_regression(args, path, rows, predictions, targets) -> int:
    """MAE, RMSE and R² of a regression model's predictions, in the target's units."""
    if targets is None or np.asarray(targets).dtype.kind not in "iuf":
        print(f"minidl eval: error: {rows.source}: a regression model needs numeric targets in the "
              "first column", file=sys.stderr)
        return 1
    scores = regression_scores(predictions, np.asarray(targets, dtype=np.float64))
    if args.json:
        print(json.dumps({**scores, "samples": len(targets), "whole_file": rows.whole_file,
                          "data": rows.source, "model": str(path)}))
        return 0
    what = "rows, the whole file" if rows.whole_file else "test samples"
    print(f"{path} on {rows.source} ({len(targets)} {what})")
    print(f"MAE {scores['mae']:.4g}   RMSE {scores['rmse']:.4g}   R² {scores['r2']:.4f}")
    return 0


def _seed(meta: dict) -> int:
    seed = meta.get("seed", 0)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else 0


def format_per_class(names: list[str], result: dict) -> str:
    """One line per class: accuracy (recall), and precision and F1 when ``result`` has them."""
    width = max(len(n) for n in names)
    columns = [("accuracy", result["per_class_accuracy"])]
    columns += [(key, result[key]) for key in ("precision", "recall", "f1") if key in result]
    lines = [f"{'class'.ljust(width)}  " + "  ".join(f"{title:>9}" for title, _ in columns)]
    for i, name in enumerate(names):
        lines.append(f"{name.ljust(width)}  " + "  ".join(f"{values[i]:9.4f}" for _, values in columns))
    if "macro_f1" in result:
        lines.append(f"{'macro'.ljust(width)}  {'':>9}  " + "  ".join(
            f"{result[f'macro_{key}']:9.4f}" for key in ("precision", "recall", "f1")))
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
