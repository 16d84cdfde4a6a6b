"""The way out of minidl: export a model to ONNX and to PyTorch, and bring a PyTorch model in.

Importable always; each function needs its package (``onnx``, ``torch``) and says how to
install it when it is missing. Layers map through per-type tables (``onnx_ops.ONNX_OPS``,
``torch_ops.TO_TORCH`` / ``FROM_TORCH``); a layer with no entry is a clear ``ExportError``.

Example:
    >>> from minidl.export import to_onnx, to_torch, from_torch
    >>> to_onnx(model, "model.onnx"); net = to_torch(model); back = from_torch(net)
"""

# the layer families' mapping tables register themselves on import
from . import (  # noqa: F401
    onnx_ops_conv,
    onnx_ops_recurrent,
    onnx_ops_transformer,
    onnx_ops_vit,
    torch_ops_conv,
    torch_ops_recurrent,
    torch_ops_transformer,
    torch_ops_vit,
)
from .common import ExportError
from .onnx_export import to_onnx
from .torch_export import from_torch, save_torch, to_torch, torch_architecture

__all__ = ["to_onnx", "to_torch", "from_torch", "save_torch", "torch_architecture", "ExportError"]
