"""Losses: a scalar ``L`` from predictions and targets, and ``∂L/∂prediction``.

``loss_fn(pred, target)`` returns the batch loss as a Python float and caches what
``backward`` needs; ``loss_fn.backward()`` returns the gradient with the shape and
dtype of ``pred``. Conventions follow PyTorch: cross-entropy is the mean over the
batch, MSE the mean over all elements.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_array


class Loss:
    """Base of the losses: ``__call__`` is ``forward``; ``backward`` needs a prior forward."""

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    cache = None  # what forward kept for backward

    def cached(self):
        """What ``forward`` stored in ``self.cache``; a clear error if it never ran."""
        if self.cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward: compute the loss first")
        return self.cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused (``backprop-mlp-layers.md`` §6).

    ``L = −(1/N) Σ_n Σ_i Y[n,i] log P[n,i]`` with ``P = softmax(Z)``, computed as
    ``log P = Z − logsumexp(Z)`` so that logits of ±1e4 stay exact.

    Sequences: logits (N, T, C) with labels (N, T) (or probabilities (N, T, C)) are the
    M = N·T rows of one (M, C) batch, so L is the mean over all positions. With
    ``ignore_index=k`` (class ids only; k may lie outside [0, C), e.g. −100, as in
    PyTorch) positions labelled k contribute nothing and L is the mean over the K kept
    positions, ``L = −(1/K) Σ_{kept m} log P[m, y_m]`` (``docs/derivations/recurrent.md`` §5).
    A batch with every position ignored has K = 0: its loss and gradient are 0 (PyTorch
    gives nan there).

    Args:
        ignore_index: a label whose positions are left out of the loss, or None.

    Args (of ``forward``):
        logits: Z, shape (N, C) or (N, ..., C), finite floats.
        target: int class ids of shape Z.shape[:-1] in ``[0, C)`` (or ``ignore_index``),
            or one-hot / probability rows of Z's shape.

    Example:
        >>> loss_fn = SoftmaxCrossEntropy()
        >>> round(loss_fn(np.zeros((2, 4)), np.array([0, 3])), 4)  # ln 4
        1.3863
        >>> padded = SoftmaxCrossEntropy(ignore_index=-100)
        >>> round(padded(np.zeros((1, 3, 4)), np.array([[1, -100, 2]])), 4)  # two kept positions
        1.3863
    """

    def __init__(self, ignore_index: int | None = None):
        if ignore_index is not None and (isinstance(ignore_index, bool)
                                         or not isinstance(ignore_index, (int, np.integer))):
            raise TypeError(f"SoftmaxCrossEntropy: ignore_index must be an int or None, "
                            f"got {ignore_index!r}")
        self.ignore_index = None if ignore_index is None else int(ignore_index)

    def forward(self, logits, target) -> float:
        z = _check_logits(logits)
        y = check_target(target, z.shape, self.ignore_index)
        c = z.shape[-1]
        rows = z.reshape(-1, c)                                  # (M, C)
        shifted = rows - rows.max(axis=1, keepdims=True)  # log-sum-exp: every entry ≤ 0, Σ exp ≥ 1
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (M, C), log P
        if y.ndim == z.ndim - 1:  # class ids
            ids = y.reshape(-1)                                  # (M,)
            kept = np.ones(ids.shape, bool) if self.ignore_index is None else ids != self.ignore_index
            ids = np.where(kept, ids, 0)  # any valid column for ignored rows: they are masked out
            count = int(kept.sum())
            picked = log_p[np.arange(len(ids)), ids]             # (M,), log P[m, y_m]
            loss = -picked[kept].sum() / max(count, 1)
            self.cache = (np.exp(log_p), ids, kept, count, z.shape)
        else:
            y = y.reshape(-1, c)                                 # (M, C)
            loss = -(y * log_p).sum() / rows.shape[0]
            self.cache = (np.exp(log_p), y, None, rows.shape[0], z.shape)
        return float(loss)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """∂L/∂Z = (P − Y) / N  (the boxed result of ``backprop-mlp-layers.md`` §6).

        That is for target rows summing to 1 (ids, one-hot, probabilities); for target
        rows of any other total the same derivation gives (P·Σ_i Y_i − Y) / N, which is
        what is computed then. With ignored positions, N is the count K of kept ones and
        the rows of ignored positions are 0. ``dout`` scales the result (∂(loss)/∂L: 1
        by default, the loss scale in mixed precision).
        """
        p, y, kept, count, shape = self.cached()  # P: (M, C)
        if kept is not None:  # class ids: Y is one-hot, so P − Y subtracts 1 at each row's class
            dz = p.copy()
            dz[np.arange(len(y)), y] -= 1
            dz[~kept] = 0
        else:
            y = np.asarray(y, dtype=p.dtype)
            dz = p * y.sum(axis=1, keepdims=True) - y
        return (dz * p.dtype.type(dout / max(count, 1))).reshape(shape)

    def __repr__(self) -> str:
        if self.ignore_index is None:
            return "SoftmaxCrossEntropy()"
        return f"SoftmaxCrossEntropy(ignore_index={self.ignore_index})"


class MSELoss(Loss):
    """Mean squared error ``L = (1/M) Σ (pred − target)²`` over all M elements.

    ``pred`` and ``target`` must have the same shape (no silent broadcasting:
    an (N, 1) prediction against an (N,) target is a bug worth an error).
    """

    def forward(self, pred, target) -> float:
        pred = as_array(pred, "MSELoss")
        target = as_array(target, "MSELoss")
        if pred.shape != target.shape:
            raise ValueError(
                f"MSELoss: prediction of shape {pred.shape} and target of shape {target.shape} "
                "must have the same shape"
            )
        if pred.size == 0:
            raise ValueError("MSELoss: got an empty batch")
        if pred.dtype.kind != "f":
            pred = pred.astype(np.float64)
        if not (np.isfinite(pred).all() and np.isfinite(target).all()):
            raise ValueError("MSELoss: prediction or target contains NaN or inf")
        diff = pred - np.asarray(target, dtype=pred.dtype)
        self.cache = diff
        # a float16 square overflows past 256: sum the squares in float32
        wide = diff.astype(np.float32) if diff.dtype == np.float16 else diff
        return float(np.mean(wide * wide))

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """∂L/∂pred = 2 (pred − target) / M, times ``dout``."""
        diff = self.cached()
        return diff * diff.dtype.type(2 * float(dout) / diff.size)


def _check_logits(logits) -> np.ndarray:
    z = as_array(logits, "SoftmaxCrossEntropy")
    if z.ndim < 2:
        raise ValueError(f"SoftmaxCrossEntropy: expected logits of shape (N, C), got {z.shape}")
    if z.shape[0] == 0:
        raise ValueError(f"SoftmaxCrossEntropy: got an empty batch, logits of shape {z.shape}")
    if z.shape[-1] == 0:
        raise ValueError(f"SoftmaxCrossEntropy: logits of shape {z.shape} have no classes")
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if not np.isfinite(z).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(z))[0])
        raise ValueError(
            f"SoftmaxCrossEntropy: logits contain NaN or inf (first at index {bad}: {z[bad]})"
        )
    return z


def check_target(target, logits_shape: tuple, ignore_index: int | None = None) -> np.ndarray:
    """Class ids of shape logits_shape[:-1] in [0, C) (or ``ignore_index``) or probability
    rows of ``logits_shape`` for logits of that shape; a clear error otherwise (the
    planned loss checks with it too)."""
    c = logits_shape[-1]
    ids_shape = tuple(logits_shape[:-1])
    y = np.asarray(target)
    if y.shape == ids_shape:
        if y.dtype.kind not in "iu":
            raise TypeError(
                f"SoftmaxCrossEntropy: class ids must be integers, got dtype {y.dtype}; "
                f"pass one-hot or probability targets with shape {tuple(logits_shape)} instead"
            )
        bad = (y < 0) | (y >= c)
        if ignore_index is not None:
            bad &= y != ignore_index
        if bad.any():
            label = y[bad].flat[0]
            raise IndexError(
                f"SoftmaxCrossEntropy: label {label} is out of range for {c} classes (valid 0..{c - 1}"
                + ("" if ignore_index is None else f", or ignore_index={ignore_index}") + ")"
            )
        return y
    if y.shape == tuple(logits_shape):
        if y.dtype.kind not in "biuf":
            raise TypeError(f"SoftmaxCrossEntropy: targets must be numeric, got dtype {y.dtype}")
        if not np.isfinite(y).all():
            raise ValueError("SoftmaxCrossEntropy: target probabilities contain NaN or inf")
        if (y < 0).any():
            raise ValueError("SoftmaxCrossEntropy: target probabilities must be ≥ 0, got a negative entry")
        return y
    ids = "(" + ", ".join(str(d) for d in ids_shape) + ("," if len(ids_shape) == 1 else "") + ")"
    raise ValueError(
        f"SoftmaxCrossEntropy: expected targets of shape {ids} (class ids) or {tuple(logits_shape)} "
        f"(probabilities) for logits of shape {tuple(logits_shape)}, got {y.shape}"
    )
