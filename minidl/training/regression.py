"""Evaluation of a regression model: loss, mean absolute error, RMSE and R².

The Trainer trains on standardised targets; ``scale`` (the target's standard
deviation) turns MAE and RMSE back into the target's units. R² = 1 − SS_res / SS_tot
does not depend on the units.
"""

from __future__ import annotations

import numpy as np

from ..nn.prediction import forward_in_eval_mode


def regression_scores(pred: np.ndarray, target: np.ndarray, scale: float = 1.0) -> dict:
    """``{"mae", "rmse", "r2"}`` of ``pred`` against ``target`` (same shape), MAE and RMSE × ``scale``."""
    pred, target = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    residual = pred - target
    total = np.sum((target - target.mean(axis=0)) ** 2)
    r2 = 1.0 - np.sum(residual ** 2) / total if total > 0 else float("nan")  # constant target: undefined
    return {"mae": float(np.mean(np.abs(residual)) * scale),
            "rmse": float(np.sqrt(np.mean(residual ** 2)) * scale), "r2": float(r2)}


def evaluate_regression(model, loss_fn, x: np.ndarray, target: np.ndarray, scale: float = 1.0,
                        batch_size: int = 1000) -> dict:
    """Mean loss and ``regression_scores`` of ``model`` on ``(x, target)``, in evaluation mode."""
    return regression_record(forward_in_eval_mode(model, x, batch_size), target, loss_fn, scale)


def regression_record(pred: np.ndarray, target: np.ndarray, loss_fn, scale: float = 1.0) -> dict:
    """``evaluate_regression``'s record from a model's predictions on ``target``'s samples."""
    return {"loss": float(loss_fn(pred, target)), **regression_scores(pred, target, scale)}
