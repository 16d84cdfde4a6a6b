"""ONNX mappings of the convolutional layers on (N, C, H, W) images: Conv2d (Conv), MaxPool2d
(MaxPool), AvgPool2d (AveragePool), GlobalAvgPool2d (GlobalAveragePool + Flatten), Flatten,
Reshape and BatchNorm2d (BatchNormalization with the running statistics).

minidl's layouts are ONNX's own (NCHW images, (F, C, KH, KW) kernels), so the weights go in
unchanged."""

from __future__ import annotations

from ..nn.layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    MaxPool2d,
    Reshape,
)
from .onnx_ops import ONNX_OPS, onnx_op


@onnx_op(Conv2d)
def _conv(layer: Conv2d, graph, x, where):
    """Z[n,f,i,j] = Σ_{c,k,l} Xp[n,c,s·i+d·k,s·j+d·l] W[f,c,k,l] + b[f], Xp zero-padded by p."""
    s, p, d = layer.stride, layer.padding, layer.dilation
    inputs = [x, graph.constant(f"{where}W", layer.W), graph.constant(f"{where}b", layer.b)]
    return graph.node("Conv", inputs, f"{where}conv", kernel_shape=list(layer.kernel_size),
                      strides=[s, s], pads=[p, p, p, p], dilations=[d, d])


def _pool(op: str):
    def export(layer, graph, x, where):
        # no padding, trailing rows and columns that fill no window dropped (ceil_mode=0), as minidl
        return graph.node(op, [x], f"{where}{op.lower()}", kernel_shape=list(layer.kernel_size),
                          strides=[layer.stride, layer.stride])
    return export


ONNX_OPS[MaxPool2d] = _pool("MaxPool")
ONNX_OPS[AvgPool2d] = _pool("AveragePool")


@onnx_op(GlobalAvgPool2d)
def _global_average(layer, graph, x, where):
    """(N, C, H, W) → GlobalAveragePool (N, C, 1, 1) → Flatten (N, C)."""
    pooled = graph.node("GlobalAveragePool", [x], f"{where}global_average")
    return graph.node("Flatten", [pooled], f"{where}pooled", axis=1)


@onnx_op(Flatten)
def _flatten(layer, graph, x, where):
    return graph.node("Flatten", [x], f"{where}flat", axis=1)


@onnx_op(Reshape)
def _reshape(layer: Reshape, graph, x, where):
    # 0 copies the batch size from the input, so the batch stays dynamic
    shape = graph.int_constant(f"{where}shape", [0, *layer.shape])
    return graph.node("Reshape", [x, shape], f"{where}reshaped")


# Per channel, BatchNorm1d's mapping as it is: ONNX's BatchNormalization normalises axis 1 of any
# rank. (Registered by name: BatchNorm2d overrides forward, so lookup would not take the parent's.)
ONNX_OPS[BatchNorm2d] = ONNX_OPS[BatchNorm1d]
