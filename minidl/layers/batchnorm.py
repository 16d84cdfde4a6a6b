"""Batch normalisation of (N, D) inputs per feature, with running statistics for evaluation."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._validate import as_array, as_float_dtype, check_shape, positive_int
from ..module import Module, Parameter


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
        self._cache = None

    def forward(self, x) -> np.ndarray:
        """Y = γ ⊙ x̂ + β, caching x̂, 1/σ and whether the batch statistics were used."""
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype and x.ndim == 2
                and x.shape[1] == self.num_features):
            x = self._checked_input(x)  # the slow path: conversions and clear errors
        mean = x.mean(axis=0) if self.training else self.running_mean  # (D,)
        xhat = np.subtract(x, mean, out=self._array("xhat", x.shape, self.dtype))  # X − μ, (N, D)
        if self.training:
            var = self._batch_statistics(x.shape[0], mean, xhat)
        else:
            var = self.running_var
        inv_std = 1 / np.sqrt(var + self.eps)  # (D,)
        xhat *= inv_std  # x̂ = (X − μ) / σ
        self._cache = (xhat, inv_std, self.training)
        if not self.affine:
            return xhat
        out = np.multiply(xhat, self.gamma, out=self._array("out", x.shape, self.dtype))
        out += self.beta
        return out

    def _checked_input(self, x) -> np.ndarray:
        where = f"{self!r}.forward"
        x = as_array(x, where)
        check_shape(x, (None, self.num_features), where)
        return x.astype(self.dtype, copy=False)

    def _batch_statistics(self, n: int, mean: np.ndarray, centred: np.ndarray) -> np.ndarray:
        """The batch's biased variance (from X − μ, two-pass); folds μ and σ² into the running
        statistics."""
        if n < 2:
            raise ValueError(
                f"{self!r}.forward: training mode needs a batch of at least 2 samples to estimate a "
                f"variance, got {n}; call eval() to use the running statistics"
            )
        var = np.einsum("nd,nd->d", centred, centred) / n  # (D,), biased: it normalises this batch
        m = self.momentum
        running_mean, running_var = self.running_mean, self.running_var
        running_mean *= 1 - m  # in place: the buffers stay the arrays state_dict reads
        running_mean += m * mean
        running_var *= 1 - m
        running_var += (m * n / (n - 1)) * var  # unbiased: it estimates the population's
        return var

    def backward(self, dout) -> np.ndarray:
        """Y = γ ⊙ x̂ + β, σ = √(σ² + eps), sums Σ over the batch axis  ⇒

        dγ = Σ dY ⊙ x̂,   dβ = Σ dY   (accumulated, ``+=``), and
        training:    dX = (1/N) · γ · σ⁻¹ · (N·dY − Σ dY − x̂ ⊙ Σ(dY ⊙ x̂)),
        evaluation:  dX = dY · γ / √(running_var + eps)   (μ, σ² are constants there).
        """
        xhat, inv_std, batch_statistics = self._cached()
        dout = self._check_dout(dout, xhat.shape).astype(self.dtype, copy=False)
        scale = inv_std * self.gamma if self.affine else inv_std  # (D,), γ σ⁻¹
        dx = self._array("dx", xhat.shape, self.dtype)
        if not (self.affine or batch_statistics):
            return np.multiply(dout, scale, out=dx)
        dbeta = dout.sum(axis=0)  # (D,)
        dgamma = np.einsum("nd,nd->d", dout, xhat)  # (D,)
        if self.affine:
            self.dgamma += dgamma
            self.dbeta += dbeta
        if not batch_statistics:
            return np.multiply(dout, scale, out=dx)  # (N, D)
        # Derivation sketch, with g = γ ⊙ dY = ∂L/∂x̂ and μ, σ² functions of the whole column:
        # ∂L/∂X[n] = σ⁻¹ g[n]                       (direct path)
        #          − (1/N) σ⁻¹ Σ g                  (via μ: ∂μ/∂X[n] = 1/N, ∂x̂/∂μ = −σ⁻¹)
        #          − (1/N) σ⁻¹ x̂[n] Σ g ⊙ x̂         (via σ²: ∂σ²/∂X[n] = 2(X[n] − μ)/N,
        #                                            ∂x̂/∂σ² = −x̂/(2σ²)).
        # γ is constant per feature and factors out; Σ dY and Σ dY ⊙ x̂ are dβ and dγ.
        n = xhat.shape[0]
        np.multiply(dout, n, out=dx)  # N·dY
        dx -= dbeta
        dx -= np.multiply(xhat, dgamma, out=self._array("xhat_dgamma", xhat.shape, self.dtype))
        dx *= scale / n
        return dx  # (N, D)

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
