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
    losses must fall, accuracies rise. With ``keep_best`` the best epoch's weights and
    buffers are kept in ``best_state`` (``model.load_state_dict(stopper.best_state)``
    restores them) and its number in ``best_epoch``.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 keep_best: bool = False):
        if patience < 1:
            raise ValueError(f"EarlyStopping: patience must be ≥ 1, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, int(patience), float(min_delta)
        self.mode = _mode_for(monitor)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.bad_epochs = 0
        self.keep_best, self.best_state, self.best_epoch = keep_best, None, None

    def on_epoch_end(self, trainer, record: dict) -> None:
        value = record[self.monitor]
        if _improves(self.mode, value, self.best, self.min_delta):
            self.best, self.bad_epochs, self.best_epoch = value, 0, record["epoch"]
            if self.keep_best:  # copies: training goes on changing the arrays in place
                self.best_state = {k: v.copy() for k, v in trainer.model.state_dict().items()}
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            trainer.stop_training = True
            trainer.log(f"early stopping: {self.monitor} has not improved for {self.patience} "
                        f"epochs (best {self.best:.4f})")


class BestCheckpoint(Callback):
    """Save the model to ``path`` whenever ``monitor`` reaches a new best.

    ``deployable(model)`` gives what is saved (default: the model itself; ``minidl train``
    puts the input normalisation in front).
    """

    def __init__(self, path, monitor: str = "val_accuracy", metadata: dict | None = None,
                 deployable=None):
        self.path, self.monitor, self.metadata = path, monitor, metadata
        self.deployable = deployable or (lambda model: model)  # what to save for a model
        self.mode = _mode_for(monitor)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None

    def on_epoch_end(self, trainer, record: dict) -> None:
        value = record[self.monitor]
        if _improves(self.mode, value, self.best, 0.0):
            self.best, self.best_epoch = value, record["epoch"]
            save(self.deployable(trainer.model), self.path, metadata=self.metadata)
