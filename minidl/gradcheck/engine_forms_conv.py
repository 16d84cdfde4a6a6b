"""Engine formulations of the convolutional layers, built from ``minidl.autodiff.ops_conv``
(padding, windows, einsum) and the engine's reductions — never from the layers' code."""

from __future__ import annotations

from ..autodiff.ops_conv import einsum, pad2d, windows
from ..nn.layers import AvgPool2d, BatchNorm2d, Conv2d, Flatten, GlobalAvgPool2d, MaxPool2d, Reshape
from .engine_forms import register_engine_form


@register_engine_form(Conv2d)
def _conv2d(layer, x, params):
    """Z[n,f,i,j] = Σ_{c,k,l} Xp[n,c,s·i+d·k,s·j+d·l] W[f,c,k,l] + b[f] (d: the dilation)."""
    v = windows(pad2d(x, layer.padding), *layer.kernel_size, layer.stride,
                layer.dilation)  # (N, C, H', W', KH, KW)
    return einsum("ncijkl,fckl->nfij", v, params["W"]) + params["b"].reshape(-1, 1, 1)


@register_engine_form(MaxPool2d)
def _maxpool2d(layer, x, params):
    """Y = max over each window (the engine splits a tie evenly; the layer picks the first
    maximum, so the two agree on inputs without ties)."""
    v = windows(x, *layer.kernel_size, layer.stride)
    return v.reshape(*v.shape[:4], -1).max(axis=-1)


@register_engine_form(AvgPool2d)
def _avgpool2d(layer, x, params):
    """Y = mean over each window."""
    return windows(x, *layer.kernel_size, layer.stride).mean(axis=(4, 5))


@register_engine_form(GlobalAvgPool2d)
def _global_avgpool2d(layer, x, params):
    """Y[n,c] = mean of X[n,c] over its pixels."""
    return x.mean(axis=(2, 3))


@register_engine_form(Flatten)
def _flatten(layer, x, params):
    """Y = X reshaped to (N, −1)."""
    return x.reshape(x.shape[0], -1)


@register_engine_form(Reshape)
def _reshape(layer, x, params):
    """Y = X reshaped to (N, *shape)."""
    return x.reshape(x.shape[0], *layer.shape)


@register_engine_form(BatchNorm2d)
def _batchnorm2d(layer, x, params):
    """Y = γ ⊙ x̂ + β per channel, μ and the biased σ² over the N·H·W values of a channel
    (training) or the running statistics (evaluation)."""
    if layer.training:
        centred = x - x.mean(axis=(0, 2, 3), keepdims=True)
        var = (centred * centred).mean(axis=(0, 2, 3), keepdims=True)
        xhat = centred / (var + layer.eps) ** 0.5
    else:
        mean = layer.running_mean.reshape(1, -1, 1, 1)
        xhat = (x - mean) / ((layer.running_var.reshape(1, -1, 1, 1) + layer.eps) ** 0.5)
    if not layer.affine:
        return xhat
    return xhat * params["gamma"].reshape(-1, 1, 1) + params["beta"].reshape(-1, 1, 1)
