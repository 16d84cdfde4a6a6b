"""Evaluation: loss, accuracy, per-class accuracy and the confusion matrix of a classifier."""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class i predicted as class j."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def predict_logits(model, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Forward ``x`` through ``model`` in evaluation mode, in batches; restores the mode after."""
    was_training = model.training
    model.eval()
    try:
        return np.concatenate([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model, loss_fn, x: np.ndarray, y: np.ndarray, num_classes: int,
             batch_size: int = 1000) -> dict:
    """Mean loss, accuracy, per-class accuracy and confusion matrix of ``model`` on (x, y).

    Returns:
        ``{"loss": float, "accuracy": float, "per_class_accuracy": [float] * C,
        "confusion_matrix": (C, C) int array}``.
    """
    logits = predict_logits(model, x, batch_size)
    loss = loss_fn(logits, y)
    pred = logits.argmax(axis=1)
    cm = confusion_matrix(y, pred, num_classes)
    support = cm.sum(axis=1)
    per_class = np.divide(np.diag(cm), support, out=np.zeros(num_classes), where=support > 0)
    return {"loss": float(loss), "accuracy": float(np.mean(pred == y)),
            "per_class_accuracy": per_class.tolist(), "confusion_matrix": cm}
