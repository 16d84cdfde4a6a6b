"""The micrograd demo as a benchmark: one full-batch SGD step of an MLP 2-16-16-1 with a
hinge loss on 100 points, by the scalar reference, the array engine and PyTorch eager."""

from __future__ import annotations

import numpy as np

from ..autodiff import Tensor
from ..data import make_moons
from .scalar_reference import Scalar

SIZES = (2, 16, 16, 1)
LR = 0.05


def moons_problem(seed: int):
    x, y = make_moons(100, noise=0.1, rng=seed)
    sign = (2.0 * y - 1.0).reshape(-1, 1)  # labels as ±1 for the hinge loss
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-1, 1, (a, b)) / np.sqrt(a) for a, b in zip(SIZES, SIZES[1:])]
    return x.astype(np.float64), sign, weights


def scalar_step(seed: int):
    """Every weight and activation a ``Scalar``: micrograd's one-node-per-number graph."""
    x, sign, weights = moons_problem(seed)
    params = [[[Scalar(v) for v in row] for row in w] for w in weights]
    biases = [[Scalar(0.0) for _ in range(w.shape[1])] for w in weights]
    flat = [s for w in params for row in w for s in row] + [s for b in biases for s in b]

    def step():
        total = Scalar(0.0)
        for row, target in zip(x, sign[:, 0]):
            h = [Scalar(v) for v in row]
            for k, (w, b) in enumerate(zip(params, biases)):
                h = [sum((h[i] * w[i][j] for i in range(len(h))), b[j]) for j in range(len(b))]
                if k < len(params) - 1:
                    h = [v.relu() for v in h]
            total = total + (1.0 - h[0] * float(target)).relu()
        loss = total * (1.0 / len(x))
        for p in flat:
            p.grad = 0.0
        loss.backward()
        for p in flat:
            p.data -= LR * p.grad
    return step


def engine_step(seed: int):
    """The same step with whole arrays as engine Tensors."""
    x, sign, weights = moons_problem(seed)
    params = [Tensor(w, requires_grad=True) for w in weights]
    biases = [Tensor(np.zeros(w.shape[1]), requires_grad=True) for w in weights]
    xt = Tensor(x)

    def step():
        h = xt
        for k, (w, b) in enumerate(zip(params, biases)):
            h = h @ w + b
            if k < len(params) - 1:
                h = h.relu()
        loss = (1.0 - h * sign).relu().mean()
        for p in params + biases:
            p.zero_grad()
        loss.backward()
        for p in params + biases:
            p.data -= LR * p.grad
    return step


def torch_step(seed: int, threads: int):
    import torch

    torch.set_num_threads(threads)
    x, sign, weights = moons_problem(seed)
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    biases = [torch.zeros(w.shape[1], dtype=torch.float64, requires_grad=True) for w in weights]
    xt, st = torch.from_numpy(x), torch.from_numpy(sign)

    def step():
        h = xt
        for k, (w, b) in enumerate(zip(params, biases)):
            h = h @ w + b
            if k < len(params) - 1:
                h = h.relu()
        loss = (1.0 - h * st).relu().mean()
        for p in params + biases:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params + biases:
                p -= LR * p.grad
    return step
