"""Stochastic gradient descent with (Nesterov) momentum and weight decay."""

from __future__ import annotations

from .optimizer import Optimizer, check_in_unit_interval, check_non_negative


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    For each parameter p with gradient g, momentum μ, weight decay λ (PyTorch's rule)::

        g ← g + λ p
        v ← μ v + g                       (v starts at 0, so the first v is g)
        p ← p − lr · (g + μ v  if nesterov else  v)

    With μ = 0 this is plain ``p ← p − lr · g``. State: ``state["momentum"]``, one v per
    parameter (present when μ > 0).

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); model.backward(loss_fn.backward()); opt.step()
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        self.check_hyper({"lr": lr, "momentum": momentum, "nesterov": nesterov,
                          "weight_decay": weight_decay})
        super().__init__(params, lr=float(lr), momentum=float(momentum), nesterov=bool(nesterov),
                         weight_decay=float(weight_decay))

    def check_hyper(self, hyper: dict) -> None:
        """lr ≥ 0 and weight decay ≥ 0 finite, momentum in [0, 1), nesterov a bool (with μ > 0)."""
        check_non_negative(hyper["lr"], "learning rate")
        check_in_unit_interval(hyper["momentum"], "momentum value")
        check_non_negative(hyper["weight_decay"], "weight_decay value")
        if not isinstance(hyper["nesterov"], bool):
            raise ValueError(f"Invalid nesterov: {hyper['nesterov']!r} (must be True or False)")
        if hyper["nesterov"] and hyper["momentum"] <= 0:
            raise ValueError("Nesterov momentum requires a momentum > 0")

    def state_names(self) -> tuple[str, ...]:
        return ("momentum",) if self.hyper["momentum"] else ()

    def step(self) -> None:
        """One update of every parameter, in place: the rule above."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data if wd else p.grad
            if mu:
                v = self.state["momentum"][i]
                v *= mu
                v += g                                 # v ← μ v + g
                g = g + mu * v if self.nesterov else v
            p.data -= lr * g                           # p ← p − lr · g
        self.steps += 1
