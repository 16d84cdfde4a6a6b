"""``to_onnx(model, path)``: a minidl model as an ONNX graph (evaluation mode), written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write
from ..nn.containers import Sequential
from ..nn.introspect import input_width, model_dtype
from ..nn.layers import GRU, LSTM, RNN, BatchNorm2d, Conv2d, Embedding
from ..nn.module import Module
from .common import ExportError, require
from .onnx_ops import GraphBuilder, export_layer

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "input", "output"


def to_onnx(model: Module, path, *, input_shape: tuple | None = None, opset: int = OPSET) -> Path:
    """Write ``model`` to ``path`` as ONNX and return the path.

    The graph takes ``input`` of shape ``(N, D)`` (N dynamic, named ``batch``; D the model's
    input width) in the model's dtype — or ``(N, C, height, width)`` when the model starts with
    an image layer, ``(N, time, D)`` with a recurrent one, int64 ids ``(N, time)`` with an
    Embedding — and gives ``output``; every parameter and buffer is an initializer; layers
    compute as in evaluation mode (Dropout vanishes, BatchNorm uses its running statistics).
    ``input_shape`` (without the batch axis; a string names a dynamic size) is needed only
    when the first layer does not state it. The result passes ``onnx.checker.check_model``.

    Example:
        >>> to_onnx(minidl.mlp([4, 8, 3], rng=0), "model.onnx")
    """
    onnx = require("onnx", "onnx", "to_onnx")
    if opset < 17:
        raise ExportError(f"to_onnx: opset must be at least 17, got {opset}")
    if not isinstance(model, Module):
        raise ExportError(f"to_onnx: expected a minidl Module, got {type(model).__name__}")
    dtype = model_dtype(model)
    input_shape, input_dtype = _input_signature(model, input_shape, dtype)
    element_type = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    graph = GraphBuilder(onnx.helper, onnx.numpy_helper, dtype, opset)
    graph.used.add(INPUT_NAME)
    out = export_layer(model, graph, INPUT_NAME, "")
    # The last layer's value is renamed by an Identity, so the output is always called "output".
    graph.nodes.append(onnx.helper.make_node("Identity", [out], [OUTPUT_NAME], name=OUTPUT_NAME))
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes, "minidl",
            [onnx.helper.make_tensor_value_info(INPUT_NAME, onnx.helper.np_dtype_to_tensor_dtype(input_dtype),
                                                ["batch", *input_shape])],
            [onnx.helper.make_tensor_value_info(OUTPUT_NAME, element_type, None)],
            initializer=graph.initializers),
        opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="minidl")
    _declare_output_shape(onnx, proto, out)
    if model.classes is not None:
        onnx.helper.set_model_props(proto, {"classes": ",".join(str(c) for c in model.classes)})
    onnx.checker.check_model(proto, full_check=True)
    return _write(path, proto.SerializeToString())


def _input_signature(model: Module, input_shape, dtype: np.dtype) -> tuple[tuple, np.dtype]:
    """The input's shape without the batch axis and its dtype: integer ids (int64) for a model
    that starts with an Embedding, the model's dtype otherwise. Unless given, the shape is read
    off the first layer: (C, height, width) for an image layer, (time, D) for a recurrent one,
    (D,) for one that states a row width; free sizes are named, so they stay dynamic."""
    first = model
    while isinstance(first, Sequential) and len(first):
        first = first[0]
    input_dtype = np.dtype(np.int64) if isinstance(first, Embedding) else dtype
    if input_shape is not None:
        return tuple(input_shape), input_dtype
    if isinstance(first, Embedding):
        return ("time",), input_dtype
    if isinstance(first, Conv2d):
        return (first.in_channels, "height", "width"), input_dtype
    if isinstance(first, BatchNorm2d):  # before input_width, which reads num_features as a row width
        return (first.num_features, "height", "width"), input_dtype
    if isinstance(first, RNN | LSTM | GRU):
        return ("time", first.input_size), input_dtype
    width = input_width(model)
    if width is None:
        raise ExportError(f"to_onnx: cannot tell the input width (shape) of {model!r}: its first layer "
                          f"{first!r} does not state it (in_features / num_features / in_channels / "
                          "input_size); pass input_shape=(D,) or the shape without the batch axis")
    return (width,), input_dtype


def _declare_output_shape(onnx, proto, last: str) -> None:
    """Give ``output`` the shape ONNX's own shape inference finds (``(batch, H)`` for an MLP):
    the checker wants every graph output typed with a shape."""
    inferred = onnx.shape_inference.infer_shapes(proto)
    known = {info.name: info for info in [*inferred.graph.value_info, *inferred.graph.input]}
    if last in known:  # the value the final Identity renames
        proto.graph.output[0].type.CopyFrom(known[last].type)


def _write(path, data: bytes) -> Path:
    try:
        return atomic_write(path, lambda f: f.write(data))
    except OSError as err:
        raise ExportError(f"to_onnx: cannot write {str(path)!r}: {err.strerror or err}") from None

