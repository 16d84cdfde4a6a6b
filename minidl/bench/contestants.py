"""The contestants of ``minidl bench``: one training epoch of the same MLP, seven ways.

Each builder returns ``run_epoch()`` closing over its own model and optimizer (the
training contestants also give ``run_epoch.weights()``, W₀, b₀, W₁, …, so a test can
check they compute the same thing); all of them train 784-…-10 with SGD (lr 0.1,
momentum 0.9, PyTorch's rule) on the same data, batch size, dtype and data order, so
their times compare like for like:

- ``planned``: ``Trainer.train_epoch`` on its default path, ``minidl.plan`` — what
  ``minidl train`` runs (it also sums the loss and counts correct predictions);
- ``teaching``: the same Trainer with ``planned=False``: each layer's own forward and
  backward, the optimizer's own ``step()``;
- ``plan-loop``: a user's own loop calling ``step(xb, yb)`` from ``plan(...)``, as the
  README teaches, with nothing else per batch;
- ``engine``: the same network written with ``minidl.autodiff`` Tensors;
- ``numpy``: the same step written out by hand in numpy, with no framework (preallocated
  arrays, the same equations and update): what the planned path costs over it is overhead;
- ``gemm``: only the matrix products one step needs (3 forward, 3 for dW, 2 for dX),
  into preallocated outputs — the floor no numpy implementation can go under;
- ``torch``: PyTorch eager, when it is importable (never a dependency).

``EPOCH`` names the builders that need nothing but numpy; ``torch_path`` also takes the
thread count.
"""

from __future__ import annotations

import numpy as np

from ..autodiff import Tensor
from ..data import DataLoader
from ..nn.losses import SoftmaxCrossEntropy
from ..nn.models import mlp
from ..optim import SGD
from ..plan import plan
from .models import torch_loop, trainer_run

LR, MOMENTUM = 0.1, 0.9

# The hand-written step flushes subnormal momentum as the planned update does
# (minidl.plan.updates, where the reasoning is): the same two numbers, kept here so the
# numpy contestant reads nothing from the framework; a test keeps them in step.
FLUSH_EVERY = 64
FLUSH_BELOW = 1e-30


def _model_and_optimizer(sizes, dtype, seed):
    """The MLP every contestant starts from (its initial weights), and its SGD."""
    model = mlp(sizes, rng=seed, dtype=dtype)
    return model, SGD(model.parameters(), lr=LR, momentum=MOMENTUM)


def _trainer_path(x, y, sizes, batch_size, dtype, seed, *, planned: bool):
    """``Trainer.train_epoch`` on the planned or the teaching path."""
    model, optimizer = _model_and_optimizer(sizes, dtype, seed)
    return trainer_run(model, optimizer, x, y, batch_size, seed, planned)


def planned_trainer(x, y, sizes, batch_size, dtype, seed):
    """The Trainer's default: every step through ``minidl.plan``."""
    return _trainer_path(x, y, sizes, batch_size, dtype, seed, planned=True)


def teaching_trainer(x, y, sizes, batch_size, dtype, seed):
    """The Trainer told ``planned=False``: the layers' and the optimizer's own methods."""
    return _trainer_path(x, y, sizes, batch_size, dtype, seed, planned=False)


def plan_loop(x, y, sizes, batch_size, dtype, seed):
    """A user's loop over the batches calling the planned step, and nothing else."""
    model, optimizer = _model_and_optimizer(sizes, dtype, seed)
    step = plan(model, SoftmaxCrossEntropy(), optimizer)
    loader = DataLoader(x, y, batch_size, rng=seed)

    def run_epoch():
        for xb, yb in loader:
            step(xb, yb)
    run_epoch.weights = lambda: [p.data for p in model.parameters()]
    return run_epoch


def engine_path(x, y, sizes, batch_size, dtype, seed):
    """The same MLP as engine Tensors: forward builds a graph, ``backward()`` sweeps it."""
    init = mlp(sizes, rng=seed, dtype=dtype)  # the same initial weights as the others
    params = [Tensor(p.data.copy(), requires_grad=True) for p in init.parameters()]
    update = _momentum_sgd([p.data for p in params])
    loader = DataLoader(x, y, batch_size, rng=seed)

    def step(xb, yb):
        h = Tensor(xb)
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        loss = -h.log_softmax(axis=1)[np.arange(len(yb)), yb].mean()
        for p in params:
            p.grad = None  # as PyTorch's zero_grad() (set_to_none): backward writes, not adds
        loss.backward()
        update([p.grad for p in params])

    def run_epoch():
        for xb, yb in loader:
            step(xb, yb)
    run_epoch.weights = lambda: [p.data for p in params]
    return run_epoch


def numpy_inline(x, y, sizes, batch_size, dtype, seed):
    """The step hand-written in numpy: ``backprop-mlp-layers.md``'s batch equations in a row.

    Forward ``Z = H W + b``, ``H' = Z ⊙ 1[Z > 0]``; softmax cross-entropy, its loss and
    ``dZ = (P − Y)/N``; backward ``dW = Hᵀ dZ``, ``db = Σ_n dZ``, ``dH = dZ Wᵀ`` masked by
    ReLU′; then SGD with momentum, flushing subnormal momentum as the planned update does
    (else it runs slower). Every batch-sized array is made once and reused.
    """
    params = [p.data.copy() for p in mlp(sizes, rng=seed, dtype=dtype).parameters()]
    weights, biases = params[0::2], params[1::2]
    grads = [np.zeros_like(p) for p in params]
    update = _momentum_sgd(params)
    outs = [np.empty((batch_size, width), dtype) for width in sizes[1:]]  # Z, then H in place
    masks = [np.empty((batch_size, width), bool) for width in sizes[1:-1]]
    deltas = [np.empty((batch_size, width), dtype) for width in sizes[1:-1]]  # dH, then dZ
    loader = DataLoader(x, y, batch_size, rng=seed)
    last = len(weights) - 1

    def step(xb, yb):
        n = len(yb)
        acts = [xb]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = np.matmul(acts[-1], w, out=outs[i][:n])
            z += b
            if i < last:
                z *= np.greater(z, 0, out=masks[i][:n])
            acts.append(z)
        p, rows = acts[-1], np.arange(n)
        p -= p.max(axis=1, keepdims=True)
        target = p[rows, yb]  # s_y, shifted: the loss is log Σ exp(s) − s_y
        np.exp(p, out=p)
        total = p.sum(axis=1, keepdims=True)
        loss = np.log(total).mean() - target.mean()  # a step reports its loss, as plan's does
        p /= total
        p[rows, yb] -= 1
        p /= n  # dZ of the logits
        g = p
        for i in reversed(range(len(weights))):
            np.matmul(acts[i].T, g, out=grads[2 * i])
            np.add.reduce(g, axis=0, out=grads[2 * i + 1])
            if i:
                g = np.matmul(g, weights[i].T, out=deltas[i - 1][:n])
                g *= masks[i - 1][:n]
        update(grads)
        return float(loss)

    def run_epoch():
        for xb, yb in loader:
            step(xb, yb)
    run_epoch.weights = lambda: params
    return run_epoch


def _momentum_sgd(params):
    """``update(grads)``: v ← μv + g, p ← p − lr·v on plain arrays, in place (PyTorch's rule,
    as ``minidl.SGD``), zeroing momentum below ``FLUSH_BELOW`` every ``FLUSH_EVERY`` steps."""
    velocity = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    steps = 0

    def update(grads):
        nonlocal steps
        for p, g, v, buf in zip(params, grads, velocity, scratch, strict=True):
            v *= MOMENTUM
            v += g
            np.multiply(v, LR, out=buf)
            p -= buf
        steps += 1
        if steps % FLUSH_EVERY == 0:
            for v in velocity:
                if v.dtype.itemsize < 8:  # float64 momentum never decays into its subnormals
                    v[np.abs(v) < FLUSH_BELOW] = 0
    return update


def gemm_bound(x, y, sizes, batch_size, dtype, seed):
    """Only the GEMMs of a step, on contiguous batches, into preallocated arrays."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((a, b)).astype(dtype) * 0.05 for a, b in zip(sizes, sizes[1:])]
    n = len(x) - len(x) % batch_size or len(x)
    acts = [np.empty((batch_size, s), dtype) for s in sizes]
    grads = [np.empty_like(w) for w in weights]

    def run_epoch():
        for lo in range(0, n, batch_size):
            acts[0] = x[lo:lo + batch_size]
            for i, w in enumerate(weights):  # forward: H_{i+1} = H_i W_i
                np.matmul(acts[i], w, out=acts[i + 1])
            g = acts[-1]
            for i in reversed(range(len(weights))):  # backward: dW_i = H_iᵀ G, G ← G W_iᵀ
                np.matmul(acts[i].T, g, out=grads[i])
                if i:
                    g = g @ weights[i].T
    return run_epoch


def torch_path(x, y, sizes, batch_size, dtype, seed, threads):
    """PyTorch eager (when installed), same model, optimizer, data order, dtype and threads."""
    import torch

    torch_dtype = getattr(torch, np.dtype(dtype).name)
    init = mlp(sizes, rng=seed, dtype=dtype)
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        linear = torch.nn.Linear(a, b, dtype=torch_dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(init[2 * i].W.T.copy()))
            linear.bias.zero_()
        layers += [linear, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    return torch_loop(net, optimizer, x, y, batch_size, seed, threads)


# The speed targets of issue 11 on this MLP: (contestant, reference, the most its time may be
# as a multiple of the reference's). ``minidl bench`` prints each with what it measured.
TARGETS = [("planned", "numpy", 1.0), ("planned", "torch", 0.8), ("plan-loop", "numpy", 1.0),
           ("plan-loop", "torch", 0.8), ("teaching", "planned", 1.5), ("engine", "teaching", 1.5)]

EPOCH = {"planned": planned_trainer, "teaching": teaching_trainer, "plan-loop": plan_loop,
         "engine": engine_path, "numpy": numpy_inline, "gemm": gemm_bound}
