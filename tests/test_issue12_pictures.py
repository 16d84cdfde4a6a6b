"""Issue 12, point 10: gradient-flow.png and confusion.png say what they show."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from minidl import SGD, Dense, Sequential, SoftmaxCrossEntropy, Tanh  # noqa: E402
from minidl.data import DataLoader  # noqa: E402
from minidl.training import GradientFlow, Trainer, diagnostics, plot_gradient_flow  # noqa: E402
from minidl.viz import plots  # noqa: E402


@pytest.fixture
def figures(monkeypatch):
    """The figures the plotting functions save, kept open for inspection."""
    kept = []
    for module in (plots, diagnostics):
        monkeypatch.setattr(module, "_save", lambda fig, path: kept.append(fig))
    monkeypatch.setattr(diagnostics._pyplot(), "close", lambda fig: None)
    return kept


def _flow(epochs):
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    model = Sequential(*[layer for i in range(4) for layer in (Dense(3, 3, rng=i), Tanh())],
                       Dense(3, 2, rng=9))
    flow = GradientFlow(model, every=None)
    Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1), callbacks=[flow],
            progress=False).fit(DataLoader(x, y, batch_size=8, rng=0), epochs=epochs)
    return flow


def test_gradient_flow_names_every_layer_and_explains_its_lines(figures):
    plot_gradient_flow({"": _flow(3)}, "unused.png")
    over_time, by_depth = figures[0].axes
    legend = [t.get_text() for t in over_time.get_legend().get_texts()]
    assert legend == ["0 Dense(3 → 3)", "2 Dense(3 → 3)", "4 Dense(3 → 3)", "6 Dense(3 → 3)",
                      "8 Dense(3 → 2)"]
    assert [t.get_text() for t in by_depth.get_xticklabels()][0] == "0 Dense(3 → 3)"
    notes = {t.get_text() for t in over_time.texts}
    assert {"vanishing below 1e-07", "exploding above 1000"} <= notes
    ticks = [t for t in over_time.get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_gradient_flow_over_many_epochs_has_an_epoch_colour_bar(figures):
    plot_gradient_flow({"": _flow(12)}, "unused.png")
    labels = [ax.get_ylabel() for ax in figures[0].axes]
    assert "epoch" in labels and len(figures[0].axes) == 3
    assert figures[0].axes[1].get_legend() is None


def test_confusion_has_a_colour_bar_and_counts_sized_to_their_cells(figures):
    plots.plot_confusion(np.array([[48, 2], [1, 49]]), ["a", "b"], "unused.png")
    fig = figures[0]
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "samples"
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 12
