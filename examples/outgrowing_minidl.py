"""Outgrowing minidl: carry a saved model to ONNX Runtime and PyTorch, and time inference.

    python examples/outgrowing_minidl.py RUN_DIR_OR_MODEL.npz [--batch 1000] [--repeats 20]

Exports the model (its input normalisation included), checks that ONNX Runtime and PyTorch
give minidl's outputs on raw rows, and prints the median forward time of each beside
minidl's teaching forward and planned ``step.forward``, with the ratio to minidl's planned path.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np

from minidl.cli.rows import model_path, taking_raw_features
from minidl.export import to_onnx, to_torch
from minidl.io.model_file import load_with_metadata
from minidl.nn.losses import SoftmaxCrossEntropy
from minidl.optim import SGD
from minidl.plan import plan


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up: first-call allocations and lazy initialisation are not inference
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    model, meta = load_with_metadata(model_path(args.model))
    model = taking_raw_features(model, meta).eval()
    dtype = model.parameters()[0].dtype
    x = np.random.default_rng(0).uniform(0, 255, (args.batch, model[0].num_features)).astype(dtype)
    reference = model(x)
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.0))
    contestants = {"minidl teaching forward": lambda: model(x),
                   "minidl planned step.forward": lambda: step.forward(x)}
    differences = {}

    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        path = to_onnx(model, os.path.join(tmp, "model.onnx"))
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    differences["onnxruntime"] = np.abs(session.run(None, {"input": x})[0] - reference).max()
    contestants["onnxruntime"] = lambda: session.run(None, {"input": x})

    import torch

    net = to_torch(model)
    tx = torch.from_numpy(x)
    with torch.no_grad():
        differences["torch"] = np.abs(net(tx).numpy() - reference).max()

    def torch_forward():
        with torch.no_grad():
            return net(tx)

    contestants["torch (eager, CPU)"] = torch_forward

    seconds = {name: median_seconds(fn, args.repeats) for name, fn in contestants.items()}
    planned = seconds["minidl planned step.forward"]
    print(f"{model_path(args.model)}: batch {args.batch} × {x.shape[1]} features, {dtype}, "
          f"median of {args.repeats}; load {os.getloadavg()[0]:.2f}")
    for name, s in seconds.items():
        print(f"  {name:<30} {s * 1e3:8.2f} ms   {planned / s:5.2f}× planned")
    for name, d in differences.items():
        print(f"  largest |{name} − minidl| = {d:.3g}")


if __name__ == "__main__":
    main()
