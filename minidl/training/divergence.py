"""Seeing divergence that stays finite.

The non-finite check (``NonFiniteLoss``) catches a loss that overflows. BatchNorm hides
the usual blow-up from it: it rescales every activation, so with ``lr = 1e6`` the weights
reach 1e17 and the loss 1e19 while everything stays finite and the run "succeeds".
``DivergenceWatch`` compares, after each step, the loss with the first step's and — every
``every`` steps — each parameter's norm with its norm at the start; growth by more than
``factor`` (1000-fold by default: orders of magnitude, never a normal run's drift) raises ``TrainingDiverged``
naming the step and the parameter (the layer).
"""

from __future__ import annotations

import math

import numpy as np


class TrainingDiverged(RuntimeError):
    """The loss or an activation became NaN/inf, or the loss or a weight grew by orders of
    magnitude; the message names the step and the layer."""


class DivergenceWatch:
    """Raise ``TrainingDiverged`` when the loss or a parameter's norm grows ``factor``-fold.

    A parameter's starting norm is floored at its RMS of 1 (√size), so zero-initialised
    biases and BatchNorm shifts are not "infinitely" grown by their first update.
    """

    def __init__(self, factor: float = 1e3, every: int = 10):
        if not (isinstance(factor, (int, float)) and math.isfinite(factor) and factor > 1):
            raise ValueError(f"DivergenceWatch: factor must be a finite number > 1, got {factor!r}")
        self.factor, self.every = float(factor), int(every)
        self.first_loss: float | None = None
        self.first_step = 0
        self.start_norms: dict[str, float] | None = None

    def after_step(self, step: int, loss: float, model) -> None:
        loss = float(loss)
        if self.first_loss is None:
            self.first_loss, self.first_step = abs(loss), step
            self.start_norms = {name: _floored_norm(p.data) for name, p in model.named_parameters()}
        elif abs(loss) > self.factor * max(self.first_loss, 1e-3):
            raise TrainingDiverged(
                f"training diverged at step {step}: the loss grew from {self.first_loss:.4g} "
                f"(step {self.first_step}) to {loss:.4g}; lower the learning rate")
        if step % self.every == 0:
            self.check_weights(step, model)

    def after_evaluation(self, epoch: int, split: str, loss: float) -> None:
        """An evaluated loss (eval mode: BatchNorm's running statistics) far above the start."""
        if self.first_loss is not None and not abs(float(loss)) <= self.factor * max(self.first_loss, 1e-3):
            raise TrainingDiverged(
                f"training diverged by epoch {epoch}: the {split} loss is {float(loss):.4g}, against "
                f"{self.first_loss:.4g} at step {self.first_step}; lower the learning rate")

    def check_weights(self, step: int, model) -> None:
        for name, param in model.named_parameters():
            start = (self.start_norms or {}).get(name)
            if start is None:
                continue
            norm = _norm(param.data)
            if norm > self.factor * start or not math.isfinite(norm):
                owner = dict(model.named_modules()).get(name.rpartition(".")[0]) if "." in name else model
                raise TrainingDiverged(
                    f"training diverged at step {step}: the weights of layer {name} ({owner!r}) "
                    f"grew from norm {start:.4g} to {norm:.4g} while the loss stayed finite "
                    "(BatchNorm can hide a blow-up from the loss); lower the learning rate")


def _norm(data: np.ndarray) -> float:
    # A dot product of the flat view: no copy in the training loop. In float32 it overflows
    # only past norms of ~1e19, and an infinite norm is reported as divergence anyway;
    # float16 squares overflow past 256, so float16 weights are summed in float32.
    flat = data.reshape(-1)
    if flat.dtype == np.float16:
        flat = flat.astype(np.float32)
    return math.sqrt(float(np.dot(flat, flat)))


def _floored_norm(data: np.ndarray) -> float:
    return max(_norm(data), math.sqrt(data.size))
