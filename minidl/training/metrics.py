"""Evaluation: loss, accuracy, per-class accuracy, precision, recall and F1, and the confusion
matrix of a classifier.

From the confusion matrix ``C`` (rows: true class, columns: predicted), per class k:
``precision_k = C[k, k] / Σ_i C[i, k]``, ``recall_k = C[k, k] / Σ_j C[k, j]`` and
``F1_k = 2 · precision_k · recall_k / (precision_k + recall_k)``; a ratio with nothing
to divide by is 0 (scikit-learn's ``zero_division=0``). The macro averages are the plain
means over the classes (every class counts the same, however rare).
"""

from __future__ import annotations

import numpy as np

from ..nn.prediction import forward_in_eval_mode


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class i predicted as class j."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def predict_logits(model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Forward ``x`` through ``model`` in evaluation mode, in batches; restores the mode after."""
    return forward_in_eval_mode(model, x, batch_size)


def evaluate(model, loss_fn, x: np.ndarray, y: np.ndarray, num_classes: int | None = None,
             batch_size: int = 1000) -> dict:
    """Mean loss, accuracy, per-class metrics and confusion matrix of ``model`` on (x, y).

    Args:
        num_classes: C; by default the model's output width (the logits' last axis).

    Returns:
        ``{"loss": float, "accuracy": float, "per_class_accuracy": [float] * C,
        "precision": [float] * C, "recall": [float] * C, "f1": [float] * C,
        "support": [int] * C, "macro_precision": float, "macro_recall": float,
        "macro_f1": float, "confusion_matrix": (C, C) int array}``
        (``per_class_accuracy`` is the recall, kept under its old name).
    """
    return classification_record(predict_logits(model, x, batch_size), y, loss_fn, num_classes)


def classification_record(logits: np.ndarray, y: np.ndarray, loss_fn, num_classes: int | None = None) -> dict:
    """``evaluate``'s record from a model's logits (N, C) on the samples of ``y``."""
    loss = loss_fn(logits, y)
    pred = logits.argmax(axis=1)
    cm = confusion_matrix(y, pred, logits.shape[1] if num_classes is None else num_classes)
    scores = precision_recall_f1(cm)
    return {"loss": float(loss), "accuracy": float(np.mean(pred == y)),
            "per_class_accuracy": scores["recall"], **scores, "confusion_matrix": cm}


def precision_recall_f1(cm: np.ndarray) -> dict:
    """Per-class ``precision``, ``recall``, ``f1`` and ``support`` (lists) and their macro
    averages (``macro_precision``, ``macro_recall``, ``macro_f1``) from a confusion matrix."""
    hits = np.diag(cm).astype(np.float64)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    precision = _ratio(hits, predicted)
    recall = _ratio(hits, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return {"precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
            "support": support.astype(int).tolist(), "macro_precision": float(precision.mean()),
            "macro_recall": float(recall.mean()), "macro_f1": float(f1.mean())}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` elementwise, 0 where ``den`` is 0."""
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)
