"""Vanishing gradients through time: ‖∂L/∂h_t‖ against t for the RNN, the LSTM and the GRU.

Sequential Fashion-MNIST: each image is read as T = 28 rows of 28 pixels, one row per
step (``--pieces 4`` cuts each row into 4 steps: T = 112), and the loss L is the
cross-entropy of Dense(h_T), at the last step only. How much
of its gradient reaches an earlier step t? For the tanh RNN

    ∂L/∂h_{t−1} = (∂L/∂h_t ⊙ (1 − h_t²)) Whᵀ,

a product of T − t Jacobians, which shrinks geometrically when they shrink vectors
(docs/derivations/recurrent.md §1). The LSTM's cell gradient is passed back as
∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f_t, scaled only by the forget gate; the GRU's ∂L/∂h_{t−1}
holds ∂L/∂h_t ⊙ z_t. A gate that stays near 1 passes the gradient on almost whole:
that is what the gates are for (§2, §3). At PyTorch's initialisation the gates sit near
σ(0) = 1/2, so all three start out vanishing, the RNN fastest; what training does to
each is what the table shows.

How ∂L/∂h_t is measured without changing the layers: L depends on h_t (and c_t) only
through steps t + 1 … T, so the script runs the layer step by step to get the state at
t (``final_state``), runs it again on rows t + 1 … T from that state, backpropagates, and
reads ``dstate``, the gradient of that initial state: ∂L/∂h_t. For the RNN it checks
the result against the recurrence above, computed by hand from the h_t.

Each cell is measured at its initialisation and again after ``--steps`` Adam steps. The
numbers are means over ``--measure`` test images of each image's own ‖∂ℓ/∂h_t‖.

Run:  python examples/vanishing_through_time.py [--steps 500] [--hidden 64] [--out DIR]
      (DIR/vanishing-through-time.png needs matplotlib: pip install 'minidl[plot]')
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from minidl import GRU, LSTM, RNN, Adam, Dense, SoftmaxCrossEntropy
from minidl.data import load_dataset
from minidl.optim.clip import clip_grad_norm
from minidl.viz.plots import plots_available

CELLS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
SIDE = 28   # each image is SIDE × SIDE pixels


def hidden_only(state):
    """h_t of a state: the LSTM's is (h_t, c_t)."""
    return state[0] if isinstance(state, tuple) else state


def hidden_gradients(cell, head, x, y):
    """Per-image ‖∂ℓ/∂h_t‖ for t = 0 … T, (T + 1, N), and for the LSTM ‖∂ℓ/∂c_t‖ for
    t = 0 … T − 1, (T, N) (else None); with the states h_0 … h_T and the gradients
    ∂L/∂h_0 … ∂L/∂h_T themselves, for the check.

    The loss is the batch mean, so each row of ∂L/∂h_t is ∂ℓ_n/∂h_t / N: multiplied back by N.
    """
    loss = SoftmaxCrossEntropy()
    n, t_len = x.shape[:2]
    states = [None]   # None: the layer's zero initial state
    for t in range(t_len):
        cell.forward(x[:, t:t + 1], states[-1])
        states.append(cell.final_state)
    grads, cell_grads = [], []
    for t in range(t_len):
        loss(head(cell.forward(x[:, t:], states[t])), y)   # rows t + 1 … T from the state at t
        cell.backward(head.backward(loss.backward()))
        grads.append(hidden_only(cell.dstate) * n)
        if isinstance(cell.dstate, tuple):
            cell_grads.append(cell.dstate[1] * n)
    loss(head(hidden_only(states[-1])), y)                 # t = T: straight from the head
    grads.append(head.backward(loss.backward()) * n)
    cell.zero_grad()
    head.zero_grad()
    hs = [np.zeros_like(grads[0])] + [hidden_only(s) for s in states[1:]]
    c_norms = np.array([np.linalg.norm(g, axis=1) for g in cell_grads]) if cell_grads else None
    return np.array([np.linalg.norm(g, axis=1) for g in grads]), c_norms, hs, grads


def rnn_recurrence_error(cell, hs, grads) -> float:
    """Largest relative gap between the measured ∂L/∂h_{t−1} and (∂L/∂h_t ⊙ (1 − h_t²)) Whᵀ."""
    worst = 0.0
    for t in range(len(hs) - 1, 0, -1):
        by_hand = (grads[t] * (1 - hs[t] ** 2)) @ cell.Wh.T
        worst = max(worst, float(np.abs(by_hand - grads[t - 1]).max() / np.abs(by_hand).max()))
    return worst


def as_sequences(x, pieces: int) -> np.ndarray:
    """Flat image rows (N, 784) → (N, T, D): each image row cut into ``pieces`` steps of
    D = 28 / pieces pixels, T = 28 · pieces (row-major, so a reshape)."""
    return x.reshape(len(x), SIDE * pieces, SIDE // pieces)


def train(cell, head, ds, *, pieces: int, steps: int, batch_size: int, lr: float, rng) -> None:
    """Adam on random training batches; the global gradient norm is clipped at 1 (the RNN's
    gradients can also explode)."""
    loss = SoftmaxCrossEntropy()
    params = cell.parameters() + head.parameters()
    opt = Adam(params, lr=lr)
    for _ in range(steps):
        rows = rng.integers(0, len(ds.x_train), batch_size)
        x = as_sequences(ds.x_train[rows], pieces)
        loss(head(cell(x)), ds.y_train[rows])
        cell.zero_grad()
        head.zero_grad()
        cell.backward(head.backward(loss.backward()))
        clip_grad_norm(params, 1.0)
        opt.step()


def accuracy(cell, head, x, y) -> float:
    return float((head(cell(x)).argmax(axis=1) == y).mean())


def print_table(curves: dict, steps: int, t_len: int) -> None:
    """‖∂ℓ/∂h_t‖ per cell (and the LSTM's ‖∂ℓ/∂c_t‖), at init and trained, every other step,
    then the t = 0 / t = T ratios (t = T − 1 for c, which the head does not reach directly)."""
    names = ["RNN", "LSTM", "LSTM c", "GRU"]
    stages = [(n, stage) for stage in ("init", "trained") for n in names]
    print(f"\nmean ‖∂ℓ/∂h_t‖ (and the LSTM's ‖∂ℓ/∂c_t‖), loss at the last step, T = {t_len}")
    print("|  t | " + " | ".join(f"{n} {stage}" for n, stage in stages) + " |")
    print("|---:|" + "---:|" * len(stages))
    for t in range(t_len, -1, -max(2, t_len // 14)):
        cells = [f"{curves[k][t]:.1e}" if t < len(curves[k]) else "—" for k in stages]
        print(f"| {t:2d} | " + " | ".join(cells) + " |")
    ratios = [curves[k][0] / curves[k][-1] for k in stages]
    print("| t=0 / last | " + " | ".join(f"{r:.1e}" for r in ratios) + " |")
    print(f"(trained = after {steps} Adam steps; the LSTM's c_t gradient is measured for t < T)")


def plot(curves: dict, steps: int, t_len: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")   # files only: works without a display
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))   # own y ranges: the trained curves differ less
    titles = ("at initialisation", f"after {steps} Adam steps")
    for ax, stage, title in zip(axes, ("init", "trained"), titles):
        for name in ("RNN", "LSTM", "LSTM c", "GRU"):
            curve = curves[(name, stage)]
            label = "LSTM ‖∂ℓ/∂c_t‖" if name == "LSTM c" else name
            ax.semilogy(range(len(curve)), curve, marker="o", markersize=3, label=label,
                        linestyle="--" if name == "LSTM c" else "-")
        ax.set_title(f"‖∂ℓ/∂h_t‖ {title}")
        ax.set_xlabel(f"step t (the loss is at t = {t_len})")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("mean per-image gradient norm")
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=500, help="Adam steps of training per cell")
    p.add_argument("--hidden", type=int, default=64, help="H, each cell's hidden size")
    p.add_argument("--batch-size", type=int, default=64, help="images per training step")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    p.add_argument("--measure", type=int, default=500, help="test images the gradients are averaged over")
    p.add_argument("--limit-train", type=int, default=None, help="load only this many training images")
    p.add_argument("--pieces", type=int, default=1, choices=(1, 2, 4, 7),
                   help="steps per image row: T = 28 · pieces steps of 28 / pieces pixels")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the batches")
    p.add_argument("--out", type=Path, help="folder for vanishing-through-time.png (needs matplotlib)")
    args = p.parse_args(argv)
    ds = load_dataset("fashion-mnist", limit_train=args.limit_train)
    x_test = as_sequences(ds.x_test, args.pieces).astype(np.float64)
    t_len = x_test.shape[1]
    x_m, y_m = x_test[:args.measure], ds.y_test[:args.measure]
    curves, gaps = {}, []
    print(f"sequential Fashion-MNIST, H = {args.hidden}, float64; accuracy on the {args.measure} "
          f"measured test images")
    for name, cls in CELLS.items():
        rng = np.random.default_rng(args.seed)
        cell = cls(x_test.shape[2], args.hidden, return_sequences=False, rng=rng, dtype="float64")
        head = Dense(args.hidden, 10, rng=rng, dtype="float64")
        for stage in ("init", "trained"):
            if stage == "trained":
                train(cell, head, ds, pieces=args.pieces, steps=args.steps, batch_size=args.batch_size,
                      lr=args.lr, rng=rng)
            norms, c_norms, hs, grads = hidden_gradients(cell, head, x_m, y_m)
            curves[(name, stage)] = norms.mean(axis=1)
            if c_norms is not None:
                curves[("LSTM c", stage)] = c_norms.mean(axis=1)
            if name == "RNN":
                gaps.append(rnn_recurrence_error(cell, hs, grads))
            print(f"  {name:4s} {stage:7s}: accuracy {accuracy(cell, head, x_m, y_m):.3f}")
    print_table(curves, args.steps, t_len)
    check = max(gaps)
    print(f"\nRNN: measured ∂L/∂h_t against the recurrence (∂L/∂h_t ⊙ (1 − h_t²)) Whᵀ: "
          f"largest relative gap {check:.1e}")
    if args.out is not None:
        if plots_available():
            plot(curves, args.steps, t_len, args.out / "vanishing-through-time.png")
            print(f"wrote {args.out / 'vanishing-through-time.png'}")
        else:
            print("matplotlib is not installed: the table only, no picture (pip install 'minidl[plot]')")
    return 0 if check < 1e-10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
