"""Fashion-MNIST with a two-hidden-layer MLP, using only minidl's public API.

What `minidl train` does, spelled out: load the shipped data, build the model,
pick an optimizer and a schedule, run the shared training loop, save, reload.

Run:  python examples/fashion_mnist_mlp.py [--epochs 5]
"""

import argparse
import time

import numpy as np

import minidl
from minidl import SGD, SoftmaxCrossEntropy
from minidl.data import DataLoader, load_dataset
from minidl.nn.models import mlp
from minidl.training import Trainer, evaluate, make_schedule


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs to train (default: 5)")
    parser.add_argument("--limit-train", type=int, default=None, help="train on the first N images")
    parser.add_argument("--out", default="fashion_mlp.npz", help="where to save the model")
    args = parser.parse_args(argv)

    # data: 60,000 training and 10,000 test images, pixels scaled into [0, 1]
    ds = load_dataset("fashion-mnist", limit_train=args.limit_train)
    loader = DataLoader(ds.x_train, ds.y_train, batch_size=128, rng=0)
    print(ds)

    # model: 784 → 256 → 128 → 10 with ReLU, He-initialised from seed 0
    model = mlp([ds.input_dim, 256, 128, ds.num_classes], "relu", rng=0)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    schedule = make_schedule("cosine", 0.1, epochs=args.epochs, steps_per_epoch=len(loader),
                             warmup_epochs=0.5)

    # train: the same loop the CLI uses, one summary line per epoch
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, schedule=schedule, progress=False,
                      log=print)
    started = time.perf_counter()
    trainer.fit(loader, args.epochs, test_data=(ds.x_test, ds.y_test), num_classes=ds.num_classes)
    print(f"trained in {time.perf_counter() - started:.1f}s")

    # save, reload, and check the reloaded model gives the same answers
    minidl.save(model, args.out)
    reloaded = minidl.load(args.out)
    result = evaluate(reloaded, SoftmaxCrossEntropy(), ds.x_test, ds.y_test, ds.num_classes)
    print(f"reloaded from {args.out}: test accuracy {result['accuracy']:.4f}")
    worst = int(np.argmin(result["per_class_accuracy"]))
    print(f"hardest class: {ds.class_names[worst]} ({result['per_class_accuracy'][worst]:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
