"""One model, three precisions: float64, float32, float16 (with float32 master weights and
dynamic loss scaling) — accuracy, time, and where float16 gradients underflow.

Part 1 trains the same MLP from the same initial weights in each precision.
Part 2 takes the float32-trained model and computes one batch's gradients three ways:
in float32 (the reference), in float16 as they are, and in float16 with the loss scaled
by 2¹⁵ — and counts, per weight matrix, the entries that are non-zero in float32 but
flushed to zero in float16 (underflow below 6e-8).

numpy has no float16 matrix multiply in BLAS, so float16 is slower on a CPU here: the
point of the study is numerics, not speed.

Run:  python examples/precision_study.py [--limit-train 4000] [--epochs 4]
"""

import argparse
import time

import numpy as np

from minidl import SGD, SoftmaxCrossEntropy
from minidl.data import DataLoader, load_dataset
from minidl.nn.models import mlp
from minidl.training import MixedPrecision, Trainer, evaluate

SIZES = [784, 128, 10]


def train(ds, dtype, epochs):
    model = mlp(SIZES, rng=0, dtype=dtype)
    mixed = MixedPrecision(model) if dtype == "float16" else None
    params = mixed.master_parameters() if mixed else model.parameters()
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(params, lr=0.05, momentum=0.9), progress=False,
                      log=lambda *a: None, mixed_precision=mixed)
    x, x_test = ds.x_train.astype(dtype), ds.x_test.astype(dtype)
    started = time.perf_counter()
    trainer.fit(DataLoader(x, ds.y_train, 64, rng=0), epochs)
    seconds = (time.perf_counter() - started) / epochs
    accuracy = evaluate(model, SoftmaxCrossEntropy(), x_test, ds.y_test, ds.num_classes)["accuracy"]
    skipped = f"{mixed.skipped_steps}/{mixed.steps}" if mixed else "–"
    return model, accuracy, seconds, skipped


def weight_gradients(model, x, y, dtype, scale=1.0):
    """∂L/∂W of every Dense layer for one batch, computed in `dtype` with the loss scaled."""
    twin = mlp(SIZES, rng=0, dtype=dtype)
    twin.load_state_dict({k: v.astype(dtype) for k, v in model.state_dict().items()})
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(twin(x.astype(dtype)).astype(np.float32), y)
    twin.zero_grad()
    with np.errstate(over="ignore", invalid="ignore"):
        twin.backward((loss_fn.backward() * scale).astype(dtype))
    return [layer.dW for layer in twin.layers if hasattr(layer, "dW")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit-train", type=int, default=4000, help="training images (default: 4000)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per precision (default: 4)")
    args = parser.parse_args(argv)
    ds = load_dataset("fashion-mnist", limit_train=args.limit_train, limit_test=2000)

    print(f"MLP {'-'.join(map(str, SIZES))}, {args.limit_train} Fashion-MNIST images, {args.epochs} epochs\n")
    print(f"{'dtype':8}  {'test accuracy':>13}  {'s/epoch':>8}  {'skipped steps':>13}")
    trained = {}
    for dtype in ("float64", "float32", "float16"):
        model, accuracy, seconds, skipped = train(ds, dtype, args.epochs)
        trained[dtype] = model
        print(f"{dtype:8}  {accuracy:>13.4f}  {seconds:>8.2f}  {skipped:>13}")

    x, y = ds.x_train[:256], ds.y_train[:256]
    reference = weight_gradients(trained["float32"], x, y, "float32")
    plain = weight_gradients(trained["float32"], x, y, "float16")
    scaled = weight_gradients(trained["float32"], x, y, "float16", scale=2.0 ** 15)
    print("\nentries of ∂L/∂W non-zero in float32 but zero in float16 (one batch of 256):")
    print(f"{'layer':18}  {'non-zero':>9}  {'float16':>9}  {'float16, loss × 2¹⁵':>20}")
    for i, (ref, p16, s16) in enumerate(zip(reference, plain, scaled)):
        alive = ref != 0
        lost, lost_scaled = np.sum(alive & (p16 == 0)), np.sum(alive & (s16 == 0))
        print(f"Dense {i} {str(ref.shape):10}  {alive.sum():>9}  {lost / alive.sum():>8.1%}  "
              f"{lost_scaled / alive.sum():>19.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
