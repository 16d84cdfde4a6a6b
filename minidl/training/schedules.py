"""Learning-rate schedules: ``lr = schedule(step)``, evaluated before every optimizer step.

All are functions of the global step only (never of wall time or of the loss),
so a resumed run sees exactly the learning rates an uninterrupted run would.
"""

from __future__ import annotations

import math


class Schedule:
    """Base: a callable ``step → learning rate``; ``base_lr`` is the peak rate."""

    def __init__(self, base_lr: float, warmup_steps: int = 0):
        if base_lr < 0:
            raise ValueError(f"Invalid learning rate: {base_lr}")
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps must be ≥ 0, got {warmup_steps}")
        self.base_lr, self.warmup_steps = float(base_lr), int(warmup_steps)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            # Linear warm-up from base_lr / warmup_steps: large early steps on random
            # weights are what make momentum SGD blow up in the first hundred steps.
            return self.base_lr * (step + 1) / self.warmup_steps
        return self.after_warmup(step - self.warmup_steps)

    def after_warmup(self, step: int) -> float:
        return self.base_lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr}, warmup_steps={self.warmup_steps})"


class ConstantLR(Schedule):
    """``lr = base_lr`` (after the optional warm-up)."""


class StepLR(Schedule):
    """``lr = base_lr · γ^⌊step / step_size⌋``: drop by γ every ``step_size`` steps."""

    def __init__(self, base_lr: float, step_size: int, gamma: float = 0.1, warmup_steps: int = 0):
        super().__init__(base_lr, warmup_steps)
        if step_size <= 0:
            raise ValueError(f"step_size must be positive, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)

    def after_warmup(self, step: int) -> float:
        return self.base_lr * self.gamma ** (step // self.step_size)


class CosineLR(Schedule):
    """Cosine decay from ``base_lr`` to ``min_lr`` over ``total_steps`` (warm-up included):

    ``lr = min_lr + (base_lr − min_lr) · ½ (1 + cos(π t / T))`` with t, T counted after warm-up.
    """

    def __init__(self, base_lr: float, total_steps: int, warmup_steps: int = 0, min_lr: float = 0.0):
        super().__init__(base_lr, warmup_steps)
        if total_steps <= warmup_steps:
            raise ValueError(f"total_steps ({total_steps}) must exceed warmup_steps ({warmup_steps})")
        self.decay_steps, self.min_lr = int(total_steps - warmup_steps), float(min_lr)

    def after_warmup(self, step: int) -> float:
        t = min(step, self.decay_steps) / self.decay_steps
        return self.min_lr + (self.base_lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * t))


SCHEDULES = ("constant", "step", "cosine")


def make_schedule(name: str, base_lr: float, *, epochs: int, steps_per_epoch: int,
                  warmup_epochs: float = 0.0) -> Schedule:
    """Build a schedule by name over ``epochs × steps_per_epoch`` steps.

    ``step`` divides the rate by 10 after each third of training; ``cosine`` decays to 0.
    """
    total = epochs * steps_per_epoch
    warmup = min(int(round(warmup_epochs * steps_per_epoch)), max(total - 1, 0))
    if name == "constant":
        return ConstantLR(base_lr, warmup)
    if name == "step":
        return StepLR(base_lr, max(1, -(-(total - warmup) // 3)), gamma=0.1, warmup_steps=warmup)
    if name == "cosine":
        return CosineLR(base_lr, max(total, warmup + 1), warmup)
    raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
