"""Vanishing gradients: a 20-layer tanh MLP with a bad initialisation next to Xavier's.

Backward multiplies the gradient by Wᵀ diag(1 − H²) at every layer. With weights drawn
from N(0, 0.01²) and width 64 each factor shrinks a vector about 0.01·√64 = 0.08 times,
so twenty layers down the input layer sees a gradient ~10⁻²¹ of the output layer's:
nothing near the input learns. Xavier's Var(W) = 2 / (fan_in + fan_out) keeps the factor
near 1 and every layer receives a gradient of the same order (Glorot & Bengio, 2010).

``GradientFlow`` (minidl.training.diagnostics) records each layer's gradient norm per
epoch and warns, naming the layer, when it falls below 1e-7.

Run:  python examples/vanishing_gradients.py [--out DIR]   (DIR/gradient-flow.png with matplotlib)
"""

import argparse
import warnings
from pathlib import Path

import numpy as np

from minidl import Adam, Dense, SoftmaxCrossEntropy
from minidl.data import DataLoader, load_dataset
from minidl.nn.models import mlp
from minidl.training import GradientFlow, GradientFlowWarning, Trainer, plot_gradient_flow
from minidl.viz.plots import plots_available

DEPTH, WIDTH = 20, 64


def build(bad_init: bool, seed: int = 0):
    """20 Dense layers with tanh between them; Xavier, or every W redrawn from N(0, 0.01²)."""
    rng = np.random.default_rng(seed)
    model = mlp([2] + [WIDTH] * (DEPTH - 1) + [3], "tanh", rng=rng, init="xavier")
    if bad_init:
        for layer in model:
            if isinstance(layer, Dense):
                layer.W = rng.normal(0.0, 0.01, layer.W.shape)
    return model


def train(model, ds, epochs: int):
    """Train with Adam, recording the gradient flow; returns (flow, test accuracy, warnings)."""
    flow = GradientFlow(model)
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-3),
                      callbacks=[flow], progress=False, log=lambda line: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GradientFlowWarning)
        history = trainer.fit(DataLoader(ds.x_train, ds.y_train, batch_size=32, rng=0), epochs,
                              test_data=(ds.x_test, ds.y_test))
    flagged = [str(w.message) for w in caught if issubclass(w.category, GradientFlowWarning)]
    return flow, history[-1]["test_accuracy"], flagged


def norms(flow, epoch: int) -> dict:
    """{layer name: ‖dθ‖} of the layers with parameters at ``epoch``."""
    return {r["layer"]: r["grad_norm"] for r in flow.records
            if r["epoch"] == epoch and "grad_norm" in r}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs of training (default: 10)")
    parser.add_argument("--out", type=Path, help="folder for gradient-flow.png (needs matplotlib)")
    args = parser.parse_args(argv)
    ds = load_dataset("spirals", seed=0)

    runs = {"N(0, 0.01²) init": build(bad_init=True), "Xavier init": build(bad_init=False)}
    results = {label: train(model, ds, args.epochs) for label, model in runs.items()}
    (bad, bad_acc, bad_flags), (good, good_acc, good_flags) = results.values()

    print(f"{DEPTH}-layer tanh MLP (width {WIDTH}) on spirals, Adam lr 0.001, {args.epochs} epochs")
    print(f"gradient norm ‖dθ‖ of each Dense layer (W and b), epoch 1 and epoch {args.epochs}\n")
    print(f"{'':18s} {'N(0, 0.01²) init':>22s} {'Xavier init':>22s}")
    print(f"{'layer':18s} " + f"{'epoch 1':>11s}{f'epoch {args.epochs}':>11s}" * 2)
    modules = {r["layer"]: r["module"] for r in bad.records}
    columns = [norms(bad, 1), norms(bad, args.epochs), norms(good, 1), norms(good, args.epochs)]
    for name in columns[0]:
        cells = "".join(f"{c[name]:>11.1e}" for c in columns)
        print(f"{name + ' ' + modules[name]:18s} {cells}")
    print(f"{'test accuracy':18s} {bad_acc:>22.3f} {good_acc:>22.3f}\n")
    print(f"N(0, 0.01²) init: {len(bad_flags)} warnings, e.g. {bad_flags[0]}" if bad_flags else
          "N(0, 0.01²) init: no warnings")
    print(f"Xavier init: {len(good_flags)} warnings")

    if args.out is not None:
        if plots_available():
            args.out.mkdir(parents=True, exist_ok=True)
            plot_gradient_flow({label: flow for label, (flow, _, _) in results.items()},
                               args.out / "gradient-flow.png")
            print(f"wrote {args.out / 'gradient-flow.png'}")
        else:
            print("matplotlib is not installed: no picture (pip install 'minidl[plot]')")
    input_layer = next(iter(columns[0]))
    shown = columns[0][input_layer] < 1e-7 and not good_flags and good_acc > bad_acc
    return 0 if shown else 1


if __name__ == "__main__":
    raise SystemExit(main())
