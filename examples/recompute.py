"""Gradient checkpointing on a deep MLP: memory for time, measured.

A 32-layer ReLU MLP (width 512, batch 256) trains one step with every activation
cached, then with the layers cut into 2, 4 (≈ √L/… ) and 8 segments whose inside
activations are recomputed during backward. For each: the bytes cached between
forward and backward, the peak memory the step allocates (tracemalloc sees numpy's
allocations), the time per step — and a check that the gradients are bit-identical.

Run:  python examples/recompute.py [--depth 32] [--width 512] [--batch 256]
"""

import argparse
import time
import tracemalloc

import numpy as np

from minidl import Sequential, SoftmaxCrossEntropy
from minidl.nn.memory import memory_report
from minidl.nn.models import mlp


def step(model, x, y, loss_fn):
    model.zero_grad()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())


def peak_memory(model, x, y):
    """Bytes a training step allocates at its peak (tracemalloc sees numpy's arrays)."""
    loss_fn = SoftmaxCrossEntropy()
    step(model, x, y, loss_fn)  # warm-up
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    step(model, x, y, loss_fn)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def step_times(models, x, y, rounds=9):
    """Median seconds per step of each model, timed in turn round after round (interleaved,
    so a busy moment of the machine slows them all alike)."""
    loss_fn = SoftmaxCrossEntropy()
    times = [[] for _ in models]
    for _ in range(rounds):
        for model, spent in zip(models, times):
            started = time.perf_counter()
            step(model, x, y, loss_fn)
            spent.append(time.perf_counter() - started)
    return [float(np.median(t)) for t in times]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=32, help="hidden layers (default: 32)")
    parser.add_argument("--width", type=int, default=512, help="units per hidden layer (default: 512)")
    parser.add_argument("--batch", type=int, default=256, help="batch size (default: 256)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, args.width)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)
    sizes = [args.width] * (args.depth + 1) + [10]
    print(f"MLP of {args.depth} hidden layers × {args.width}, batch {args.batch}, float32\n")
    print(f"{'segments':>8}  {'cached after forward':>20}  {'peak during step':>16}  "
          f"{'time/step':>9}  gradients")
    choices = (None, 2, 4, 8)
    models = [Sequential(*mlp(sizes, rng=0).layers, recompute_segments=k) for k in choices]
    peaks = [peak_memory(model, x, y) for model in models]  # also leaves each one's gradients
    grads = [[p.grad.copy() for p in model.parameters()] for model in models]
    cached = [memory_report(model, args.batch).cached_bytes for model in models]
    seconds = step_times(models, x, y)
    for i, segments in enumerate(choices):
        same = "reference" if i == 0 else (
            "bit-identical" if all(np.array_equal(a, b) for a, b in zip(grads[i], grads[0])) else "DIFFERENT")
        print(f"{segments or 'none':>8}  {cached[i] / 2**20:>16.1f} MiB  {peaks[i] / 2**20:>12.1f} MiB  "
              f"{seconds[i] * 1e3:>7.1f}ms  {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
