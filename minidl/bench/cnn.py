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

from ..data import DataLoader
from ..nn.layers import Conv2d, Dense
from ..nn.losses import SoftmaxCrossEntropy
from ..nn.models import cnn
from ..optim import Adam
from ..plan.planner import leaf_layers
from ..training import Trainer
from .models import BenchModel

LR = 1e-3


def _model(dtype, seed):
    return cnn(rng=seed, dtype=dtype)


def _trainer(x, y, batch_size, dtype, seed, planned: bool):
    model = _model(dtype, seed)
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=LR), progress=False,
                      log=lambda *a: None, planned=planned)
    loader = DataLoader(x, y, batch_size, rng=seed)

    def run():
        trainer.train_epoch(loader)
    run.weights = lambda: [p.data for p in model.parameters()]
    return run


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
    rng = np.random.default_rng(seed)
    layers = []
    for m, k, f in gemm_shapes(_model(dtype, seed), batch_size, dtype):
        a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, f)).astype(dtype)
        layers.append((a, b, np.empty((m, f), dtype), np.empty((k, f), dtype), np.empty((m, k), dtype)))
    steps = -(-len(x) // batch_size)

    def run():
        for _ in range(steps):
            for a, b, z, _, _ in layers:
                np.matmul(a, b, out=z)  # Z = cols W
            for i in range(len(layers) - 1, -1, -1):
                a, b, z, dw, da = layers[i]
                np.matmul(a.T, z, out=dw)  # dW = colsᵀ dZ
                if i:
                    np.matmul(z, b.T, out=da)  # dcols = dZ Wᵀ
    return run


def torch_twin(x, y, batch_size, dtype, seed, threads):
    """PyTorch eager: the same model exported by ``to_torch``, trained with torch's Adam."""
    import torch

    from ..export import to_torch

    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)  # as minidl's updates flush subnormals
    net = to_torch(_model(dtype, seed)).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = DataLoader(x, y, batch_size, rng=seed)

    def run():
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(net(torch.from_numpy(xb)), torch.from_numpy(yb))
            loss.backward()
            optimizer.step()
    # in minidl's order and layouts: a Linear's weight is Dense's W transposed
    run.weights = lambda: [p.detach().numpy().T if p.ndim == 2 else p.detach().numpy()
                           for p in net.parameters()]
    return run


def contestants(x, y, batch_size, dtype, seed, threads, use_torch) -> dict:
    runs = {"planned": _trainer(x, y, batch_size, dtype, seed, planned=True),
            "teaching": _trainer(x, y, batch_size, dtype, seed, planned=False),
            "gemm": gemm_bound(x, y, batch_size, dtype, seed)}
    if use_torch:
        runs["torch"] = torch_twin(x, y, batch_size, dtype, seed, threads)
    return runs


def describe(batch_size: int, dtype: str) -> str:
    layers = " → ".join(map(repr, leaf_layers(_model(dtype, 0))))
    return f"default CNN: {layers}; batch {batch_size}, {dtype}, Adam lr {LR:g}"


MODEL = BenchModel(describe=describe, contestants=contestants,
                   references={"gemm": "gemm", "torch": "torch", "planned": "planned"},
                   default_limit=128 * 20)
