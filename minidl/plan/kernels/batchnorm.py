"""Planned BatchNorm1d: the same statistics and backward, every array reused."""

from __future__ import annotations

import numpy as np

from .base import Kernel, input_of
from .images import channel_sums, repeated


class BatchNormKernel(Kernel):
    """``BatchNorm1d``'s equations with γ factored out of the backward:
    dX = γσ⁻¹/N · (N·dY − dβ − x̂ ⊙ dγ), dγ = Σ dY ⊙ x̂, dβ = Σ dY (the same as the layer's
    σ⁻¹/N · (N·dx̂ − Σ dx̂ − x̂ ⊙ Σ dx̂ ⊙ x̂) with dx̂ = γ dY); running statistics updated as
    the layer updates them.

    ``normalize(rows, ws, repeats)`` runs them on rows that hold ``repeats`` samples each,
    feature d of sample r in column r·D + d (BatchNorm2d's image rows, N·H of them, W·C
    wide): numpy's element-wise loops then run over long rows instead of many narrow ones,
    with each per-feature vector (μ, σ⁻¹, γ, β, dγ, dβ) repeated along the row."""

    linear_in_dout = True

    @property
    def output_is_scratch(self) -> bool:
        return self.layer.affine  # without γ, β the output is x̂, which backward reads

    @classmethod
    def supports(cls, layer) -> bool:
        # float16 sums of squares overflow where the layer's own mean accumulates in float32
        return layer.dtype != np.float16

    def forward(self, x, ws):
        layer = self.layer
        return self.normalize(input_of(layer, x, layer.num_features, layer.dtype), ws, 1)

    def normalize(self, rows, ws, repeats: int):
        """BatchNorm over the R·repeats samples of ``rows`` (R, repeats·D); returns (R, repeats·D)."""
        layer = self.layer
        D, dtype = layer.num_features, layer.dtype
        n = rows.shape[0] * repeats
        self.repeats, self.samples = repeats, n
        self.batch_statistics = layer.training
        xhat = ws.array(self, "xhat", rows.shape, dtype)
        inv_std = ws.array(self, "inv_std", (D,), dtype)
        if self.batch_statistics:
            if n < 2:
                layer.batch_statistics(rows)  # raises the layer's own error
            mean, var, tmp = (ws.array(self, name, (D,), dtype) for name in ("mean", "var", "tmp"))
            # a sum over rows by einsum: np.mean/np.add.reduce over axis 0 of many narrow rows
            # runs about 50× slower
            self._feature_sum(np.einsum("nd->d", rows, out=self._row_sum(ws, mean)), mean)
            mean /= n
            np.subtract(rows, self._repeated(ws, "mean_r", mean), out=xhat)
            self._feature_sum(np.einsum("nd,nd->d", xhat, xhat, out=self._row_sum(ws, var)), var)
            var /= n  # biased
            m = layer.momentum
            running_mean, running_var = layer.running_mean, layer.running_var
            running_mean *= 1 - m
            running_mean += np.multiply(mean, m, out=tmp)
            running_var *= 1 - m
            running_var += np.multiply(var, m * (n / (n - 1)), out=tmp)  # unbiased
        else:
            np.subtract(rows, self._repeated(ws, "mean_r", layer.running_mean), out=xhat)
            var = layer.running_var
        np.add(var, layer.eps, out=inv_std)
        np.sqrt(inv_std, out=inv_std)
        np.divide(1, inv_std, out=inv_std)
        xhat *= self._repeated(ws, "inv_std_r", inv_std)
        self.xhat, self.inv_std = xhat, inv_std
        if not layer.affine:
            return xhat
        gamma, beta = (self._repeated(ws, name, layer._params[name].data) for name in ("gamma", "beta"))
        out = np.multiply(xhat, gamma, out=ws.array(self, "out", rows.shape, dtype))
        out += beta
        return out

    def backward(self, dout, ws, need_dx: bool):
        """dγ = Σ dY ⊙ x̂, dβ = Σ dY, dX = γσ⁻¹/N · (N·dY − dβ − x̂ ⊙ dγ) (eval: dX = γσ⁻¹ dY),
        on rows laid out as ``normalize``'s."""
        layer, xhat = self.layer, self.xhat
        D, dtype = layer.num_features, layer.dtype
        scale = ws.array(self, "scale", (D,), dtype)  # γ σ⁻¹
        if layer.affine:
            gamma, beta = layer._params["gamma"], layer._params["beta"]
            dgamma, dbeta = gamma.grad, beta.grad
            np.multiply(self.inv_std, gamma.data, out=scale)
        else:
            dgamma, dbeta = (ws.array(self, name, (D,), dtype) for name in ("dgamma", "dbeta"))
            scale[...] = self.inv_std
        self._feature_sum(np.einsum("nd,nd->d", dout, xhat, out=self._row_sum(ws, dgamma)), dgamma)
        self._feature_sum(np.einsum("nd->d", dout, out=self._row_sum(ws, dbeta)), dbeta)
        if not need_dx:
            return None
        dx = ws.array(self, "dx", xhat.shape, dtype)
        if not self.batch_statistics:
            return np.multiply(dout, self._repeated(ws, "scale_r", scale), out=dx)
        n = self.samples
        np.multiply(dout, n, out=dx)  # N·dY
        dx -= self._repeated(ws, "dbeta_r", dbeta)
        dx -= np.multiply(xhat, self._repeated(ws, "dgamma_r", dgamma),
                          out=ws.array(self, "xhat_dgamma", xhat.shape, dtype))
        scale /= n
        dx *= self._repeated(ws, "scale_r", scale)
        return dx

    # Per-feature vectors and the rows' repeats of them (with one sample per row, the vectors
    # themselves: BatchNorm1d's arithmetic is then exactly the above, nothing copied).
    def _row_sum(self, ws, feature_vector):
        """Where the column sums of the rows go: the (D,) result itself, or (repeats·D,)."""
        if self.repeats == 1:
            return feature_vector
        return ws.array(self, "row_sum", (self.repeats * feature_vector.shape[0],), feature_vector.dtype)

    def _feature_sum(self, row_sum, out):
        """out[d] = Σ_r row_sum[r·D + d] (nothing to do with one sample per row)."""
        return channel_sums(row_sum, self.repeats, out) if self.repeats > 1 else out

    def _repeated(self, ws, name: str, vector):
        """``vector`` (D,) repeated along a row, (repeats·D,)."""
        return repeated(ws, self, name, vector, self.repeats) if self.repeats > 1 else vector
