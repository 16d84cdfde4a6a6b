"""The architectures ``minidl bench --model NAME`` times besides the default MLP.

Each lives in its own module (``minidl.bench.<name>``) that defines ``MODEL``, a
``BenchModel``: how to describe the setup, how to build its contestants (each a
``run()`` that trains over the given samples once) and which of them the ratio columns
are taken against. The modules are imported only when asked for, so one model's
contestants (which may build PyTorch twins) cost nothing to the others. Below the
registry: what every contestant builder shares, the MLP's included (one Trainer epoch, one
PyTorch training loop, a PyTorch twin by ``to_torch``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..data import DataLoader
from ..nn.losses import SoftmaxCrossEntropy
from ..optim import Adam
from ..training import Trainer

BENCH_MODULES = {"cnn": "minidl.bench.cnn", "lstm": "minidl.bench.lstm", "vit": "minidl.bench.vit"}


@dataclass(frozen=True)
class BenchModel:
    """One benchmarked architecture.

    ``describe(batch_size, dtype)``: the line under the machine header saying what is timed.
    ``contestants(x, y, batch_size, dtype, seed, threads, use_torch)``: ``name → run()`` over
    the flat Fashion-MNIST rows ``x`` (N, 784) and labels ``y``; every contestant trains the
    same architecture from the same weights on the same batches in the same order.
    ``references``: the ratio columns, ``label → contestant`` (absent contestants are skipped).
    ``default_limit``: samples per timed round when ``--limit`` is not given.
    """

    describe: Callable[[int, str], str]
    contestants: Callable[..., dict]
    references: dict
    default_limit: int


def bench_model(name: str) -> BenchModel:
    """The ``BenchModel`` called ``name`` (one of ``BENCH_MODULES``)."""
    return importlib.import_module(BENCH_MODULES[name]).MODEL


# What the architectures' contestants share: each trains its network with Adam from the
# same weights on the same batches (a loader seeded alike), minidl's way or PyTorch's.

def trainer_run(model, optimizer, x, y, batch_size: int, seed: int, planned: bool):
    """``run()``: one ``Trainer.train_epoch`` over (x, y) with ``optimizer``, planned or on the
    teaching path; ``run.weights()`` gives the parameters in ``model.parameters()`` order."""
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, progress=False, log=lambda *a: None,
                      planned=planned)
    loader = DataLoader(x, y, batch_size, rng=seed)

    def run():
        trainer.train_epoch(loader)
    run.weights = lambda: [p.data for p in model.parameters()]
    return run


def adam_trainer(model, x, y, batch_size: int, seed: int, lr: float, planned: bool):
    """``trainer_run`` with Adam at ``lr``."""
    return trainer_run(model, Adam(model.parameters(), lr=lr), x, y, batch_size, seed, planned)


def torch_loop(forward, optimizer, x, y, batch_size: int, seed: int, threads: int):
    """``run()``: PyTorch eager over the same batches as minidl's contestants (a loader seeded
    alike): ``forward(xb)`` gives logits, then cross-entropy, backward and ``optimizer.step()``,
    on ``threads`` threads with subnormals flushed (as minidl's updates flush them; without
    it PyTorch walks into the slowdown they cause)."""
    import torch

    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = DataLoader(x, y, batch_size, rng=seed)

    def run():
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(forward(torch.from_numpy(xb)), torch.from_numpy(yb))
            loss.backward()
            optimizer.step()
    return run


def exported_torch_twin(model, x, y, batch_size: int, seed: int, lr: float, threads: int):
    """``torch_loop`` with torch's Adam on ``minidl.export.to_torch(model)`` in training mode;
    ``run.weights()`` in minidl's order and layouts (a Linear's weight is Dense's W transposed)."""
    import torch

    from ..export import to_torch

    net = to_torch(model).train()
    run = torch_loop(net, torch.optim.Adam(net.parameters(), lr=lr), x, y, batch_size, seed, threads)
    run.weights = lambda: [p.detach().numpy().T if p.ndim == 2 else p.detach().numpy()
                           for p in net.parameters()]
    return run


def adam_bench_model(trainer, gemm_bound, torch_twin, describe) -> BenchModel:
    """A ``BenchModel`` of four contestants: ``trainer(x, y, batch_size, dtype, seed,
    planned)`` both ways, ``gemm_bound(x, y, batch_size, dtype, seed)`` and, when PyTorch is
    used, ``torch_twin(x, y, batch_size, dtype, seed, threads)``; ratios against the GEMM
    bound, PyTorch and the planned path; 20 batches of 128 a round by default."""

    def contestants(x, y, batch_size, dtype, seed, threads, use_torch) -> dict:
        runs = {"planned": trainer(x, y, batch_size, dtype, seed, planned=True),
                "teaching": trainer(x, y, batch_size, dtype, seed, planned=False),
                "gemm": gemm_bound(x, y, batch_size, dtype, seed)}
        if use_torch:
            runs["torch"] = torch_twin(x, y, batch_size, dtype, seed, threads)
        return runs

    return BenchModel(describe=describe, contestants=contestants,
                      references={"gemm": "gemm", "torch": "torch", "planned": "planned"},
                      default_limit=128 * 20)


# The GEMM-only bounds: the products of layers Z = A W, each a (M, K) × (K, F) GEMM.

def projection_arrays(shapes, dtype, rng) -> list[tuple]:
    """Per (M, K, F) of ``shapes``: random operands A (M, K) and W (K, F) and preallocated
    outputs Z (M, F), dW (K, F) and dA (M, K)."""
    def draw(*shape):
        return rng.standard_normal(shape).astype(dtype)
    return [(draw(m, k), draw(k, f), np.empty((m, f), dtype), np.empty((k, f), dtype),
             np.empty((m, k), dtype)) for m, k, f in shapes]


def forward_gemms(layers) -> None:
    """Z = A W for every layer of ``projection_arrays``."""
    for a, w, z, _, _ in layers:
        np.matmul(a, w, out=z)


def backward_gemms(layers) -> None:
    """Last layer first: dW = Aᵀ dZ, and dA = dZ Wᵀ for all but the first (its input is data);
    Z's array stands in for dZ."""
    for i in range(len(layers) - 1, -1, -1):
        a, w, z, dw, da = layers[i]
        np.matmul(a.T, z, out=dw)
        if i:
            np.matmul(z, w.T, out=da)
