"""float16 training: half-precision compute, float32 master weights, dynamic loss scaling.

float16 keeps 11 significant bits and spans 6e-8 (smallest subnormal) to 65504.
Gradients of a well-trained network are often smaller than 6e-8 and underflow to
zero; weight updates ``lr·g`` are often below a float16 weight's resolution
(2⁻¹⁰ of its size) and vanish. The standard cure (Micikevicius et al., 2018):

- the optimizer updates float32 *master* copies of the weights, and the float16
  model is refreshed from them after every step;
- the loss is multiplied by a scale S before backward, which shifts every gradient
  S times up, out of the underflow range (the chain rule is linear in ∂L/∂out);
  the master gradients are divided by S again;
- if any scaled gradient overflowed to inf/NaN, the step is skipped and S halved;
  after ``growth_interval`` clean steps S doubles — the largest safe scale is
  found and tracked as training goes.
"""

from __future__ import annotations

import numpy as np

from ..nn.module import Parameter
from ..optim.clip import clip_grad_norm


class MixedPrecision:
    """Master weights and a dynamic loss scale for a float16 ``model``.

    Args:
        model: a Module whose parameters are float16.
        init_scale: the first loss scale S (2¹⁵ by default).
        growth_interval: clean steps before S doubles.
        backoff: factor applied to S after an overflow.

    Attributes:
        scale: the current S.
        steps: steps attempted; skipped_steps: those skipped because a gradient overflowed.
        underflows: gradient entries that came out of the scaled float16 backward as
            subnormal numbers (0 < |g| < 2⁻¹⁴, with fewer than 11 significant bits left):
            the entries on their way to underflowing to zero, summed over the steps taken.

    Example:
        >>> mp = MixedPrecision(model16)
        >>> trainer = Trainer(model16, loss_fn, SGD(mp.master_parameters(), lr=0.1), mixed_precision=mp)
    """

    def __init__(self, model, init_scale: float = 2.0 ** 15, growth_interval: int = 200,
                 backoff: float = 0.5):
        self.model_params = model.parameters()
        if any(p.dtype != np.float16 for p in self.model_params):
            raise TypeError("MixedPrecision: the model's parameters must be float16 "
                            f"(got {sorted({str(p.dtype) for p in self.model_params})})")
        self.master = [Parameter(p.data.astype(np.float32)) for p in self.model_params]
        self.scale, self.growth_interval, self.backoff = float(init_scale), int(growth_interval), backoff
        self.good_steps = self.skipped_steps = self.steps = self.underflows = 0

    def master_parameters(self) -> list[Parameter]:
        """The float32 parameters the optimizer must update."""
        return self.master

    def backward_and_step(self, model, loss_fn, optimizer, clip_norm=None) -> bool:
        """Scaled float16 backward, unscale into the masters, step, refresh the model.

        Returns False (and lowers the scale) when the step was skipped for overflow.
        """
        self.steps += 1
        model.zero_grad()
        dlogits = loss_fn.backward(self.scale)  # ∂(S·L)/∂Z in float32
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is detected just below
            model.backward(dlogits.astype(np.float16))
        if not all(np.isfinite(p.grad).all() for p in self.model_params):
            self.skipped_steps += 1
            self.good_steps = 0
            self.scale *= self.backoff
            return False
        self.underflows += sum(_subnormals(p.grad) for p in self.model_params)
        inverse = 1.0 / self.scale
        for master, p in zip(self.master, self.model_params):
            np.multiply(p.grad, inverse, out=master.grad)  # g = ∂(S·L)/∂θ / S, in float32
        if clip_norm is not None:
            clip_grad_norm(self.master, clip_norm)
        optimizer.step()
        for master, p in zip(self.master, self.model_params):
            np.copyto(p.data, master.data, casting="same_kind")
        self.good_steps += 1
        if self.good_steps % self.growth_interval == 0:
            self.scale *= 2
        return True

    def state_dict(self) -> dict:
        """The scale, the counters, and copies of the master weights."""
        return {"scale": self.scale, "good_steps": self.good_steps, "skipped_steps": self.skipped_steps,
                "steps": self.steps, "underflows": self.underflows,
                "master": [m.data.copy() for m in self.master]}

    def load_state_dict(self, state: dict) -> None:
        shapes = [np.shape(a) for a in state["master"]]
        if shapes != [m.shape for m in self.master]:
            raise ValueError(f"MixedPrecision.load_state_dict: master weights have shapes {shapes}, "
                             f"expected {[m.shape for m in self.master]}")
        for master, value in zip(self.master, state["master"]):
            np.copyto(master.data, value)
        self.scale, self.good_steps = float(state["scale"]), int(state["good_steps"])
        self.skipped_steps, self.steps = int(state["skipped_steps"]), int(state["steps"])
        self.underflows = int(state["underflows"])

    def __repr__(self) -> str:
        return (f"MixedPrecision(scale={self.scale:g}, steps={self.steps}, "
                f"skipped={self.skipped_steps})")


SMALLEST_NORMAL_FLOAT16 = float(np.finfo(np.float16).tiny)  # 2⁻¹⁴ ≈ 6.1e-5


def _subnormals(grad: np.ndarray) -> int:
    """How many entries of a float16 array are subnormal (non-zero, below 2⁻¹⁴ in size)."""
    magnitude = np.abs(grad)
    return int(np.count_nonzero((magnitude < SMALLEST_NORMAL_FLOAT16) & (magnitude > 0)))
