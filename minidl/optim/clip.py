"""Gradient clipping by the global norm."""

from __future__ import annotations

import numpy as np


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    ``‖g‖ = √(Σ_p Σ_i g_{p,i}²)``; if ``‖g‖ > max_norm`` every gradient is multiplied
    by ``max_norm / ‖g‖`` in place (the direction is kept). Returns ``‖g‖`` before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"Invalid max_norm: {max_norm}")
    params = list(dict.fromkeys(params))  # read twice below (a generator would not be); a shared one once
    total = float(np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params)))
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for p in params:
            p.grad *= scale
    return total
