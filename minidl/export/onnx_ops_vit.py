"""ONNX mappings of the vision-transformer layers: PatchEmbedding (Reshape → Transpose → Reshape →
MatMul + Add), PositionalEmbedding (Add), MeanOverTokens (ReduceMean) and Tokenwise (the module
on N·T rows, reshaped back)."""

from __future__ import annotations

from ..nn.layers import MeanOverTokens, PatchEmbedding, PositionalEmbedding
from ..nn.tokenwise import Tokenwise
from .onnx_ops import export_layer, onnx_op


@onnx_op(PatchEmbedding)
def _patches(layer: PatchEmbedding, graph, x, where):
    """(N, C·H·W) → (N, C, gy, py, gx, px) → (N, gy, gx, C, py, px) → (N, T, C·p²) → · W + b."""
    c, p = layer.in_channels, layer.patch_size
    g = layer.image_size // p
    grid = graph.node("Reshape", [x, graph.int_constant(f"{where}grid_shape", [0, c, g, p, g, p])],
                      f"{where}grid")
    ordered = graph.node("Transpose", [grid], f"{where}patch_order", perm=[0, 2, 4, 1, 3, 5])
    patches_shape = graph.int_constant(f"{where}patches_shape", [0, g * g, c * p * p])
    patches = graph.node("Reshape", [ordered, patches_shape], f"{where}patches")
    product = graph.node("MatMul", [patches, graph.constant(f"{where}W", layer.W)], f"{where}matmul")
    return graph.node("Add", [product, graph.constant(f"{where}b", layer.b)], f"{where}tokens")


@onnx_op(PositionalEmbedding)
def _positions(layer: PositionalEmbedding, graph, x, where):
    return graph.node("Add", [x, graph.constant(f"{where}P", layer.P)], f"{where}positioned")


@onnx_op(MeanOverTokens)
def _mean(layer, graph, x, where):
    if graph.opset >= 18:  # opset 18 moved ReduceMean's axes from an attribute to an input
        axes = graph.int_constant(f"{where}axes", [1])
        return graph.node("ReduceMean", [x, axes], f"{where}mean", keepdims=0)
    return graph.node("ReduceMean", [x], f"{where}mean", axes=[1], keepdims=0)


@onnx_op(Tokenwise)
def _tokenwise(layer: Tokenwise, graph, x, where):
    """Y = f(X as N·T rows) reshaped to (N, T, ·): the shape is read at run time (N, T dynamic)."""
    rows = graph.node("Flatten", [x], f"{where}rows", axis=2)                  # (N·T, D)
    out = export_layer(layer.module, graph, rows, f"{where}module.")           # (N·T, D')
    x_shape = graph.node("Shape", [x], f"{where}x_shape")
    n_t = graph.node("Slice", [x_shape, graph.int_constant(f"{where}zero", [0]),
                               graph.int_constant(f"{where}two", [2])], f"{where}n_t")    # [N, T]
    minus_one = graph.int_constant(f"{where}minus_one", [-1])
    shape = graph.node("Concat", [n_t, minus_one], f"{where}out_shape", axis=0)          # [N, T, −1]
    return graph.node("Reshape", [out, shape], f"{where}tokens")
