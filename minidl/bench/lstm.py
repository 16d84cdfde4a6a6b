"""``minidl bench --model lstm``: training steps of the sequence classifier that
``minidl train --model lstm`` builds — each 28×28 image read as 28 rows of 28 pixels,
LSTM(28 → 128) (last state) → Dense(128 → 10).

Contestants, each training the same network from the same weights with Adam (lr 1e-3) on
the same batches in the same order:

- ``planned``: ``Trainer.train_epoch`` on its default path, ``minidl.plan`` (the planned
  LSTM kernel: X Wx for all steps in one GEMM, the weight GEMMs after the backward loop);
- ``teaching``: the same Trainer with ``planned=False``, the layer's own step-by-step BPTT;
- ``gemm``: only the matrix products a BPTT step needs — X Wx once, h_{t−1} Wh and
  dA_t Whᵀ at each of the T steps, dWx = Xᵀ dA and dWh = H_{t−1}ᵀ dA once, the Dense
  layer's three (no dX for the LSTM, whose input is data) — on preallocated arrays of the
  real shapes: the floor under any numpy BPTT step;
- ``torch``: PyTorch eager, ``torch.nn.LSTM`` + ``torch.nn.Linear`` holding the same
  initial weights (gate order i, f, g, o maps 1:1: weight_ih = Wxᵀ, weight_hh = Whᵀ,
  bias_ih = b, bias_hh = 0 and not trained, as minidl has one bias), same dtype, threads,
  data order and optimizer (when PyTorch is installed).
"""

from __future__ import annotations

import numpy as np

from ..nn.models import lstm
from .models import adam_bench_model, adam_trainer, torch_loop

LR = 1e-3
STEPS, FEATURES, HIDDEN, CLASSES = 28, 28, 128, 10


def _model(dtype, seed):
    return lstm(STEPS, FEATURES, HIDDEN, CLASSES, rng=seed, dtype=dtype)


def trainer(x, y, batch_size, dtype, seed, planned: bool):
    """This network trained by the Trainer, planned or on the teaching path."""
    return adam_trainer(_model(dtype, seed), x, y, batch_size, seed, LR, planned)


def gemm_bound(x, y, batch_size, dtype, seed):
    """The GEMMs of every BPTT step over ``x``, into preallocated outputs."""
    rng = np.random.default_rng(seed)
    n, T, D, H, C = batch_size, STEPS, FEATURES, HIDDEN, CLASSES

    def rand(*shape):
        return rng.standard_normal(shape).astype(dtype)
    xs, Wx, Wh, W = rand(T * n, D), rand(D, 4 * H), rand(H, 4 * H), rand(H, C)
    hs, gates, dA = rand(T, n, H), np.empty((T, n, 4 * H), dtype), rand(T, n, 4 * H)
    tmp4, dh = np.empty((n, 4 * H), dtype), np.empty((n, H), dtype)
    dWx, dWh, z, dW, dlast = (np.empty(s, dtype) for s in ((D, 4 * H), (H, 4 * H), (n, C), (H, C), (n, H)))
    steps = -(-len(x) // batch_size)

    def run():
        for _ in range(steps):
            np.matmul(xs, Wx, out=gates.reshape(T * n, 4 * H))          # X Wx, every step at once
            for t in range(T):
                np.matmul(hs[t], Wh, out=tmp4)                           # h_{t−1} Wh
            np.matmul(hs[-1], W, out=z)                                  # Dense: Z = h_T W
            np.matmul(hs[-1].T, z, out=dW)                               # dW = h_Tᵀ dZ
            np.matmul(z, W.T, out=dlast)                                 # dh_T = dZ Wᵀ
            for t in reversed(range(T)):
                np.matmul(dA[t], Wh.T, out=dh)                           # dh_{t−1} = dA_t Whᵀ
            np.matmul(xs.T, dA.reshape(T * n, 4 * H), out=dWx)           # dWx = Xᵀ dA
            np.matmul(hs.reshape(T * n, H).T, dA.reshape(T * n, 4 * H), out=dWh)  # dWh = Hᵀ dA
    return run


def torch_twin(x, y, batch_size, dtype, seed, threads):
    """PyTorch eager: torch.nn.LSTM and Linear with minidl's initial weights, torch's Adam."""
    import torch

    torch_dtype = getattr(torch, np.dtype(dtype).name)
    _, cell, dense = _model(dtype, seed).layers
    recurrent = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True, dtype=torch_dtype)
    linear = torch.nn.Linear(HIDDEN, CLASSES, dtype=torch_dtype)
    with torch.no_grad():
        recurrent.weight_ih_l0.copy_(torch.from_numpy(cell.Wx.T.copy()))
        recurrent.weight_hh_l0.copy_(torch.from_numpy(cell.Wh.T.copy()))
        recurrent.bias_ih_l0.copy_(torch.from_numpy(cell.b.copy()))
        recurrent.bias_hh_l0.zero_()  # minidl's one b is b_ih + b_hh: keep b_hh at 0 (untrained),
        recurrent.bias_hh_l0.requires_grad_(False)  # else Adam would step b twice
        linear.weight.copy_(torch.from_numpy(dense.W.T.copy()))
        linear.bias.copy_(torch.from_numpy(dense.b.copy()))
    params = [p for p in recurrent.parameters() if p.requires_grad] + list(linear.parameters())

    def forward(xb):
        out, _ = recurrent(xb.reshape(-1, STEPS, FEATURES))
        return linear(out[:, -1])
    run = torch_loop(forward, torch.optim.Adam(params, lr=LR), x, y, batch_size, seed, threads)
    run.weights = lambda: [p.detach().numpy() for p in params]
    return run


def describe(batch_size: int, dtype: str) -> str:
    return (f"sequence classifier: {STEPS} rows of {FEATURES} pixels → LSTM({FEATURES} → {HIDDEN}), "
            f"last state → Dense({HIDDEN} → {CLASSES}); batch {batch_size}, {dtype}, Adam lr {LR:g}")


MODEL = adam_bench_model(trainer, gemm_bound, torch_twin, describe)
