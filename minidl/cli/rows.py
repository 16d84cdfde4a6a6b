"""The rows ``minidl eval`` and ``minidl predict`` run a saved model on, as raw features.

A saved model starts with its input normalisation, so the rows are read as they are in
the file (``normalize="none"``). Which rows:

- a CSV file given with ``--data``: every row, in file order, with or without its label
  column (told apart by the model's number of input features);
- any other source given with ``--data`` (a data-set name, an ``.npz``, an IDX directory):
  its test split, which is how those sources mark the rows to evaluate;
- no ``--data``: the test split of the data the model was trained on, found from the
  model file's record of it (an absolute path, else tried relative to the model file).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DataError, Normalizer, load_dataset
from ..data.csvfile import read_csv
from ..data.sources import NAMES
from ..io.model_file import load_with_metadata
from ..nn.containers import Sequential
from ..nn.introspect import input_width, model_dtype
from ..nn.layers import Normalize
from .regression_data import load_regression_set


@dataclass
class Rows:
    """Raw features ``x`` (N, D), their labels as written (or None), and where they came from."""

    x: np.ndarray
    labels: np.ndarray | None
    source: str
    whole_file: bool
    class_names: list[str] | None = None  # the source's own names for numeric ids


def model_path(given: str) -> Path:
    """``MODEL`` as given, or ``DIR/model.npz`` when it is a run directory."""
    path = Path(given)
    return path / "model.npz" if path.is_dir() else path


def load_for_rows(given: str):
    """``(path, model, metadata)`` of ``MODEL`` (a file or a run directory), the model taking raw
    features and knowing its class names (older files kept both in the metadata)."""
    path = model_path(given)
    model, meta = load_with_metadata(path)
    model = taking_raw_features(model, meta)
    named = isinstance(meta.get("class_names"), list) and meta.get("task") != "regression"
    if model.classes is None and named:
        model.classes = meta["class_names"]
    return path, model, meta


def read_rows(data, model, model_file: Path, meta: dict, *, seed=0, need_labels: bool) -> Rows:
    """The rows to run ``model`` on (see the module docstring), in the model's dtype, checked
    against the width of its first layer."""
    if data is None:
        rows = _training_test_split(model_file, meta, seed)
    elif str(data).lower().endswith(".csv") and "," not in str(data):
        rows = _csv_rows(Path(data), input_width(model), need_labels, _label_column(meta, model_file))
    else:
        ds = load_dataset(data, normalize="none", seed=seed)
        rows = Rows(ds.x_test, ds.y_test, str(data), whole_file=False, class_names=ds.class_names)
    width = input_width(model)
    if width is not None and width != rows.x.shape[1]:
        raise DataError(f"the model expects {width} input features but {rows.source} has {rows.x.shape[1]}")
    rows.x = rows.x.astype(model_dtype(model), copy=False)
    return rows


def _training_test_split(model_file: Path, meta: dict, seed) -> Rows:
    recorded = meta.get("data", "fashion-mnist")
    if not isinstance(recorded, str):
        raise DataError(f"{model_file}: its record of the training data is {recorded!r}, not a name "
                        "or a path; give the rows to evaluate with --data FILE")
    source = recorded if recorded in NAMES else _find(recorded, model_file)
    label_column = _label_column(meta, model_file)
    if meta.get("task") == "regression":  # the same split, targets in their own units
        reg = load_regression_set(source, seed=seed, normalize="none", label_column=label_column)
        targets = reg.y_test[:, 0].astype(np.float64) * reg.target_std + reg.target_mean
        return Rows(reg.x_test, targets, source, whole_file=False)
    ds = load_dataset(source, normalize="none", seed=seed, label_column=label_column)
    return Rows(ds.x_test, ds.y_test, source, whole_file=False, class_names=ds.class_names)


def _find(recorded: str, model_file: Path) -> str:
    parts = [p.strip() for p in recorded.split(",")]
    found = []
    for part in parts:
        tried = [Path(part)] if Path(part).is_absolute() else [Path(part), model_file.parent / part]
        hit = next((p for p in tried if p.exists()), None)
        if hit is None:
            raise DataError(f"{model_file} was trained on {part!r}, which is gone (tried "
                            f"{', '.join(str(p) for p in tried)}); give the rows with --data FILE")
        found.append(str(hit))
    return ",".join(found)


def _label_column(meta: dict, model_file: Path):
    column = meta.get("label_column", 0)  # where the training file had its labels
    if isinstance(column, bool) or not isinstance(column, (int, str)):
        raise DataError(f"{model_file}: its record of the label column is {column!r}, not an index or a name")
    return int(column) if isinstance(column, str) and column.lstrip("-").isdigit() else column


def _csv_rows(path: Path, width: int | None, need_labels: bool, label_column=0) -> Rows:
    table = read_csv(path, label_column=label_column)  # that column as labels, the rest as features
    if width is None or table.x.shape[1] == width:
        return Rows(table.x, table.labels, str(path), whole_file=True)
    if table.x.shape[1] + 1 == width and table.labels.dtype.kind in "iuf":
        if need_labels:
            raise DataError(f"{path}: has {width} columns, all features for this model, and no label "
                            "column; evaluating needs labels (minidl predict takes unlabelled rows)")
        # No label column after all: the column read as labels is a feature, put back in its place.
        where = label_column % width if isinstance(label_column, int) else table.columns.index(label_column)
        x = np.insert(table.x.astype(np.float64), where, table.labels, axis=1)
        return Rows(x, None, str(path), whole_file=True)
    raise DataError(f"{path}: has {table.x.shape[1] + 1} columns, but the model takes {width} features "
                    f"(a file with a label column first has {width + 1}; one without, {width})")


def class_ids(rows: Rows, classes, num_outputs: int) -> np.ndarray:
    """The rows' labels as indices into the model's ``classes`` (its output columns)."""
    labels = rows.labels
    if rows.class_names is not None and classes is not None:
        labels = np.asarray(rows.class_names)[labels]  # a named source: compare by name
    if classes is None:
        if labels.dtype.kind not in "iu":
            raise DataError(f"{rows.source}: labels are {labels.dtype} values but the model stores no "
                            "class names to match them against")
        ids = labels.astype(np.int64)
    else:
        lookup = {_label_text(c): i for i, c in enumerate(classes)}
        texts = [_label_text(v) for v in labels.tolist()]
        unknown = sorted({t for t in texts if t not in lookup})
        if unknown:
            row = next(i for i, t in enumerate(texts) if t not in lookup)
            raise DataError(f"{rows.source}: label {unknown[0]!r} (row {row + 1}) is not one of the model's "
                            f"classes ({', '.join(map(str, classes))})")
        ids = np.array([lookup[t] for t in texts], dtype=np.int64)
    if len(ids) and (ids.min() < 0 or ids.max() >= num_outputs):
        raise DataError(f"{rows.source}: class id {int(ids.max())} is outside the model's "
                        f"{num_outputs} outputs")
    return ids


def _label_text(value) -> str:
    # 3, 3.0 and "3" name the same class; text labels are compared as written.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def taking_raw_features(model, meta: dict):
    """``model`` with its input normalisation in front. Models saved before the normalisation
    became their first layer kept it in the metadata; put it in front for them."""
    first = next(iter(model)) if isinstance(model, Sequential) and len(model) else model
    stored = meta.get("normalizer")
    if isinstance(first, Normalize) or not isinstance(stored, dict):
        return model
    try:
        norm = Normalizer.from_state_dict(stored)
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"the model file's stored input normalisation is unreadable ({err})") from None
    wrapped = Sequential(Normalize.fitted(norm.offset, norm.divisor, dtype=model_dtype(model)),
                         *(model if isinstance(model, Sequential) else [model]))
    wrapped.classes = model.classes
    return wrapped
