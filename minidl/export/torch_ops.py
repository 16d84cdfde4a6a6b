"""One PyTorch mapping per minidl layer type, both ways.

``TO_TORCH[cls](layer, torch) -> (torch module, spec)``: the module holds copies of the
layer's weights; ``spec`` (``{"class": ..., "kwargs": ...}``) is the code-free description a
PyTorch user rebuilds it from. ``FROM_TORCH[torch class name](module, dtype) -> minidl layer``
goes back. A new layer family adds one entry to each with ``@to_torch_op`` / ``@from_torch_op``.

Layouts: minidl's Dense keeps ``W`` as (in, out), torch's Linear ``weight`` as (out, in).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..nn.containers import Sequential
from ..nn.layers import BatchNorm1d, Dense, Dropout, Normalize, ReLU, Sigmoid, Tanh

TO_TORCH: dict[type, Callable] = {}
FROM_TORCH: dict[str, Callable] = {}


def to_torch_op(cls: type):
    """Register the decorated function as the minidl → torch mapping of layer type ``cls``."""
    def register(fn):
        TO_TORCH[cls] = fn
        return fn
    return register


def from_torch_op(torch_class_name: str):
    """Register the decorated function as the torch → minidl mapping of ``torch_class_name``."""
    def register(fn):
        FROM_TORCH[torch_class_name] = fn
        return fn
    return register


def tensor(torch, array):
    """A torch tensor holding a copy of ``array`` (same dtype)."""
    return torch.from_numpy(np.array(array, copy=True))


def array(t, dtype) -> np.ndarray:
    return t.detach().cpu().numpy().astype(dtype, copy=True)


# ---------------------------------------------------------------- minidl → torch
@to_torch_op(Sequential)
def _sequential(model, torch, convert):
    modules, specs = zip(*(convert(layer) for layer in model)) if len(model) else ((), ())
    return torch.nn.Sequential(*modules), {"class": "torch.nn.Sequential", "children": list(specs)}


@to_torch_op(Dense)
def _dense(layer, torch, convert):
    kwargs = {"in_features": layer.in_features, "out_features": layer.out_features}
    linear = torch.nn.Linear(**kwargs, dtype=torch_dtype(torch, layer.W.dtype))
    with torch.no_grad():
        linear.weight.copy_(tensor(torch, layer.W.T))
        linear.bias.copy_(tensor(torch, layer.b))
    return linear, {"class": "torch.nn.Linear", "kwargs": kwargs}


def _activation(name: str):
    def convert(layer, torch, _convert):
        return getattr(torch.nn, name)(), {"class": f"torch.nn.{name}", "kwargs": {}}
    return convert


TO_TORCH[ReLU] = _activation("ReLU")
TO_TORCH[Tanh] = _activation("Tanh")
TO_TORCH[Sigmoid] = _activation("Sigmoid")


@to_torch_op(Dropout)
def _dropout(layer, torch, convert):
    return torch.nn.Dropout(layer.p), {"class": "torch.nn.Dropout", "kwargs": {"p": layer.p}}


@to_torch_op(BatchNorm1d)
def _batchnorm(layer, torch, convert):
    return batchnorm_to_torch(layer, torch, "BatchNorm1d")


def batchnorm_to_torch(layer, torch, torch_class: str):
    """``torch.nn.<torch_class>`` (BatchNorm1d or BatchNorm2d) with the layer's parameters and
    running statistics: the 1-d and 2-d layers differ only in the axes they normalise over."""
    kwargs = {"num_features": layer.num_features, "eps": layer.eps, "momentum": layer.momentum,
              "affine": layer.affine}
    bn = getattr(torch.nn, torch_class)(**kwargs, dtype=torch_dtype(torch, layer.running_mean.dtype))
    with torch.no_grad():
        if layer.affine:
            bn.weight.copy_(tensor(torch, layer.gamma))
            bn.bias.copy_(tensor(torch, layer.beta))
        bn.running_mean.copy_(tensor(torch, layer.running_mean))
        bn.running_var.copy_(tensor(torch, layer.running_var))
    return bn, {"class": f"torch.nn.{torch_class}", "kwargs": kwargs}


@to_torch_op(Normalize)
def _normalize(layer, torch, convert):
    module = torch_normalize_class(torch)(layer.num_features, torch_dtype(torch, layer.dtype))
    with torch.no_grad():
        module.offset.copy_(tensor(torch, layer.offset))
        module.divisor.copy_(tensor(torch, layer.divisor))
    return module, {"class": "Normalize", "kwargs": {"num_features": layer.num_features},
                    "computes": "(x - offset) / divisor, buffers offset and divisor of shape (num_features,)"}


_DEFINED: dict = {}


def defined_once(define, torch) -> dict:
    """The torch classes ``define(torch)`` makes, by name: made on first use (torch is
    optional, so they cannot be defined at import), the same class objects afterwards."""
    if define not in _DEFINED:
        _DEFINED[define] = define(torch)
    return _DEFINED[define]


def torch_normalize_class(torch):
    """The torch module standing for minidl's ``Normalize`` (rebuilding an exported model needs it)."""
    return defined_once(_input_classes, torch)["Normalize"]


def _input_classes(torch) -> dict:
    """torch has no layer for a fixed per-feature affine input map; this small one is it."""

    class Normalize(torch.nn.Module):
        """``y = (x − offset) / divisor`` with buffers ``offset`` and ``divisor`` (minidl's Normalize)."""

        def __init__(self, num_features: int, dtype=None):
            super().__init__()
            self.register_buffer("offset", torch.zeros(num_features, dtype=dtype))
            self.register_buffer("divisor", torch.ones(num_features, dtype=dtype))

        def forward(self, x):
            return (x - self.offset) / self.divisor

    return {"Normalize": Normalize}


def torch_dtype(torch, dtype):
    return {np.float16: torch.float16, np.float32: torch.float32,
            np.float64: torch.float64}[np.dtype(dtype).type]


# ---------------------------------------------------------------- torch → minidl
@from_torch_op("Sequential")
def _from_sequential(module, dtype, convert):
    return Sequential(*(convert(child) for child in module))


@from_torch_op("Linear")
def _from_linear(module, dtype, convert):
    if module.bias is None:
        raise ValueError(f"{module!r} has no bias; minidl's Dense always has one (bias=True)")
    layer = Dense(module.in_features, module.out_features, dtype=dtype)
    layer.W = array(module.weight, dtype).T
    layer.b = array(module.bias, dtype)
    return layer


@from_torch_op("ReLU")
def _from_relu(module, dtype, convert):
    return ReLU()


@from_torch_op("Tanh")
def _from_tanh(module, dtype, convert):
    return Tanh()


@from_torch_op("Sigmoid")
def _from_sigmoid(module, dtype, convert):
    return Sigmoid()


@from_torch_op("Dropout")
def _from_dropout(module, dtype, convert):
    return Dropout(module.p)


@from_torch_op("BatchNorm1d")
def _from_batchnorm(module, dtype, convert):
    return batchnorm_from_torch(module, dtype, BatchNorm1d)


def batchnorm_from_torch(module, dtype, minidl_class: type):
    """``minidl_class`` (BatchNorm1d or BatchNorm2d) with the torch module's parameters and
    running statistics."""
    if not module.track_running_stats:
        raise ValueError(f"{module!r} keeps no running statistics (track_running_stats=False); "
                         f"minidl's {minidl_class.__name__} evaluates with them")
    layer = minidl_class(module.num_features, eps=module.eps, momentum=module.momentum,
                         affine=module.affine, dtype=dtype)
    if module.affine:
        layer.gamma = array(module.weight, dtype)
        layer.beta = array(module.bias, dtype)
    layer.running_mean = array(module.running_mean, dtype)
    layer.running_var = array(module.running_var, dtype)
    return layer


@from_torch_op("Normalize")
def _from_normalize(module, dtype, convert):
    layer = Normalize(module.offset.shape[0], dtype=dtype)
    layer.offset = array(module.offset, dtype)
    layer.divisor = array(module.divisor, dtype)
    return layer
