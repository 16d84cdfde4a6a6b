"""``minidl bench --model cnn``: training steps of the default CNN (``minidl train --model cnn``).

The network is ``models.cnn()``: the CLI's layers without the Dropout it puts before the
last Dense (PyTorch's twin could not draw the same masks; dropout's cost is a mask over
(N, 128)). Contestants, each training it from the same weights with Adam (lr 1e-3) on the
same batches in the same order:

- ``planned``: ``Trainer.train_epoch`` on its default path, ``minidl.plan`` (the planned
  conv kernels: im2col by slab copies and one GEMM each for Z, dW and the dX columns);
- ``teaching``: the same Trainer with ``planned=False``, each layer's own methods;
- ``gemm``: only the matrix products an im2col step needs — per Conv2d and Dense layer
  Z = cols W, dW = colsᵀ dZ and dX-columns = dZ Wᵀ (none for the first layer, whose input
  is data) — on preallocated arrays of the real shapes: the floor under any im2col step;
- ``torch``: PyTorch eager on ``minidl.export.to_torch`` of the same model, in training
  mode, same dtype, threads, data order and optimizer (when PyTorch is installed).
"""

from __future__ import annotations

import numpy as np

from ..nn.layers import Conv2d, Dense
from ..nn.models import cnn
from ..plan.planner import leaf_layers
from .models import (
    adam_bench_model,
    adam_trainer,
    backward_gemms,
    exported_torch_twin,
    forward_gemms,
    projection_arrays,
)

LR = 1e-3


def _model(dtype, seed):
    return cnn(rng=seed, dtype=dtype)


def trainer(x, y, batch_size, dtype, seed, planned: bool):
    """This network trained by the Trainer, planned or on the teaching path."""
    return adam_trainer(_model(dtype, seed), x, y, batch_size, seed, LR, planned)


def gemm_shapes(model, batch_size: int, dtype) -> list[tuple[int, int, int]]:
    """(M, K, F) of each layer's GEMM Z(M, F) = A(M, K) B(K, F), in order: for a Conv2d,
    M = N·H'·W' output pixels and K = C·KH·KW; for a Dense, M = N and K = D."""
    x, shapes = np.zeros((batch_size, 784), dtype), []
    for layer in leaf_layers(model):
        out = layer(x)
        if type(layer) is Conv2d:
            kh, kw = layer.kernel_size
            shapes.append((out[:, 0].size, layer.in_channels * kh * kw, layer.out_channels))
        elif type(layer) is Dense:
            shapes.append((x.shape[0], layer.in_features, layer.out_features))
        x = out
    return shapes


def gemm_bound(x, y, batch_size, dtype, seed):
    """The forward, dW and dX GEMMs of every step over ``x``, into preallocated outputs."""
    layers = projection_arrays(gemm_shapes(_model(dtype, seed), batch_size, dtype), dtype,
                               np.random.default_rng(seed))  # cols, W, Z, dW, dcols per layer
    steps = -(-len(x) // batch_size)

    def run():
        for _ in range(steps):
            forward_gemms(layers)   # Z = cols W
            backward_gemms(layers)  # dW = colsᵀ dZ, dcols = dZ Wᵀ
    return run


def torch_twin(x, y, batch_size, dtype, seed, threads):
    """PyTorch eager: the same model exported by ``to_torch``, trained with torch's Adam."""
    return exported_torch_twin(_model(dtype, seed), x, y, batch_size, seed, LR, threads)


def describe(batch_size: int, dtype: str) -> str:
    layers = " → ".join(map(repr, leaf_layers(_model(dtype, 0))))
    return f"default CNN: {layers}; batch {batch_size}, {dtype}, Adam lr {LR:g}"


MODEL = adam_bench_model(trainer, gemm_bound, torch_twin, describe)
