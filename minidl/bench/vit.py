"""``minidl bench --model vit``: training steps of the default vision transformer
(``minidl train --model vit``: 7×7 patches of 28×28 images as 16 tokens, 2 pre-norm blocks of
width 64 with 4 heads and an MLP of 128, mean over tokens, a Dense classifier).

Contestants, each training the same network from the same weights with Adam (lr 1e-3, the
CLI's default for the vit) on the same batches in the same order:

- ``planned``: ``Trainer.train_epoch`` on its default path, ``minidl.plan`` (the attention,
  LayerNorm, GELU and token kernels, the residuals opened up);
- ``teaching``: the same Trainer with ``planned=False``, each layer's own methods;
- ``gemm``: only the matrix products a step needs, on preallocated arrays of the real
  shapes — per projection Z = X W, dW = Xᵀ dZ, dX = dZ Wᵀ (no dX for the patch embedding,
  whose input is data) and per attention layer the batched S = Q Kᵀ, O = P V, dV = Pᵀ dO,
  dP = dO Vᵀ, dQ = dS K, dK = dSᵀ Q: the floor under any numpy step;
- ``torch``: PyTorch eager on ``minidl.export.to_torch`` of the same model (its attention a
  ``torch.nn.MultiheadAttention``), in training mode, same dtype, threads, data order and
  optimizer (when PyTorch is installed).
"""

from __future__ import annotations

import numpy as np

from ..nn.layers import Dense, MultiHeadAttention, PatchEmbedding
from ..nn.models import vit
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
    """The CLI's vit on 28×28 one-channel images (minidl/cli/architectures.py)."""
    return vit(28, 7, 10, embed_dim=64, depth=2, num_heads=4, mlp_dim=128, rng=seed, dtype=dtype)


def trainer(x, y, batch_size, dtype, seed, planned: bool):
    """This network trained by the Trainer, planned or on the teaching path."""
    return adam_trainer(_model(dtype, seed), x, y, batch_size, seed, LR, planned)


def gemm_shapes(model, batch_size: int) -> tuple[list, list]:
    """The products of one step: ``projections``, (M, K, F) of each Z(M, F) = X(M, K) W(K, F)
    in forward order, and ``attention``, (N·h, T, d) of each attention layer."""
    projections, attention = [], []
    tokens = None
    for _, layer in model.named_modules():
        if type(layer) is PatchEmbedding:
            tokens = batch_size * layer.num_tokens
            projections.append((tokens, layer.W.shape[0], layer.embed_dim))
        elif type(layer) is MultiHeadAttention:
            e = layer.embed_dim
            projections += [(tokens, e, 3 * e), (tokens, e, e)]  # [Q K V] together, then Wo
            attention.append((batch_size * layer.num_heads, tokens // batch_size, layer.head_dim))
        elif type(layer) is Dense:
            rows = batch_size if layer is model.layers[-1] else tokens  # the head sees one row each
            projections.append((rows, layer.in_features, layer.out_features))
    return projections, attention


def gemm_bound(x, y, batch_size, dtype, seed):
    """The forward and backward GEMMs of every step over ``x``, into preallocated outputs."""
    rng = np.random.default_rng(seed)

    def draw(*shape):
        return rng.standard_normal(shape).astype(dtype)

    shapes, heads = gemm_shapes(_model(dtype, seed), batch_size)
    layers = projection_arrays(shapes, dtype, rng)
    # Q, K, V, P, O, then the gradients dP (dS), dQ, dK, dV in arrays of their own
    attention = [(draw(b, t, d), draw(b, t, d), draw(b, t, d), draw(b, t, t), np.empty((b, t, d), dtype),
                  np.empty((b, t, t), dtype), *(np.empty((b, t, d), dtype) for _ in range(3)))
                 for b, t, d in heads]
    steps = -(-len(x) // batch_size)

    def run():
        for _ in range(steps):
            forward_gemms(layers)                                   # Z = X W
            for q, k, v, p, o, *_ in attention:
                np.matmul(q, k.transpose(0, 2, 1), out=p)           # S = Q Kᵀ (P in its place)
                np.matmul(p, v, out=o)                              # O = P V
            for q, k, v, p, do, ds, dq, dk, dv in attention:       # dO: O's array stands in
                np.matmul(p.transpose(0, 2, 1), do, out=dv)         # dV = Pᵀ dO
                np.matmul(do, v.transpose(0, 2, 1), out=ds)         # dP = dO Vᵀ (dS in its place)
                np.matmul(ds, k, out=dq)                            # dQ = dS K
                np.matmul(ds.transpose(0, 2, 1), q, out=dk)         # dK = dSᵀ Q
            backward_gemms(layers)                                  # dW = Xᵀ dZ, dX = dZ Wᵀ
    return run


def torch_twin(x, y, batch_size, dtype, seed, threads):
    """PyTorch eager: the same model exported by ``to_torch``, trained with torch's Adam."""
    return exported_torch_twin(_model(dtype, seed), x, y, batch_size, seed, LR, threads)


def describe(batch_size: int, dtype: str) -> str:
    return (f"default ViT: 16 tokens of 7×7 patches, 2 blocks of width 64 (4 heads, MLP 128), "
            f"mean over tokens → Dense; batch {batch_size}, {dtype}, Adam lr {LR:g}")


MODEL = adam_bench_model(trainer, gemm_bound, torch_twin, describe)
