"""Callbacks: code the trainer calls at the end of every epoch with that epoch's record.

A callback may stop training (``trainer.stop_training = True``) or write files.
"""

from __future__ import annotations

import math

from ..io.model_file import save


class Callback:
    """Base class; override ``on_epoch_end``."""

    def on_epoch_end(self, trainer, record: dict) -> None:
        """Called with the finished epoch's record (keys as in ``Trainer.fit``'s history)."""


def _improves(mode: str, value: float, best: float, min_delta: float) -> bool:
    return value < best - min_delta if mode == "min" else value > best + min_delta


def _mode_for(monitor: str) -> str:
    return "max" if monitor.endswith("accuracy") else "min"


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``monitor`` is a record key such as ``"val_loss"`` or ``"val_accuracy"``;
    losses must fall, accuracies rise.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0):
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be ≥ 1, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode = _mode_for(monitor)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.bad_epochs = 0

    def on_epoch_end(self, trainer, record: dict) -> None:
        value = record[self.monitor]
        if _improves(self.mode, value, self.best, self.min_delta):
            self.best, self.bad_epochs = value, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            trainer.stop_training = True
            trainer.log(f"early stopping: {self.monitor} has not improved for {self.patience} "
                        f"epochs (best {self.best:.4f})")


class BestCheckpoint(Callback):
    """Save the model to ``path`` whenever ``monitor`` reaches a new best."""

    def __init__(self, path, monitor: str = "val_accuracy", metadata: dict | None = None):
        self.path, self.monitor, self.metadata = path, monitor, metadata
        self.mode = _mode_for(monitor)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None

    def on_epoch_end(self, trainer, record: dict) -> None:
        value = record[self.monitor]
        if _improves(self.mode, value, self.best, 0.0):
            self.best, self.best_epoch = value, record["epoch"]
            save(trainer.model, self.path, metadata=self.metadata)
