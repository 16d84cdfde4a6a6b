"""ONNX export: every mapped layer and the default MLP pass onnx.checker and ONNX Runtime
reproduces minidl's evaluation-mode outputs; bad input gives clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.export import ExportError, to_onnx
from minidl.nn.layers import BatchNorm1d, Dense, Dropout, Normalize, ReLU, Sigmoid, Tanh

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

WIDTH = 5


def trained_batchnorm(dtype, affine=True):
    bn = BatchNorm1d(WIDTH, affine=affine, dtype=dtype)
    rng = np.random.default_rng(1)
    if affine:
        bn.gamma = rng.uniform(0.5, 2, WIDTH)
        bn.beta = rng.standard_normal(WIDTH)
    bn(rng.standard_normal((16, WIDTH)) * 3 + 1)  # moves the running statistics off 0 and 1
    return bn


# One model per mapped layer type (Dense first where the layer states no input width).
LAYER_MODELS = {
    "Dense": lambda dt: Dense(WIDTH, 3, rng=0, dtype=dt),
    "ReLU": lambda dt: minidl.Sequential(Dense(WIDTH, 4, rng=0, dtype=dt), ReLU()),
    "Tanh": lambda dt: minidl.Sequential(Dense(WIDTH, 4, rng=0, dtype=dt), Tanh()),
    "Sigmoid": lambda dt: minidl.Sequential(Dense(WIDTH, 4, rng=0, dtype=dt), Sigmoid()),
    "Dropout": lambda dt: minidl.Sequential(Dense(WIDTH, 4, rng=0, dtype=dt), Dropout(0.5, rng=0)),
    "BatchNorm1d": lambda dt: trained_batchnorm(dt),
    "BatchNorm1d-no-affine": lambda dt: trained_batchnorm(dt, affine=False),
    "Normalize": lambda dt: Normalize.fitted(np.arange(WIDTH), np.arange(1, WIDTH + 1), dtype=dt),
    "Sequential": lambda dt: minidl.Sequential(
        Normalize.fitted(np.linspace(-1, 1, WIDTH), np.full(WIDTH, 2.0), dtype=dt),
        *minidl.mlp([WIDTH, 8, 6, 3], rng=0, dtype=dt, batchnorm=True, dropout=0.2)),
}


def onnx_outputs(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_onnx_runtime_matches_minidl(tmp_path, name, dtype):
    model = LAYER_MODELS[name](dtype)
    model.train()  # export is the evaluation form whatever mode the model is in
    path = to_onnx(model, tmp_path / "model.onnx")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version >= 17
    model.eval()
    rng = np.random.default_rng(2)
    for batch in (1, 3, 17):  # the batch axis is dynamic
        x = rng.standard_normal((batch, WIDTH)).astype(dtype) * 2
        got = onnx_outputs(path, x)
        assert got.dtype == np.dtype(dtype)
        rtol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(got, model(x), rtol=rtol, atol=rtol)


def test_graph_names_dynamic_batch_and_initializers(tmp_path):
    model = minidl.mlp([WIDTH, 4, 2], rng=0, batchnorm=True)
    proto = onnx.load(str(to_onnx(model, tmp_path / "m.onnx")))
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert (inp.name, out.name) == ("input", "output")
    assert inp.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]] == [WIDTH]
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    stored = {init.name: onnx.numpy_helper.to_array(init) for init in proto.graph.initializer}
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(stored[name], array)


def test_classes_travel_as_metadata(tmp_path):
    model = minidl.mlp([WIDTH, 2], rng=0)
    model.classes = ["cat", "dog"]
    proto = onnx.load(str(to_onnx(model, tmp_path / "m.onnx")))
    assert {p.key: p.value for p in proto.metadata_props}["classes"] == "cat,dog"


def test_unmapped_layer_is_named(tmp_path):
    @minidl.register_module
    class ExportTestSquare(minidl.Module):
        def forward(self, x):
            self.cache = x
            return x * x

        def backward(self, dout):
            """Y = X²  ⇒  dX = 2 X ⊙ dY."""
            return 2 * self.cached() * dout

    model = minidl.Sequential(Dense(WIDTH, 3, rng=0), ExportTestSquare())
    with pytest.raises(ExportError, match="ExportTestSquare"):
        to_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_subclass_overriding_forward_is_refused(tmp_path):
    class Doubled(ReLU):
        def forward(self, x):
            return 2 * super().forward(x)

    with pytest.raises(ExportError, match="Doubled overrides ReLU.forward"):
        to_onnx(minidl.Sequential(Dense(WIDTH, 3, rng=0), Doubled()), tmp_path / "m.onnx")


def test_no_input_width_needs_input_shape(tmp_path):
    with pytest.raises(ExportError, match="input width"):
        to_onnx(minidl.Sequential(ReLU(), Tanh()), tmp_path / "m.onnx")
    path = to_onnx(minidl.Sequential(ReLU(), Tanh()), tmp_path / "m.onnx", input_shape=(4,))
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(onnx_outputs(path, x), np.tanh(np.maximum(x, 0)), rtol=1e-6)


def test_unwritable_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(ExportError, match="cannot write"):
        to_onnx(minidl.mlp([WIDTH, 2], rng=0), blocker / "model.onnx")


def test_old_opset_is_refused(tmp_path):
    with pytest.raises(ExportError, match="opset"):
        to_onnx(minidl.mlp([WIDTH, 2], rng=0), tmp_path / "m.onnx", opset=13)
