"""Gradient-flow diagnostics (minidl.training.diagnostics) and the trainer's per-step hooks."""

import doctest
import importlib.util
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from minidl import SGD, Dense, ReLU, Sequential, SoftmaxCrossEntropy, Tanh
from minidl.data import DataLoader
from minidl.nn.models import mlp
from minidl.training import (
    GradientFlow,
    GradientFlowWarning,
    MixedPrecision,
    Trainer,
    attach_diagnostics,
    diagnostics,
)

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def _fit(model, *, epochs=1, batch_size=64, lr=0.1, flow=None, optimizer=None,
         mixed_precision=None):
    """Train ``model`` on 64 points (plain SGD by default) with a GradientFlow; returns the flow."""
    flow = flow or GradientFlow(model, every=None)
    optimizer = optimizer or SGD(model.parameters(), lr=lr)
    x, y = _data()
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, callbacks=[flow], progress=False,
                      log=lambda line: None, mixed_precision=mixed_precision)
    trainer.fit(DataLoader(x, y, batch_size, shuffle=False), epochs)
    return flow


def _vanishing_net():
    """Six Dense layers (tanh between) with weights 1000× too small: each shrinks the gradient."""
    model = mlp([2, 16, 16, 16, 16, 16, 2], "tanh", rng=0, init="xavier")
    for layer in model:
        if isinstance(layer, Dense):
            layer.W = layer.W * 1e-3
    return model


def _records(flow, layer):
    return [r for r in flow.records if r["layer"] == layer]


# ----------------------------------------------------------------- the trainer's hooks
def test_trainer_calls_step_hooks_around_each_step_with_the_gradients_in_place():
    events = []

    class Spy:
        def on_step_begin(self, trainer, step):
            events.append(("begin", step))

        def on_step_end(self, trainer, step):
            events.append(("end", step, float(np.abs(trainer.model[0].dW).sum()) > 0))

        def on_epoch_end(self, trainer, record):
            events.append(("epoch", record["epoch"]))

    model = mlp([2, 4, 2], rng=0)
    x, y = _data()
    Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1), callbacks=[Spy()],
            progress=False, log=lambda line: None).fit(DataLoader(x, y, 32, shuffle=False), 1)
    assert events == [("begin", 1), ("end", 1, True), ("begin", 2), ("end", 2, True), ("epoch", 1)]


# ------------------------------------------------------------------------ the warnings
def test_a_planted_vanishing_network_is_flagged_naming_the_layer():
    with pytest.warns(GradientFlowWarning) as caught:
        flow = _fit(_vanishing_net())
    messages = [str(w.message) for w in caught]
    assert any(re.fullmatch(r"layer 0 Dense\(2 → 16\): gradient norm \S+ < 1e-07 \(vanishing\)", m)
               for m in messages)
    first = _records(flow, "0")[0]
    assert first["flag"] == "vanishing" and first["grad_norm"] < 1e-7
    assert "flag" not in _records(flow, "10")[0]          # the output layer's gradient is fine
    assert any("layer 0 Dense(2 → 16)" in message for message in flow.warnings)


def test_a_healthy_network_stays_quiet():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flow = _fit(mlp([2, 16, 16, 2], "tanh", rng=0), epochs=2)
    assert not [w for w in caught if issubclass(w.category, GradientFlowWarning)]
    assert flow.warnings == [] and all("flag" not in r for r in flow.records)


def test_an_exploding_gradient_is_flagged_once_per_layer():
    model = Sequential(Dense(2, 8, rng=0), Dense(8, 2, rng=1))
    model[0].W = model[0].W * 1e5          # the second layer's input, and so its dW, is huge
    exploding = r"^layer 1 Dense\(8 → 2\): gradient norm \S+ > 1e\+03 \(exploding\)$"
    with pytest.warns(GradientFlowWarning, match=exploding):
        flow = _fit(model, epochs=2, lr=1e-9)
    assert [r.get("flag") for r in _records(flow, "1")] == ["exploding", "exploding"]
    assert len(flow.warnings) == 1                       # two epochs flagged, one warning


# ------------------------------------------------------------------- what is measured
def test_dead_relu_fraction_of_all_negative_pre_activations_is_one():
    model = Sequential(Dense(2, 4, rng=0), ReLU(), Dense(4, 2, rng=1))
    model[0].W, model[0].b = np.zeros((2, 4)), -np.ones(4)   # Z = −1 for every sample and unit
    with pytest.warns(GradientFlowWarning, match="layer 0 Dense"):  # no gradient gets past the ReLU
        flow = _fit(model)
    (relu,) = _records(flow, "1")
    assert relu["dead_fraction"] == 1.0
    assert relu["activation_mean"] == 0.0 and relu["activation_std"] == 0.0


def test_dead_relu_fraction_counts_units_inactive_on_every_sample():
    out = ReLU()(np.array([[-1.0, 2.0, 0.0], [-3.0, -1.0, 0.0]]))  # unit 1 fires once; 0, 2 never
    assert diagnostics.activation_stats(ReLU(), out)["dead_fraction"] == pytest.approx(2 / 3)
    assert "dead_fraction" not in diagnostics.activation_stats(Tanh(), out)


def test_activation_stats_docstring_example_runs():
    globs = vars(diagnostics).copy()
    tests = doctest.DocTestFinder().find(diagnostics.activation_stats, globs=globs)
    runner = doctest.DocTestRunner()
    for test in tests:
        runner.run(test)
    assert runner.tries == 1 and runner.failures == 0


def test_norms_and_ratios_match_their_definitions():
    model = Sequential(Dense(2, 8, rng=0, dtype="float64"), Tanh(),
                       Dense(8, 2, rng=1, dtype="float64"))
    before = [p.data.copy() for p in model[0].parameters()]
    flow = _fit(model, lr=0.5)              # one batch: its step is the one sampled
    (dense,) = _records(flow, "0")
    grad = np.sqrt(sum((p.grad ** 2).sum() for p in model[0].parameters()))  # still the step's
    weight = np.sqrt(sum((w ** 2).sum() for w in before))
    assert dense["grad_norm"] == pytest.approx(grad, rel=1e-12)
    assert dense["grad_weight_ratio"] == pytest.approx(grad / weight, rel=1e-12)
    assert dense["update_ratio"] == pytest.approx(0.5 * grad / weight, rel=1e-9)  # SGD: Δθ = −lr·dθ
    (tanh,) = _records(flow, "1")
    assert set(tanh) == {"epoch", "layer", "module", "samples", "activation_mean", "activation_std"}


def test_sampling_takes_each_epochs_first_step_and_every_kth_and_unwraps_the_layers():
    model = mlp([2, 8, 2], rng=0)
    flow = _fit(model, epochs=2, batch_size=16, flow=GradientFlow(model, every=2))  # 4 steps/epoch
    assert [r["samples"] for r in _records(flow, "0")] == [3, 3]   # steps 1, 2, 4 | 5, 6, 8
    assert all("forward" not in m.__dict__ for m in model.layers)


def test_checkpointed_and_plain_models_report_the_same_flow():
    flows = []
    for segments in (None, 2):
        model = mlp([2, 8, 8, 8, 2], rng=0, dropout=0.2)
        flows.append(_fit(Sequential(*model.layers, recompute_segments=segments)))
    assert flows[0].records == flows[1].records     # recomputing a segment changes nothing


def test_float16_training_reports_the_unscaled_gradients():
    norms = {}
    for dtype in ("float32", "float16"):
        model = mlp([2, 16, 2], rng=0, dtype=dtype)
        mp = MixedPrecision(model) if dtype == "float16" else None
        params = mp.master_parameters() if mp else model.parameters()
        flow = _fit(model, optimizer=SGD(params, lr=0.1), mixed_precision=mp)
        norms[dtype] = _records(flow, "0")[0]["grad_norm"]
    assert norms["float16"] == pytest.approx(norms["float32"], rel=0.02)   # not 2¹⁵ times larger


def test_bad_options_are_rejected():
    with pytest.raises(ValueError, match="every"):
        GradientFlow(mlp([2, 2]), every=0)
    with pytest.raises(ValueError, match="vanishing < exploding"):
        GradientFlow(mlp([2, 2]), vanishing=1.0, exploding=0.5)


# ------------------------------------------------------------------------------ files
def test_write_produces_json_with_per_layer_per_epoch_records(tmp_path):
    model = mlp([2, 8, 2], rng=0)
    x, y = _data()
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                      progress=False, log=lambda line: None)
    flow = attach_diagnostics(trainer, out_dir=tmp_path, every=None)
    assert trainer.callbacks == [flow]
    trainer.fit(DataLoader(x, y, 32, shuffle=False), 2)
    data = json.loads((tmp_path / "diagnostics.json").read_text(encoding="utf-8"))
    assert set(data) == {"thresholds", "every", "records", "warnings"}
    assert data["thresholds"] == {"vanishing": 1e-7, "exploding": 1e3}
    assert [(r["epoch"], r["layer"]) for r in data["records"]] == [(1, "0"), (1, "1"), (1, "2"),
                                                                 (2, "0"), (2, "1"), (2, "2")]
    dense, relu = data["records"][0], data["records"][1]
    assert dense["module"] == "Dense(2 → 8)"
    assert {"grad_norm", "grad_weight_ratio", "update_ratio", "activation_mean",
            "activation_std"} <= set(dense)
    assert "dead_fraction" in relu and "grad_norm" not in relu
    assert not (tmp_path / "gradient-flow.png").exists()     # drawn by write(), once, at the end
    assert flow.write(tmp_path)[1:] == ([tmp_path / "gradient-flow.png"] if HAVE_MATPLOTLIB else [])
    assert "0 Dense(2 → 8)" in flow.table() and "epoch 2" in flow.table()


def test_without_matplotlib_the_picture_is_skipped_quietly(tmp_path, monkeypatch):
    monkeypatch.setattr(diagnostics, "plots_available", lambda: False)
    flow = _fit(mlp([2, 4, 2], rng=0))
    assert flow.write(tmp_path) == [tmp_path / "diagnostics.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnostics.json"]


@pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib is not installed")
def test_the_picture_is_a_png(tmp_path):
    flow = _fit(mlp([2, 4, 2], rng=0))
    paths = flow.write(tmp_path)
    assert paths[-1].read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------------------- example
def test_vanishing_gradients_example_shows_the_input_layer_starving(capsys):
    path = EXAMPLES / "vanishing_gradients.py"
    spec = importlib.util.spec_from_file_location("vanishing_gradients", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "layer 0 Dense(2 → 64): gradient norm" in out and "Xavier init: 0 warnings" in out
