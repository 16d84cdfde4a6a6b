"""Training pictures (needs matplotlib, the ``plot`` extra): learning curves and a confusion matrix.

Without matplotlib, ``plots_available()`` is False and the CLI says once that
plots were skipped; nothing else in minidl needs matplotlib.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write


def plots_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: works on machines without a display
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> None:
    """Save the figure atomically, in the format its suffix names."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    atomic_write(path, lambda f: fig.savefig(f, dpi=110, bbox_inches="tight", format=fmt))


def plot_curves(history: list[dict], path, metrics=("loss", "accuracy")) -> None:
    """Two metrics per epoch (loss and accuracy; a regression run passes ``("loss", "r2")``),
    train vs test (and validation when present)."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, metric in zip(axes, metrics):
        for split, style in (("train", "-o"), ("val", "-s"), ("test", "-^")):
            key = f"{split}_{metric}"
            if history and key in history[0]:
                ax.plot(epochs, [r[key] for r in history], style, ms=3, label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    for ax, metric in zip(axes, metrics):
        ax.set_title(f"{metric} per epoch")
    _save(fig, path)
    plt.close(fig)


def plot_confusion(cm: np.ndarray, class_names: list[str], path) -> None:
    """The confusion matrix as a heat map with counts (rows: true class, columns: predicted)
    and a colour bar; the counts are sized to fill their cells."""
    plt = _pyplot()
    cm = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(7, 6))
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="samples")
    ticks = range(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right")
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = cm.max() / 2
    # A cell is about 5 inches / C wide; the widest count should take most of it.
    digits = max(len(str(int(cm.max()))), 1) if cm.size else 1
    fontsize = float(np.clip(5 * 72 / len(class_names) / (0.75 * digits + 1), 6, 20))
    for i in ticks:
        for j in ticks:
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=fontsize,
                    color="white" if cm[i, j] > threshold else "black")
    ax.set_title(f"confusion matrix (accuracy {np.trace(cm) / max(cm.sum(), 1):.4f})")
    _save(fig, path)
    plt.close(fig)
