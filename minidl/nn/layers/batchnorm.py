"""Batch normalisation of (N, D) inputs per feature, with running statistics for evaluation."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..._validate import as_float_dtype, positive_int
from ..checks import checked_dout, checked_input
from ..module import Module, Parameter
from ..registry import register_module


@register_module
class BatchNorm1d(Module):
    """``Y = γ ⊙ x̂ + β`` with ``x̂ = (X − μ) / √(σ² + eps)`` per feature (Ioffe & Szegedy, 2015).

    Training mode normalises with the batch's mean μ and biased variance σ², and
    updates the running statistics ``running = (1 − momentum)·running + momentum·batch``
    (with the unbiased variance ``σ²·N/(N − 1)``, PyTorch's convention). Evaluation
    mode normalises with the running statistics, so one sample's output does not
    depend on the rest of its batch.

    Args:
        num_features: D, the width of each input row.
        eps: added to the variance before the square root, keeping 1/σ finite.
        momentum: weight of the current batch in the running statistics, in [0, 1].
        affine: learn the scale γ and shift β (default); ``False`` fixes γ = 1, β = 0.
        dtype: ``"float32"`` (default), ``"float64"`` or ``"float16"``; inputs are cast to it.

    Shape:
        X: (N, D) → Y: (N, D); training needs N ≥ 2 (a variance of one sample is 0).

    Attributes:
        gamma, beta: (D,) scale (starts at 1) and shift (starts at 0), gradients
            ``dgamma``, ``dbeta``; present when ``affine``.
        running_mean, running_var: (D,) buffers (start at 0 and 1), saved by
            ``state_dict`` and never touched by optimizers.

    Example:
        >>> bn = BatchNorm1d(3, dtype="float64")
        >>> y = bn(np.random.default_rng(0).standard_normal((8, 3)) * 5 + 2)
        >>> bool(np.allclose(y.mean(axis=0), 0) and np.allclose(y.var(axis=0), 1, atol=1e-4))
        True
    """

    def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, dtype="float32"):
        where = f"BatchNorm1d({num_features})"
        self.num_features = positive_int(num_features, "num_features", where)
        if not _real(eps) or not (0 < eps < math.inf):
            raise ValueError(f"{where}: eps must be a positive number, got {eps!r}")
        if not _real(momentum) or not 0 <= momentum <= 1:
            raise ValueError(f"{where}: momentum must be in [0, 1], got {momentum!r}")
        if not isinstance(affine, bool):
            raise TypeError(f"{where}: affine must be True or False, got {affine!r}")
        self.eps, self.momentum, self.affine = float(eps), float(momentum), affine
        self.dtype = as_float_dtype(dtype, where)
        if affine:
            self.gamma = Parameter(np.ones(self.num_features, dtype=self.dtype))
            self.beta = Parameter(np.zeros(self.num_features, dtype=self.dtype))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=self.dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=self.dtype))

    def forward(self, x) -> np.ndarray:
        """Y = γ ⊙ x̂ + β, caching x̂, 1/σ and whether the batch statistics were used."""
        x = checked_input(self, x, (None, self.num_features), self.dtype)
        if self.training:
            mean, var = self.batch_statistics(x)  # (D,), (D,)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1 / np.sqrt(var + self.eps)  # (D,), σ⁻¹
        xhat = (x - mean) * inv_std  # (N, D)
        self.cache = (xhat, inv_std, self.training)
        return xhat * self.gamma + self.beta if self.affine else xhat

    def batch_statistics(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """μ and the biased σ² of the batch (it normalises this batch), folded into the running
        statistics with the unbiased σ²·n/(n − 1) (they estimate the population's)."""
        n = x.shape[0]
        if n < 2:
            raise ValueError(
                f"{self!r}.forward: training mode needs a batch of at least 2 samples to estimate a "
                f"variance, got {n}; call eval() to use the running statistics"
            )
        mean = x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)
        m = self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * mean
        self.running_var = (1 - m) * self.running_var + m * var * (n / (n - 1))
        return mean, var

    def backward(self, dout) -> np.ndarray:
        """Y = γ ⊙ x̂ + β, x̂ = (X − μ) σ⁻¹, sums Σ over the batch axis  ⇒

        dγ += Σ dY ⊙ x̂,   dβ += Σ dY,   dx̂ = γ ⊙ dY, and
        training:    dX = σ⁻¹/N · (N·dx̂ − Σ dx̂ − x̂ ⊙ Σ(dx̂ ⊙ x̂)),
        evaluation:  dX = dx̂ · σ⁻¹ with σ² = running_var (μ, σ² are constants there).
        """
        xhat, inv_std, batch_statistics = self.cached()
        dout = checked_dout(self, dout, xhat.shape, self.dtype)
        if self.affine:
            self.dgamma += (dout * xhat).sum(axis=0)  # (D,)
            self.dbeta += dout.sum(axis=0)            # (D,)
        dxhat = dout * self.gamma if self.affine else dout  # (N, D)
        if not batch_statistics:
            return dxhat * inv_std
        # dX[n] = σ⁻¹ dx̂[n]                  (direct path)
        #       − σ⁻¹/N Σ dx̂                 (through μ: ∂μ/∂X[n] = 1/N, ∂x̂/∂μ = −σ⁻¹)
        #       − σ⁻¹/N x̂[n] Σ dx̂ ⊙ x̂        (through σ²: ∂σ²/∂X[n] = 2(X[n] − μ)/N,
        #                                     ∂x̂/∂σ² = −x̂/(2σ²))
        n = xhat.shape[0]
        return inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.affine, "dtype": self.dtype.name}

    def extra_repr(self) -> str:
        options = [str(self.num_features)]
        if self.eps != 1e-5:
            options.append(f"eps={self.eps:g}")
        if self.momentum != 0.1:
            options.append(f"momentum={self.momentum:g}")
        if not self.affine:
            options.append("affine=False")
        return ", ".join(options)


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
