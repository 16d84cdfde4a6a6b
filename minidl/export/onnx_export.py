"""``to_onnx(model, path)``: a minidl model as an ONNX graph (evaluation mode), written atomically."""

from __future__ import annotations

from pathlib import Path

from ..io.atomic import atomic_write
from ..nn.introspect import input_width, model_dtype
from ..nn.module import Module
from .common import ExportError, require
from .onnx_ops import GraphBuilder, export_layer

OPSET = 17
INPUT_NAME, OUTPUT_NAME = "input", "output"


def to_onnx(model: Module, path, *, input_shape: tuple | None = None, opset: int = OPSET) -> Path:
    """Write ``model`` to ``path`` as ONNX and return the path.

    The graph takes ``input`` of shape ``(N, D)`` (N dynamic, named ``batch``; D the model's
    input width) in the model's dtype and gives ``output``; every parameter and buffer is an
    initializer; layers compute as in evaluation mode (Dropout vanishes, BatchNorm uses its
    running statistics). ``input_shape`` (without the batch axis) is needed only when no
    layer states the input width. The result passes ``onnx.checker.check_model``.

    Example:
        >>> to_onnx(minidl.mlp([4, 8, 3], rng=0), "model.onnx")
    """
    onnx = require("onnx", "onnx", "to_onnx")
    if opset < 17:
        raise ExportError(f"to_onnx: opset must be at least 17, got {opset}")
    if not isinstance(model, Module):
        raise ExportError(f"to_onnx: expected a minidl Module, got {type(model).__name__}")
    if input_shape is None:
        width = input_width(model)
        if width is None:
            raise ExportError(f"to_onnx: cannot tell the input width of {model!r}: no layer states it "
                              "(in_features / num_features); pass input_shape=(D,)")
        input_shape = (width,)
    dtype = model_dtype(model)
    element_type = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    graph = GraphBuilder(onnx.helper, onnx.numpy_helper, dtype, opset)
    graph.used.add(INPUT_NAME)
    out = export_layer(model, graph, INPUT_NAME, "")
    # The last layer's value is renamed by an Identity, so the output is always called "output".
    graph.nodes.append(onnx.helper.make_node("Identity", [out], [OUTPUT_NAME], name=OUTPUT_NAME))
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(
            graph.nodes, "minidl",
            [onnx.helper.make_tensor_value_info(INPUT_NAME, element_type, ["batch", *input_shape])],
            [onnx.helper.make_tensor_value_info(OUTPUT_NAME, element_type, None)],
            initializer=graph.initializers),
        opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="minidl")
    _declare_output_shape(onnx, proto, out)
    if model.classes is not None:
        onnx.helper.set_model_props(proto, {"classes": ",".join(str(c) for c in model.classes)})
    onnx.checker.check_model(proto, full_check=True)
    return _write(path, proto.SerializeToString())


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

