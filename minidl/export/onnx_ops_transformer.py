"""ONNX mappings of the transformer layers: Rescale, LayerNorm, GELU, Softmax, Residual and
MultiHeadAttention (as MatMul / Reshape / Transpose / Softmax, PyTorch's head split)."""

from __future__ import annotations

import math

import numpy as np

from ..nn.layers import GELU, LayerNorm, MultiHeadAttention, Rescale, Softmax
from ..nn.residual import Residual
from .onnx_ops import export_layer, onnx_op


@onnx_op(Rescale)
def _rescale(layer: Rescale, graph, x, where):
    """Y = X ⊙ scale + offset: a regression model's predictions in the target's units."""
    scaled = graph.node("Mul", [x, graph.constant(f"{where}scale", layer.scale)], f"{where}scaled")
    return graph.node("Add", [scaled, graph.constant(f"{where}offset", layer.offset)], f"{where}rescaled")


@onnx_op(LayerNorm)
def _layernorm(layer: LayerNorm, graph, x, where):
    inputs = [x, graph.constant(f"{where}gamma", layer.gamma), graph.constant(f"{where}beta", layer.beta)]
    return graph.node("LayerNormalization", inputs, f"{where}layernorm", axis=-1, epsilon=layer.eps)


@onnx_op(GELU)
def _gelu(layer: GELU, graph, x, where):
    """none: Y = ½ X (1 + erf(X/√2));  tanh: Y = ½ X (1 + tanh(√(2/π)(X + 0.044715 X³))).
    (ONNX's Gelu operator needs opset 20; these are its opset-17 equivalents.)"""
    if layer.approximate == "tanh":
        cube = graph.node("Mul", [x, graph.node("Mul", [x, x], f"{where}square")], f"{where}cube")
        inner = graph.node("Add", [x, graph.node("Mul", [cube, graph.constant(f"{where}c", 0.044715)],
                                                   f"{where}cubic")], f"{where}inner")
        u = graph.node("Mul", [inner, graph.constant(f"{where}sqrt_2_over_pi", math.sqrt(2 / math.pi))],
                       f"{where}u")
        phi = graph.node("Tanh", [u], f"{where}tanh")
    else:
        phi = graph.node("Erf", [graph.node("Mul", [x, graph.constant(f"{where}inv_sqrt2", 1 / math.sqrt(2))],
                                            f"{where}scaled")], f"{where}erf")
    one_plus = graph.node("Add", [phi, graph.constant(f"{where}one", 1.0)], f"{where}one_plus")
    half_x = graph.node("Mul", [x, graph.constant(f"{where}half", 0.5)], f"{where}half_x")
    return graph.node("Mul", [half_x, one_plus], f"{where}gelu")


@onnx_op(Softmax)
def _softmax(layer: Softmax, graph, x, where):
    return graph.node("Softmax", [x], f"{where}softmax", axis=layer.axis)


@onnx_op(Residual)
def _residual(layer: Residual, graph, x, where):
    return graph.node("Add", [x, export_layer(layer.module, graph, x, f"{where}module.")], f"{where}residual")


@onnx_op(MultiHeadAttention)
def _attention(layer: MultiHeadAttention, graph, x, where):
    """Y = merge(softmax(Q Kᵀ/√d [+ causal mask]) V) Wo + bo on (N, T, E), heads split as
    (N, T, h, d) → (N, h, T, d)."""
    h, d = layer.num_heads, layer.embed_dim // layer.num_heads
    split_shape = graph.int_constant(f"{where}split_shape", [0, 0, h, d])

    def heads(name, perm):
        projected = graph.node("Add", [graph.node("MatMul", [x, graph.constant(f"{where}W{name}",
                                                                                getattr(layer, "W" + name))],
                                                  f"{where}{name}_matmul"),
                                       graph.constant(f"{where}b{name}", getattr(layer, "b" + name))],
                               f"{where}{name}")
        split = graph.node("Reshape", [projected, split_shape], f"{where}{name}_split")
        return graph.node("Transpose", [split], f"{where}{name}_heads", perm=perm)

    q = heads("q", [0, 2, 1, 3])   # (N, h, T, d)
    kt = heads("k", [0, 2, 3, 1])  # (N, h, d, T): Kᵀ per head
    v = heads("v", [0, 2, 1, 3])   # (N, h, T, d)
    scores = graph.node("Mul", [graph.node("MatMul", [q, kt], f"{where}qk"),
                                graph.constant(f"{where}inv_sqrt_d", 1 / math.sqrt(d))], f"{where}scores")
    if layer.causal:
        # keep[t, s] = 1[s ≤ t]: the lower triangle of a ones matrix shaped like the scores (T dynamic)
        ones = graph.node("ConstantOfShape", [graph.node("Shape", [scores], f"{where}scores_shape")],
                          f"{where}ones", value=graph.numpy_helper.from_array(np.ones(1, dtype=np.bool_)))
        keep = graph.node("Trilu", [ones], f"{where}keep", upper=0)
        scores = graph.node("Where", [keep, scores, graph.constant(f"{where}minus_inf", -np.inf)],
                            f"{where}masked_scores")
    p = graph.node("Softmax", [scores], f"{where}p", axis=-1)
    heads_out = graph.node("Transpose", [graph.node("MatMul", [p, v], f"{where}pv")], f"{where}pv_t",
                           perm=[0, 2, 1, 3])
    merged = graph.node("Reshape", [heads_out, graph.int_constant(f"{where}merge_shape", [0, 0, h * d])],
                        f"{where}merged")
    out = graph.node("MatMul", [merged, graph.constant(f"{where}Wo", layer.Wo)], f"{where}o_matmul")
    return graph.node("Add", [out, graph.constant(f"{where}bo", layer.bo)], f"{where}attention")
