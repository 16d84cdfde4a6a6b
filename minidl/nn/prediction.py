"""``model.predict`` and ``model.predict_proba``: a trained classifier's answers, as scikit-learn gives them.

Both run the model in evaluation mode (BatchNorm's running statistics, no Dropout),
in slices of rows so that memory stays bounded, and put the model's mode back after.
"""

from __future__ import annotations

import numpy as np

from .functional import softmax


def predict_proba(model, x, batch_size: int = 1024) -> np.ndarray:
    """Class probabilities ``softmax(model(x))`` per row: (N, C), columns in ``model.classes`` order."""
    logits = forward_in_eval_mode(model, x, batch_size)
    if logits.ndim < 2:
        raise ValueError(f"{type(model).__name__}.predict_proba: the model gives outputs of shape "
                         f"{logits.shape}; class probabilities need (N, C) logits")
    return softmax(logits, axis=-1)


def predict(model, x, batch_size: int = 1024) -> np.ndarray:
    """The most probable class per row: a label from ``model.classes`` when it is set, else the id.

    A model with one output and no ``classes`` is a regression model: its values are returned.
    """
    logits = forward_in_eval_mode(model, x, batch_size)
    if model.classes is None and logits.ndim == 2 and logits.shape[1] == 1:
        return logits[:, 0]  # one output and no classes: a regression model's values
    if logits.ndim < 2:
        raise ValueError(f"{type(model).__name__}.predict: the model gives outputs of shape "
                         f"{logits.shape}; a classifier's are (N, C)")
    ids = logits.argmax(axis=-1)  # the largest logit is the largest probability
    if model.classes is None:
        return ids
    classes = np.asarray(model.classes)
    if len(classes) != logits.shape[-1]:
        raise ValueError(f"{type(model).__name__}.predict: the model has {logits.shape[-1]} outputs "
                         f"but {len(classes)} classes ({', '.join(map(str, classes))})")
    return classes[ids]


def forward_in_eval_mode(model, x, batch_size: int = 1024) -> np.ndarray:
    """``model(x)`` in evaluation mode, ``batch_size`` rows at a time; the mode is restored after."""
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"{type(model).__name__}.predict: expected a batch of rows, got shape {x.shape}")
    was_training = model.training
    model.eval()
    try:
        return np.concatenate([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)
