"""``minidl predict MODEL --data FILE``: one prediction per row of FILE, as CSV.

The saved model takes raw features (its input normalisation is its first layer), so
FILE's rows go in as written, with or without a label column. Each output row holds
the predicted class name (or id), and with ``--proba`` one probability per class.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

from ..data import DataError
from ..io.atomic import atomic_write
from ..io.npz import FileFormatError
from .rows import load_for_rows, read_rows


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="write a saved model's prediction for every row of a file",
                       description="Predict with a model saved by `minidl train` (MODEL: the .npz or its "
                                   "run directory): one CSV row out per row of --data, in order.")
    p.add_argument("model", help="a model .npz written by minidl, or a run directory holding model.npz")
    p.add_argument("--data", required=True,
                   help="a CSV file (with or without its label column), or a data-set name, .npz or IDX "
                        "directory (its test split)")
    p.add_argument("--out", type=Path, help="write the predictions to this CSV file (default: stdout)")
    p.add_argument("--proba", action="store_true", help="add one probability column per class")


def run(args, parser) -> int:
    try:
        path, model, meta = load_for_rows(args.model)
        rows = read_rows(args.data, model, path, meta, need_labels=False)
        if meta.get("task") == "regression":
            if args.proba:
                raise ValueError("--proba: a regression model predicts values, not class probabilities")
            return write(args, "prediction\n" + "".join(f"{v:.8g}\n" for v in model.predict(rows.x)))
        proba = model.predict_proba(rows.x)
    except (FileFormatError, DataError, ValueError) as err:
        print(f"minidl predict: error: {err}", file=sys.stderr)
        return 1
    classes = list(model.classes) if model.classes is not None else list(range(proba.shape[1]))
    if len(classes) != proba.shape[1]:
        print(f"minidl predict: error: the model has {proba.shape[1]} outputs but stores "
              f"{len(classes)} class names", file=sys.stderr)
        return 1
    return write(args, predictions_csv(proba, classes, args.proba))


def write(args, text: str) -> int:
    """``text`` to ``--out`` (atomically) or to stdout."""
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        atomic_write(args.out, lambda f: f.write(text), text=True)
    except OSError as err:
        print(f"minidl predict: error: cannot write {args.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    print(f"wrote {text.count(chr(10)) - 1} predictions to {args.out}", file=sys.stderr)
    return 0


def predictions_csv(proba: np.ndarray, classes: list, with_proba: bool) -> str:
    """A header and one line per row: the predicted class, then (``with_proba``) each class's probability."""
    buffer = io.StringIO()
    header = ["prediction"] + ([f"p_{_cell(c)}" for c in classes] if with_proba else [])
    buffer.write(",".join(header) + "\n")
    labels = [_cell(classes[k]) for k in proba.argmax(axis=1)]
    for i, label in enumerate(labels):
        cells = [label] + ([f"{p:.6g}" for p in proba[i]] if with_proba else [])
        buffer.write(",".join(cells) + "\n")
    return buffer.getvalue()


def _cell(value) -> str:
    # A class name holding a comma or a quote is quoted, as CSV readers expect.
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\n') else text
