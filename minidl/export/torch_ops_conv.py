"""PyTorch mappings of the convolutional layers, both ways: Conv2d, MaxPool2d, AvgPool2d,
BatchNorm2d and Flatten to their torch.nn namesakes (the layouts are the same: NCHW images,
(F, C, KH, KW) kernels); GlobalAvgPool2d and Reshape to two small torch modules (torch has a
``Flatten`` but no layer for ``x.mean((2, 3))`` or for ``x.reshape(N, *shape)`` from any (N, …)).

from_torch takes back only what minidl computes: zero padding the same on every side, square
strides and dilations, one group, pools without padding or ceil mode; anything else is an
``ExportError`` naming the module and the setting."""

from __future__ import annotations

from ..nn.layers import AvgPool2d, BatchNorm2d, Conv2d, Flatten, GlobalAvgPool2d, MaxPool2d, Reshape
from .torch_ops import (
    TO_TORCH,
    array,
    batchnorm_from_torch,
    batchnorm_to_torch,
    defined_once,
    from_torch_op,
    tensor,
    to_torch_op,
    torch_dtype,
)


def torch_classes(torch) -> dict:
    """The torch modules with no torch.nn counterpart, by name (defined once, on first use)."""
    return defined_once(_define_classes, torch)


def _define_classes(torch) -> dict:
    class GlobalAvgPool2d(torch.nn.Module):
        """(N, C, H, W) → (N, C), the mean over each channel's pixels."""

        def forward(self, x):
            return x.mean(dim=(2, 3))

    class Reshape(torch.nn.Module):
        """(N, …) → (N, *shape): flat rows as images (minidl's Reshape)."""

        def __init__(self, shape):
            super().__init__()
            self.shape = tuple(int(s) for s in shape)

        def forward(self, x):
            return x.reshape(x.shape[0], *self.shape)

    return dict(GlobalAvgPool2d=GlobalAvgPool2d, Reshape=Reshape)


# ---------------------------------------------------------------- minidl → torch
@to_torch_op(Conv2d)
def _conv(layer, torch, convert):
    kwargs = {"in_channels": layer.in_channels, "out_channels": layer.out_channels,
              "kernel_size": list(layer.kernel_size), "stride": layer.stride, "padding": layer.padding,
              "dilation": layer.dilation}
    conv = torch.nn.Conv2d(**{**kwargs, "kernel_size": tuple(layer.kernel_size)},
                           dtype=torch_dtype(torch, layer.W.dtype))
    with torch.no_grad():
        conv.weight.copy_(tensor(torch, layer.W))
        conv.bias.copy_(tensor(torch, layer.b))
    return conv, {"class": "torch.nn.Conv2d", "kwargs": kwargs}


def _pool(name: str):
    def convert(layer, torch, _convert):
        # the spec is JSON (a list); torch keeps the kernel size as it is given (a tuple)
        kwargs = {"kernel_size": list(layer.kernel_size), "stride": layer.stride}
        pool = getattr(torch.nn, name)(kernel_size=tuple(layer.kernel_size), stride=layer.stride)
        return pool, {"class": f"torch.nn.{name}", "kwargs": kwargs}
    return convert


TO_TORCH[MaxPool2d] = _pool("MaxPool2d")
TO_TORCH[AvgPool2d] = _pool("AvgPool2d")


@to_torch_op(GlobalAvgPool2d)
def _global_average(layer, torch, convert):
    return torch_classes(torch)["GlobalAvgPool2d"](), {"class": "GlobalAvgPool2d", "kwargs": {},
                                                       "computes": "x.mean(dim=(2, 3))"}


@to_torch_op(Flatten)
def _flatten(layer, torch, convert):
    return torch.nn.Flatten(), {"class": "torch.nn.Flatten", "kwargs": {}}


@to_torch_op(Reshape)
def _reshape(layer, torch, convert):
    return torch_classes(torch)["Reshape"](layer.shape), {
        "class": "Reshape", "kwargs": {"shape": list(layer.shape)}, "computes": "x.reshape(N, *shape)"}


@to_torch_op(BatchNorm2d)
def _batchnorm2d(layer, torch, convert):
    return batchnorm_to_torch(layer, torch, "BatchNorm2d")


# ---------------------------------------------------------------- torch → minidl
def _square(module, name: str) -> int:
    """An int setting, or a pair of equal ints, as the one int minidl's layers take."""
    value = getattr(module, name)
    if isinstance(value, tuple | list):
        if len(set(value)) != 1:
            raise ValueError(f"{name}={value} differs between rows and columns; minidl takes one {name}")
        value = value[0]
    if not isinstance(value, int):
        raise ValueError(f"{name}={value!r} is not an int")
    return value


@from_torch_op("Conv2d")
def _from_conv(module, dtype, convert):
    if module.bias is None:
        raise ValueError(f"{module!r} has no bias; minidl's Conv2d always has one (bias=True)")
    if module.groups != 1 or module.padding_mode != "zeros":
        raise ValueError(f"groups={module.groups}, padding_mode={module.padding_mode!r}: minidl's Conv2d "
                         "has one group and zero padding")
    layer = Conv2d(module.in_channels, module.out_channels, tuple(module.kernel_size),
                   stride=_square(module, "stride"), padding=_square(module, "padding"),
                   dilation=_square(module, "dilation"), dtype=dtype)
    layer.W = array(module.weight, dtype)
    layer.b = array(module.bias, dtype)
    return layer


def _checked_pool(module) -> dict:
    if _square(module, "padding") != 0 or module.ceil_mode:
        raise ValueError(f"padding={module.padding}, ceil_mode={module.ceil_mode}: minidl's pools take "
                         "no padding and drop the rows that fill no window")
    kernel = module.kernel_size
    kernel = tuple(kernel) if isinstance(kernel, tuple | list) else (kernel, kernel)
    return {"kernel_size": kernel, "stride": _square(module, "stride")}


@from_torch_op("MaxPool2d")
def _from_max_pool(module, dtype, convert):
    if _square(module, "dilation") != 1 or module.return_indices:
        raise ValueError("dilation or return_indices: minidl's MaxPool2d has neither")
    return MaxPool2d(**_checked_pool(module), dtype=dtype)


@from_torch_op("AvgPool2d")
def _from_avg_pool(module, dtype, convert):
    if module.divisor_override is not None:
        raise ValueError(f"divisor_override={module.divisor_override}: minidl divides by the window size")
    return AvgPool2d(**_checked_pool(module), dtype=dtype)


@from_torch_op("GlobalAvgPool2d")
def _from_global_average(module, dtype, convert):
    return GlobalAvgPool2d(dtype=dtype)


@from_torch_op("Flatten")
def _from_flatten(module, dtype, convert):
    if module.start_dim != 1 or module.end_dim != -1:
        raise ValueError(f"start_dim={module.start_dim}, end_dim={module.end_dim}: minidl's Flatten keeps "
                         "the batch axis and flattens all the others (start_dim=1, end_dim=-1)")
    return Flatten()


@from_torch_op("Reshape")
def _from_reshape(module, dtype, convert):
    return Reshape(module.shape)


@from_torch_op("BatchNorm2d")
def _from_batchnorm2d(module, dtype, convert):
    return batchnorm_from_torch(module, dtype, BatchNorm2d)
