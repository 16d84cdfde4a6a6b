"""Adam with bias correction and L2 weight decay (PyTorch's ``torch.optim.Adam``)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_in_unit_interval, check_non_negative


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction, PyTorch semantics.

    At step t, for each parameter p with gradient g::

        g ← g + λ p                              (L2 added to the gradient)
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        p ← p − lr · m̂ / (√v̂ + ε)

    State: ``state["exp_avg"]`` (m) and ``state["exp_avg_sq"]`` (v), one per parameter.

    Example:
        >>> opt = Adam(model.parameters(), lr=1e-3)
    """

    STATE = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        if isinstance(betas, list):
            betas = tuple(betas)
        self.check_hyper({"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})
        betas = tuple(float(b) for b in betas)
        super().__init__(params, lr=float(lr), betas=betas, eps=float(eps),
                         weight_decay=float(weight_decay))

    def check_hyper(self, hyper: dict) -> None:
        """lr, eps and weight decay ≥ 0 finite; betas two values in [0, 1)."""
        check_non_negative(hyper["lr"], "learning rate")
        check_non_negative(hyper["eps"], "epsilon value")
        check_non_negative(hyper["weight_decay"], "weight_decay value")
        betas = hyper["betas"]
        if not isinstance(betas, tuple) or len(betas) != 2:
            raise ValueError(f"Invalid betas: expected two values (β₁, β₂), e.g. betas=(0.9, 0.999), "
                             f"got {betas!r}")
        for i, beta in enumerate(betas):
            check_in_unit_interval(beta, f"beta parameter at index {i}")

    def step(self) -> None:
        """One Adam update of every parameter, in place: the rule above."""
        self.steps += 1
        (beta1, beta2), eps, wd, t = self.betas, self.eps, self.weight_decay, self.steps
        for p, m, v in zip(self.params, self.state["exp_avg"], self.state["exp_avg_sq"]):
            g = p.grad + wd * p.data if wd else p.grad
            m *= beta1
            m += (1 - beta1) * g                       # m ← β₁ m + (1 − β₁) g
            v *= beta2
            v += (1 - beta2) * g * g                   # v ← β₂ v + (1 − β₂) g²
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + eps)  # p ← p − lr · m̂ / (√v̂ + ε)
