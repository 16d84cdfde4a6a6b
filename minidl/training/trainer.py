"""The training loop: epochs of mini-batch steps, evaluation, history, callbacks.

One loop for the CLI, the examples and the tests — nobody copies it. Each step
reads top to bottom: schedule → forward → loss → backward → (clip) → update.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from tqdm import tqdm

from ..plan import NonFiniteLoss, plain_step, plan
from .divergence import DivergenceWatch, TrainingDiverged
from .metrics import classification_record, predict_logits
from .regression import regression_record

__all__ = ["Trainer", "TrainingDiverged", "first_non_finite_layer", "format_record"]

TASKS = ("classification", "regression")


def first_non_finite_layer(model, x: np.ndarray) -> str:
    """Replay ``x`` layer by layer and describe the first layer whose output is not finite."""
    layers = list(getattr(model, "layers", [model]))
    with np.errstate(over="ignore", invalid="ignore"):
        for index, layer in enumerate(layers):
            x = layer(x)
            if not np.isfinite(x).all():
                return f"layer {index} {layer!r}"
    return "none (the loss itself overflowed)"


class Trainer:
    """Train ``model`` with ``loss_fn`` and ``optimizer``.

    Args:
        model: a ``Module`` mapping (N, D) inputs to (N, C) logits.
        loss_fn: e.g. ``SoftmaxCrossEntropy()``.
        optimizer: an ``SGD`` / ``Adam`` over ``model.parameters()``.
        schedule: optional ``step → lr`` callable, applied before every step.
        clip_norm: optional maximum global gradient norm.
        callbacks: objects with ``on_epoch_end(trainer, record)``; those that also define
            ``on_step_begin(trainer, step)`` / ``on_step_end(trainer, step)`` are called
            around every optimizer step (at the end, the step's gradients ∂L/∂p are still
            in the ``.grad`` arrays; without such a callback a planned step may leave them
            multiplied by the learning rate, see ``plan(fold_lr=)``).
        progress: show a tqdm bar per epoch and, unless ``log`` says otherwise, print one
            summary line per epoch (``progress=False``: silent, as Keras' ``verbose=0``).
        log: a callable that receives each summary line (default: ``print`` when
            ``progress`` is on); ``None`` discards them.
        mixed_precision: a ``MixedPrecision`` for a float16 model (the optimizer then
            updates its float32 master weights; see ``minidl.training.mixed_precision``).
        task: ``"classification"`` (records accuracy) or ``"regression"`` (records MAE, RMSE
            and R², see ``minidl.training.regression``; ``target_scale`` turns MAE and RMSE
            of standardised targets back into the target's units).
        divergence_factor: stop with ``TrainingDiverged`` when the loss, or a layer's weight
            norm, grows this many times over its start (``DivergenceWatch``; finite blow-ups
            that BatchNorm hides from the non-finite check). ``None`` turns it off.
        planned: train with ``minidl.plan`` (default; the same numbers, faster). ``False``
            runs the teaching path — each layer's own forward and backward, the optimizer's
            own ``step`` — e.g. to watch an edited layer train. Float16 training always
            runs the teaching path.

    Example:
        >>> trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
        >>> history = trainer.fit(DataLoader(x, y, batch_size=64, rng=0), epochs=5,
        ...                       test_data=(x_test, y_test))
    """

    def __init__(self, model, loss_fn, optimizer, *, schedule=None, clip_norm=None,
                 callbacks=(), progress: bool = True, log=..., mixed_precision=None,
                 planned: bool = True, task: str = "classification", target_scale: float = 1.0,
                 divergence_factor: float | None = 1e3):
        if task not in TASKS:
            raise ValueError(f"Trainer: task must be one of {', '.join(TASKS)}, got {task!r}")
        self.task, self.target_scale = task, float(target_scale)
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.mixed_precision = mixed_precision
        self.planned = planned and mixed_precision is None
        self._plan = None  # made at the first step, when the optimizer's state is final
        self.schedule, self.clip_norm = schedule, clip_norm
        self.callbacks = list(callbacks)
        if log is ...:  # not given: the summary lines follow `progress`
            log = print if progress else None
        self.progress, self.log = progress, log if log is not None else _discard
        self.history: list[dict] = []
        self.step = 0
        self.stop_training = False
        self.divergence = DivergenceWatch(divergence_factor) if divergence_factor is not None else None
        self._skipped_single = False

    def fit(self, loader, epochs: int, *, val_data=None, test_data=None, num_classes=None,
            start_epoch: int = 0) -> list[dict]:
        """Train from ``start_epoch`` up to ``epochs`` (the total), evaluating after each epoch.

        Returns the history: one record per epoch with ``epoch, train_loss,
        train_accuracy, [val_loss, val_accuracy,] [test_loss, test_accuracy,] lr, seconds``.
        """
        self.stop_training = False
        for epoch in range(start_epoch + 1, epochs + 1):
            started = time.perf_counter()
            train_loss, train_acc = self.train_epoch(loader, epoch, epochs)
            record = {"epoch": epoch, "train_loss": train_loss}
            if self.task == "classification":
                record["train_accuracy"] = train_acc
            for split, data in (("val", val_data), ("test", test_data)):
                if data is not None:
                    record.update({f"{split}_{key}": value
                                   for key, value in self.evaluate(data, num_classes).items()})
            record["lr"] = self.optimizer.lr
            record["seconds"] = time.perf_counter() - started
            if self.divergence is not None:
                for split in ("val", "test"):
                    if f"{split}_loss" in record:
                        self.divergence.after_evaluation(epoch, split, record[f"{split}_loss"])
            self.history.append(record)
            self.log(format_record(record, epochs))
            for callback in self.callbacks:
                callback.on_epoch_end(self, record)
            if self.stop_training:
                break
        return self.history

    def evaluate(self, data, num_classes=None) -> dict:
        """The record entries of one evaluated split: loss and accuracy, or loss, MAE, RMSE and R²."""
        x, y = data
        # Planned training evaluates through the plan's forward too: the same numbers as the
        # layers' own (held to them by tests/test_plan.py), in the workspace the steps reuse.
        outputs = self._plan.forward(x) if self.planned and self._plan is not None and \
            self._plan.model is self.model else predict_logits(self.model, x)
        if self.task == "regression":
            return regression_record(outputs, y, self.loss_fn, self.target_scale)
        result = classification_record(outputs, y, self.loss_fn, num_classes or int(y.max()) + 1)
        return {"loss": result["loss"], "accuracy": result["accuracy"]}

    def train_epoch(self, loader, epoch: int = 1, epochs: int = 1) -> tuple[float, float]:
        """One pass over ``loader`` (no evaluation, no callbacks); returns (mean loss, accuracy)."""
        self.model.train()
        total_loss, correct, seen = 0.0, 0, 0
        bar = tqdm(total=loader.num_samples, desc=f"epoch {epoch}/{epochs}", unit="sample",
                   disable=not self.progress, leave=False, file=sys.stderr, dynamic_ncols=True)
        needs_two = _normalises_over_the_batch(self.model)
        with bar:
            for xb, yb in loader:
                if needs_two and len(yb) == 1 and seen:
                    # The loader's remainder, a batch the user did not choose: BatchNorm cannot
                    # normalise one sample. It is skipped, not trained on (the step still counts,
                    # so the schedule and a resumed run's position stay where they would be).
                    self.step += 1
                    if not self._skipped_single:
                        self.log(f"note: skipping the last batch of each epoch, 1 sample: BatchNorm "
                                 f"needs 2 or more (choose a batch size that does not leave 1 of "
                                 f"{loader.num_samples})")
                        self._skipped_single = True
                    bar.update(1)
                    continue
                loss, logits = self.train_step(xb, yb)
                n = len(yb)
                total_loss += loss * n
                if self.task == "classification":
                    correct += np.count_nonzero(logits.argmax(axis=1) == yb)
                seen += n
                bar.update(n)
                if self.progress and (bar.n == n or self.step % 20 == 0):
                    # tqdm shows samples/s itself (unit="sample"); we add the running metrics
                    shown = {"acc": f"{correct / seen:.4f}"} if self.task == "classification" else {}
                    bar.set_postfix(loss=f"{total_loss / seen:.4f}", **shown, refresh=False)
        return total_loss / seen, correct / seen

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, np.ndarray]:
        """One optimizer step on a batch; returns the batch loss and the logits."""
        if self.schedule is not None:
            self.optimizer.lr = self.schedule(self.step)
        self.step += 1
        self._step_hook("on_step_begin")
        loss, logits = self._planned_step(xb, yb) if self.planned else self._teaching_step(xb, yb)
        if self.divergence is not None:
            self.divergence.after_step(self.step, loss, self.model)
        self._step_hook("on_step_end")
        return loss, logits

    def _planned_step(self, xb, yb) -> tuple[float, np.ndarray]:
        made = self._plan
        # A callback told of each step's end may read the step's gradients: then the plan keeps
        # ∂L/∂p in .grad instead of folding the learning rate into it (see ``plan``).
        fold_lr = not any(hasattr(callback, "on_step_end") for callback in self.callbacks)
        if made is None or (made.model, made.loss_fn, made.optimizer, made.clip_norm, made.fold_lr) != \
                (self.model, self.loss_fn, self.optimizer, self.clip_norm, fold_lr):  # a part was replaced
            self._plan = plan(self.model, self.loss_fn, self.optimizer, clip_norm=self.clip_norm,
                              fold_lr=fold_lr)
        try:
            return self._plan(xb, yb), self._plan.output
        except NonFiniteLoss as err:
            self._diverged(xb, err.output, err.loss)

    def _teaching_step(self, xb, yb) -> tuple[float, np.ndarray]:
        # A non-finite loss stops everything before a NaN gradient can reach (and ruin)
        # the weights; the error says more than numpy's warnings (the step and the layer).
        try:
            if self.mixed_precision is None:
                return plain_step(self.model, self.loss_fn, self.optimizer, xb, yb, self.clip_norm)
            return self._float16_step(xb, yb)
        except NonFiniteLoss as err:
            self._diverged(xb, err.output, err.loss)

    def _float16_step(self, xb, yb) -> tuple[float, np.ndarray]:
        """Forward in float16, the loss in float32, then a scaled backward and a float32 master
        update (or a skipped step), see ``MixedPrecision.backward_and_step``."""
        with np.errstate(over="ignore", invalid="ignore"):
            logits = self.model(xb)
        loss = self.loss_fn(logits.astype(np.float32), yb) if np.isfinite(logits).all() else float("nan")
        if not np.isfinite(loss):
            raise NonFiniteLoss(loss, logits)
        self.optimizer.zero_grad()
        self.mixed_precision.backward_and_step(self.model, self.loss_fn, self.optimizer, self.clip_norm)
        return loss, logits

    def _diverged(self, xb, logits, loss):
        if not np.isfinite(logits).all():
            raise TrainingDiverged(
                f"training diverged at step {self.step}: the logits are not finite; first "
                f"non-finite output: {first_non_finite_layer(self.model, xb)}")
        raise TrainingDiverged(f"training diverged at step {self.step}: the loss is {loss}")

    def _step_hook(self, name: str) -> None:
        """Call ``name(trainer, step)`` on the callbacks that define it: per-step hooks are optional."""
        for callback in self.callbacks:
            hook = getattr(callback, name, None)
            if hook is not None:
                hook(self, self.step)


def _discard(line: str) -> None:
    """The ``log`` of a silent Trainer."""


def _normalises_over_the_batch(model) -> bool:
    """Whether a training-mode layer normalises over the batch axis (BatchNorm and kin)."""
    return any(type(m).__name__.startswith("BatchNorm") and m.training for _, m in model.named_modules())


def format_record(record: dict, epochs: int) -> str:
    """One summary line per epoch, the same format everywhere."""
    parts = [f"epoch {record['epoch']:>{len(str(epochs))}}/{epochs}",
             f"train loss {record['train_loss']:.4f}"]
    if "train_accuracy" in record:
        parts[-1] += f" acc {record['train_accuracy']:.4f}"
    for split in ("val", "test"):
        if f"{split}_accuracy" in record:
            parts.append(f"{split} loss {record[f'{split}_loss']:.4f} acc {record[f'{split}_accuracy']:.4f}")
        elif f"{split}_r2" in record:
            parts.append(f"{split} loss {record[f'{split}_loss']:.4f} MAE {record[f'{split}_mae']:.4g} "
                         f"R² {record[f'{split}_r2']:.4f}")
    parts.append(f"lr {record['lr']:.3g}")
    parts.append(f"{record['seconds']:.1f}s")
    return " | ".join(parts)
