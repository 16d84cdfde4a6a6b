"""``to_torch(model)`` / ``from_torch(module)``: a model's layers and weights to PyTorch and back,
and ``save_torch(model, path)``: a ``state_dict`` file plus the architecture as JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write
from ..io.model_file import architecture
from ..nn.introspect import model_dtype
from ..nn.module import Module
from .common import ExportError, lookup, require
from .torch_ops import FROM_TORCH, TO_TORCH


def to_torch(model: Module):
    """A ``torch.nn.Module`` in evaluation mode computing what ``model`` computes in evaluation
    mode, with copies of its weights and buffers in its dtype (Dense → Linear, Conv2d → Conv2d,
    BatchNorm1d/2d → BatchNorm1d/2d, LSTM → torch.nn.LSTM inside a small ``Recurrent`` module,
    Normalize → a small buffer-only module, ...: the tables in ``torch_ops*.py``).

    Example:
        >>> net = to_torch(minidl.mlp([4, 8, 3], rng=0, dtype="float64"))
    """
    return _convert(model, require("torch", "torch", "to_torch"))[0].eval()


def torch_architecture(model: Module) -> dict:
    """The code-free description of ``to_torch(model)``: torch classes and constructor kwargs."""
    return _convert(model, require("torch", "torch", "torch_architecture"))[1]


def _convert(model: Module, torch):
    if not isinstance(model, Module):
        raise ExportError(f"to_torch: expected a minidl Module, got {type(model).__name__}")

    def convert(layer):
        return lookup(TO_TORCH, layer, "to_torch")(layer, torch, convert)

    return convert(model)


def from_torch(module, *, dtype=None) -> Module:
    """The minidl model (in evaluation mode) computing what the torch ``module`` computes in
    evaluation mode, for the layer types ``to_torch`` produces (Sequential, Linear, ReLU, Tanh,
    Sigmoid, Dropout, BatchNorm1d/2d, Conv2d, MaxPool2d, AvgPool2d, Flatten, Embedding, LayerNorm,
    ..., and the small modules standing for minidl layers torch has no class for: ``FROM_TORCH``
    lists them). ``dtype`` defaults to that of the module's first parameter or buffer.

    Example:
        >>> model = from_torch(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()))
    """
    torch = require("torch", "torch", "from_torch")
    if not isinstance(module, torch.nn.Module):
        raise ExportError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    if dtype is None:
        first = next(iter(list(module.parameters()) + list(module.buffers())), None)
        dtype = str(first.dtype).removeprefix("torch.") if first is not None else "float32"
    dtype = np.dtype(dtype)

    def convert(child):
        name = type(child).__name__
        if name not in FROM_TORCH:
            raise ExportError(f"from_torch: no mapping for torch layer {child!r} (type {name}); "
                              f"mapped torch types: {', '.join(sorted(FROM_TORCH))}")
        try:
            return FROM_TORCH[name](child, dtype, convert)
        except (ValueError, TypeError, AttributeError) as err:
            # a container's repr spans lines; the message stays on one
            raise ExportError(f"from_torch: cannot convert {' '.join(repr(child).split())}: {err}") from None

    return convert(module).eval()


def save_torch(model: Module, path) -> tuple[Path, Path]:
    """Write ``to_torch(model).state_dict()`` to ``path`` (``torch.load(path, weights_only=True)``
    reads it) and the architecture as JSON beside it (``path`` with suffix ``.json``): the torch
    classes with their constructor kwargs, and minidl's own description. Returns both paths."""
    torch = require("torch", "torch", "export --format torch")
    net, spec = _convert(model, torch)
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    description = {"format": "minidl torch export", "dtype": model_dtype(model).name,
                   "torch": spec, "minidl_architecture": architecture(model),
                   "classes": None if model.classes is None else [str(c) for c in model.classes]}
    path = Path(path)
    json_path = path.with_suffix(".json")
    try:
        atomic_write(path, lambda f: f.write(buffer.getvalue()))
        atomic_write(json_path, lambda f: json.dump(description, f, indent=2), text=True)
    except OSError as err:
        raise ExportError(f"export: cannot write {str(path)!r}: {err.strerror or err}") from None
    return path, json_path
