"""Export of the sequence layers (Embedding, RNN, LSTM, GRU, Dense on (N, T, H)) and of
``minidl.nn.models.lstm`` / ``gru`` / ``rnn``: ONNX Runtime and PyTorch reproduce minidl's
outputs, the PyTorch round trip its weights; ``minidl export`` on a trained LSTM run."""

from __future__ import annotations

import numpy as np
import pytest
from export_helpers import check_export_command, check_torch_round_trip, run_onnx, train_briefly
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import Sequential
from minidl.export import ExportError, from_torch, to_onnx
from minidl.export.torch_ops_recurrent import torch_classes
from minidl.nn import models
from minidl.nn.layers import GRU, LSTM, RNN, Dense, Embedding, Normalize, Tanh

D, HID, V = 3, 4, 6
CELLS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}


def cell(name, dtype, return_sequences):
    return CELLS[name](D, HID, return_sequences=return_sequences, rng=1, dtype=dtype)


# One model per mapped layer type and setting, each taking (N, T, D) sequences.
LAYER_MODELS = {f"{name}-{'sequence' if seq else 'last'}": lambda dt, name=name, seq=seq: cell(name, dt, seq)
                for name in CELLS for seq in (True, False)}
LAYER_MODELS["Dense-over-time"] = lambda dt: Sequential(LSTM(D, HID, rng=2, dtype=dt), Tanh(),
                                                        Dense(HID, 2, rng=3, dtype=dt))


def language_model(dtype):
    """Embedding → GRU (every step) → Dense per step: (N, T) ids → (N, T, V) logits."""
    return Sequential(Embedding(V, D, rng=0, dtype=dtype), GRU(D, HID, rng=1, dtype=dtype),
                      Dense(HID, V, rng=2, dtype=dtype))


def sequences(dtype, n, t):
    return np.random.default_rng(10 * n + t).standard_normal((n, t, D)).astype(dtype)


def ids(n, t):
    return np.random.default_rng(n + t).integers(0, V, (n, t))


def sequence_classifier(name, dtype):
    """models.lstm / gru / rnn (smaller) behind the input normalisation, as `minidl train` saves them."""
    model = getattr(models, name)(steps=5, features=D, hidden=HID, num_classes=3, rng=0, dtype=dtype)
    return Sequential(Normalize.fitted(np.full(5 * D, 100.0), np.full(5 * D, 50.0), dtype=dtype), *model)


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_onnx_runtime_matches_each_layer(tmp_path, name):
    onnx = pytest.importorskip("onnx")
    model = LAYER_MODELS[name]("float32").eval()
    path = to_onnx(model, tmp_path / "model.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    for n, t in [(1, 1), (3, 5), (2, 8)]:  # batch and time are dynamic; T = 1 included
        x = sequences("float32", n, t)
        np.testing.assert_allclose(run_onnx(path, x), model(x), rtol=1e-5, atol=1e-6)


@settings(max_examples=8)
@given(mode=st.sampled_from(sorted(CELLS)), return_sequences=st.booleans(), n=st.integers(1, 3),
       t=st.integers(1, 6), d=st.integers(1, 4), hidden=st.integers(1, 4), seed=st.integers(0, 99))
def test_onnx_and_torch_match_drawn_recurrent_layers(tmp_path_factory, mode, return_sequences, n, t, d,
                                                     hidden, seed):
    """Any (N, T, D, H), T = 1 included, either output: ONNX Runtime (float32) and the PyTorch
    round trip (float64) give minidl's outputs."""
    pytest.importorskip("onnx")

    def layer(dt):
        return CELLS[mode](d, hidden, return_sequences=return_sequences, rng=seed, dtype=dt)

    x = np.random.default_rng(seed).standard_normal((n, t, d))
    path = to_onnx(layer("float32"), tmp_path_factory.mktemp("drawn") / "m.onnx")
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(run_onnx(path, x32), layer("float32")(x32), rtol=1e-5, atol=1e-6)
    check_torch_round_trip(layer("float64").eval(), [x])


def test_onnx_runtime_matches_a_language_model_on_int64_ids(tmp_path):
    onnx = pytest.importorskip("onnx")
    model = language_model("float32").eval()
    path = to_onnx(model, tmp_path / "lm.onnx")
    graph = onnx.load(str(path)).graph
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    assert [node.op_type for node in graph.node][:3] == ["Gather", "Transpose", "GRU"]
    for n, t in [(1, 3), (4, 7)]:
        np.testing.assert_allclose(run_onnx(path, ids(n, t)), model(ids(n, t)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn"])
def test_onnx_runtime_matches_the_sequence_classifiers(tmp_path, name):
    pytest.importorskip("onnx")
    model = sequence_classifier(name, "float32").eval()
    path = to_onnx(model, tmp_path / f"{name}.onnx")
    x = np.random.default_rng(0).uniform(0, 255, (4, 5 * D)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(path, x), model(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_torch_round_trip_of_each_layer(name):
    model = LAYER_MODELS[name]("float64").eval()
    check_torch_round_trip(model, [sequences("float64", 1, 1), sequences("float64", 3, 6)])


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn"])
def test_torch_round_trip_of_the_sequence_classifiers(name):
    torch = pytest.importorskip("torch")
    model = sequence_classifier(name, "float64").eval()
    net = check_torch_round_trip(model, [np.random.default_rng(1).uniform(0, 255, (3, 5 * D))])
    assert type(net[2].cell) is getattr(torch.nn, name.upper())


def test_torch_round_trip_of_a_language_model():
    check_torch_round_trip(language_model("float64").eval(), [ids(3, 5), ids(2, 4)])


@pytest.mark.parametrize("mode", ["RNN", "LSTM"])
def test_torch_cells_with_two_biases_come_in_as_their_sum(mode):
    """torch.nn.RNN and LSTM add b_ih and b_hh; minidl keeps their sum b. A module built in
    torch (torch's own init: both biases drawn) computes the same here."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch_classes(torch)["Recurrent"](mode, D, HID, return_sequences=False, dtype=torch.float64).eval()
    layer = from_torch(net)
    x = sequences("float64", 2, 4)
    with torch.no_grad():
        np.testing.assert_allclose(layer(x), net(torch.from_numpy(x)).numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.b, (net.cell.bias_ih_l0 + net.cell.bias_hh_l0).numpy(), rtol=1e-15)


@pytest.mark.parametrize("setting, kwargs", [("num_layers", {"num_layers": 2}),
                                             ("bidirectional", {"bidirectional": True}),
                                             ("bias", {"bias": False})])
def test_from_torch_refuses_cells_minidl_does_not_compute(setting, kwargs):
    torch = pytest.importorskip("torch")
    net = torch_classes(torch)["Recurrent"]("GRU", D, HID)
    net.cell = torch.nn.GRU(D, HID, batch_first=True, **kwargs)
    with pytest.raises(ExportError, match=rf"from_torch: cannot convert Recurrent.*{setting}"):
        from_torch(net)


def test_from_torch_refuses_a_renormalising_embedding():
    torch = pytest.importorskip("torch")
    with pytest.raises(ExportError, match="max_norm"):
        from_torch(torch.nn.Embedding(V, D, max_norm=1.0))


def test_onnx_input_shape_is_read_off_the_first_recurrent_layer(tmp_path):
    onnx = pytest.importorskip("onnx")
    graph = onnx.load(str(to_onnx(cell("LSTM", "float32", True), tmp_path / "m.onnx"))).graph
    dims = graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", "time", D]


def test_export_command_on_a_trained_lstm(tmp_path, capsys):
    check_export_command(train_briefly(tmp_path / "run", "lstm"), tmp_path, capsys, LSTM)
