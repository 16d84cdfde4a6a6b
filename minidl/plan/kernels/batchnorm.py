"""Planned BatchNorm1d: the same statistics and backward, every array reused."""

from __future__ import annotations

import numpy as np

from .base import Kernel, input_of


class BatchNormKernel(Kernel):
    """``BatchNorm1d``'s equations with γ factored out of the backward:
    dX = γσ⁻¹/N · (N·dY − dβ − x̂ ⊙ dγ), dγ = Σ dY ⊙ x̂, dβ = Σ dY (the same as the layer's
    σ⁻¹/N · (N·dx̂ − Σ dx̂ − x̂ ⊙ Σ dx̂ ⊙ x̂) with dx̂ = γ dY); running statistics updated as
    the layer updates them."""

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
        D, dtype = layer.num_features, layer.dtype
        x = input_of(layer, x, D, dtype)
        n = x.shape[0]
        self.batch_statistics = layer.training
        xhat = ws.array(self, "xhat", x.shape, dtype)
        inv_std = ws.array(self, "inv_std", (D,), dtype)
        if self.batch_statistics:
            if n < 2:
                layer.batch_statistics(x)  # raises the layer's own error
            mean, var, tmp = (ws.array(self, name, (D,), dtype) for name in ("mean", "var", "tmp"))
            # a sum over rows by einsum: np.mean/np.add.reduce over axis 0 of many narrow rows
            # (BatchNorm2d's N·H·W × C) runs about 50× slower
            np.einsum("nd->d", x, out=mean)
            mean /= n
            np.subtract(x, mean, out=xhat)
            np.einsum("nd,nd->d", xhat, xhat, out=var)
            var /= n  # biased
            m = layer.momentum
            running_mean, running_var = layer.running_mean, layer.running_var
            running_mean *= 1 - m
            running_mean += np.multiply(mean, m, out=tmp)
            running_var *= 1 - m
            running_var += np.multiply(var, m * (n / (n - 1)), out=tmp)  # unbiased
        else:
            np.subtract(x, layer.running_mean, out=xhat)
            var = layer.running_var
        np.add(var, layer.eps, out=inv_std)
        np.sqrt(inv_std, out=inv_std)
        np.divide(1, inv_std, out=inv_std)
        xhat *= inv_std
        self.xhat, self.inv_std = xhat, inv_std
        if not layer.affine:
            return xhat
        out = np.multiply(xhat, layer._params["gamma"].data, out=ws.array(self, "out", x.shape, dtype))
        out += layer._params["beta"].data
        return out

    def backward(self, dout, ws, need_dx: bool):
        """dγ = Σ dY ⊙ x̂, dβ = Σ dY, dX = γσ⁻¹/N · (N·dY − dβ − x̂ ⊙ dγ) (eval: dX = γσ⁻¹ dY)."""
        layer, xhat = self.layer, self.xhat
        D, dtype = layer.num_features, layer.dtype
        scale = ws.array(self, "scale", (D,), dtype)  # γ σ⁻¹
        if layer.affine:
            gamma, beta = layer._params["gamma"], layer._params["beta"]
            dgamma = np.einsum("nd,nd->d", dout, xhat, out=gamma.grad)
            dbeta = np.einsum("nd->d", dout, out=beta.grad)
            np.multiply(self.inv_std, gamma.data, out=scale)
        else:
            dgamma = np.einsum("nd,nd->d", dout, xhat, out=ws.array(self, "dgamma", (D,), dtype))
            dbeta = np.einsum("nd->d", dout, out=ws.array(self, "dbeta", (D,), dtype))
            scale[...] = self.inv_std
        if not need_dx:
            return None
        dx = ws.array(self, "dx", xhat.shape, dtype)
        if not self.batch_statistics:
            return np.multiply(dout, scale, out=dx)
        n = xhat.shape[0]
        np.multiply(dout, n, out=dx)  # N·dY
        dx -= dbeta
        dx -= np.multiply(xhat, dgamma, out=ws.array(self, "xhat_dgamma", xhat.shape, dtype))
        scale /= n
        dx *= scale
        return dx
