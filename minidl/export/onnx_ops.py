"""One ONNX mapping per minidl layer type: ``fn(layer, graph, x) -> name of the output``.

Each function appends the standard ONNX operators that compute the layer in evaluation
mode and returns the name of the value it produced. A new layer family adds one entry
with ``@onnx_op(LayerClass)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..nn.containers import Sequential
from ..nn.layers import BatchNorm1d, Dense, Dropout, Normalize, ReLU, Sigmoid, Tanh
from .common import lookup

ONNX_OPS: dict[type, Callable] = {}


def onnx_op(cls: type):
    """Register the decorated function as the ONNX mapping of layer type ``cls``."""
    def register(fn):
        ONNX_OPS[cls] = fn
        return fn
    return register


class GraphBuilder:
    """The nodes and initializers of the graph being built, with unique value names."""

    def __init__(self, helper, numpy_helper, dtype: np.dtype, opset: int):
        self.helper, self.numpy_helper, self.dtype, self.opset = helper, numpy_helper, dtype, opset
        self.nodes, self.initializers, self.used = [], [], set()

    def name(self, base: str) -> str:
        name, k = base, 1
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name

    def constant(self, base: str, array) -> str:
        """An initializer holding ``array`` in the model's dtype; returns its name."""
        name = self.name(base)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array, dtype=self.dtype), name))
        return name

    def int_constant(self, base: str, values) -> str:
        """An int64 initializer (shapes, axes, permutations); returns its name."""
        name = self.name(base)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

    def node(self, op: str, inputs: list[str], base: str, **attributes) -> str:
        """Append one ``op`` node with a single output; returns the output's name."""
        out = self.name(base)
        self.nodes.append(self.helper.make_node(op, inputs, [out], name=out, **attributes))
        return out


def export_layer(layer, graph: GraphBuilder, x: str, where: str) -> str:
    """Append ``layer``'s operators after value ``x`` (``where``: its name in the model)."""
    return lookup(ONNX_OPS, layer, "to_onnx")(layer, graph, x, where)


@onnx_op(Sequential)
def _sequential(model: Sequential, graph, x, where):
    for i, layer in enumerate(model):
        x = export_layer(layer, graph, x, f"{where}{i}.")
    return x


@onnx_op(Dense)
def _dense(layer: Dense, graph, x, where):
    # MatMul + Add rather than Gemm: Dense maps the last axis of any rank, Gemm takes 2-D only.
    product = graph.node("MatMul", [x, graph.constant(f"{where}W", layer.W)], f"{where}matmul")
    return graph.node("Add", [product, graph.constant(f"{where}b", layer.b)], f"{where}dense")


def _elementwise(op: str):
    def export(layer, graph, x, where):
        return graph.node(op, [x], f"{where}{op.lower()}")
    return export


ONNX_OPS[ReLU] = _elementwise("Relu")
ONNX_OPS[Tanh] = _elementwise("Tanh")
ONNX_OPS[Sigmoid] = _elementwise("Sigmoid")


@onnx_op(Dropout)
def _dropout(layer, graph, x, where):
    return x  # evaluation mode is the identity: no operator at all


@onnx_op(BatchNorm1d)
def _batchnorm(layer: BatchNorm1d, graph, x, where):
    """Evaluation form: Y = γ (X − running_mean) / √(running_var + eps) + β."""
    d = layer.num_features
    gamma = layer.gamma if layer.affine else np.ones(d)
    beta = layer.beta if layer.affine else np.zeros(d)
    inputs = [x, graph.constant(f"{where}gamma", gamma), graph.constant(f"{where}beta", beta),
              graph.constant(f"{where}running_mean", layer.running_mean),
              graph.constant(f"{where}running_var", layer.running_var)]
    return graph.node("BatchNormalization", inputs, f"{where}batchnorm", epsilon=layer.eps)


@onnx_op(Normalize)
def _normalize(layer: Normalize, graph, x, where):
    """Y = (X − offset) / divisor, the input normalisation stored as the model's first layer."""
    centred = graph.node("Sub", [x, graph.constant(f"{where}offset", layer.offset)], f"{where}centred")
    return graph.node("Div", [centred, graph.constant(f"{where}divisor", layer.divisor)], f"{where}scaled")


__all__ = ["ONNX_OPS", "onnx_op", "GraphBuilder", "export_layer"]
