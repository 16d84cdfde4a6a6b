"""Export of the transformer layers (Rescale, LayerNorm, GELU, Softmax, Residual,
MultiHeadAttention): ONNX Runtime and PyTorch reproduce minidl's outputs on (N, T, E) inputs."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import Sequential
from minidl.export import from_torch, to_onnx, to_torch
from minidl.export.onnx_ops import ONNX_OPS
from minidl.export.torch_ops import FROM_TORCH, TO_TORCH
from minidl.nn.layers import GELU, Dense, LayerNorm, MultiHeadAttention, Normalize, Rescale, Softmax
from minidl.nn.residual import Residual

E = 8


def block(dtype, causal, gelu="tanh"):
    """A pre-norm transformer block and a softmax head on (N, T, E) tokens."""
    rng = np.random.default_rng(0)
    norm = LayerNorm(E, eps=1e-6, dtype=dtype)
    norm.gamma, norm.beta = rng.uniform(0.5, 1.5, E), rng.standard_normal(E) * 0.1
    return Sequential(
        Residual(Sequential(norm, MultiHeadAttention(E, 2, causal=causal, rng=1, dtype=dtype))),
        Residual(Sequential(LayerNorm(E, dtype=dtype), GELU(gelu, dtype=dtype))),
        Softmax(dtype=dtype))


def regression_head(dtype):
    return Sequential(Dense(E, 2, rng=2, dtype=dtype), Rescale.fitted([3.0, 0.5], [10.0, -1.0], dtype=dtype))


def tokens(dtype, n, t):
    return np.random.default_rng(n * 10 + t).standard_normal((n, t, E)).astype(dtype)


@pytest.mark.parametrize("dtype, gelu", [("float32", "none"), ("float32", "tanh"), ("float64", "tanh")])
@pytest.mark.parametrize("causal", [False, True])
def test_onnx_runtime_matches_a_transformer_block(tmp_path, dtype, gelu, causal):
    # (ONNX Runtime's CPU provider has no float64 Erf kernel, so the erf GELU runs in float32 here.)
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = block(dtype, causal, gelu)
    path = to_onnx(model, tmp_path / "block.onnx", input_shape=(None, E))
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    tol = 1e-5 if dtype == "float32" else 1e-11
    for n, t in ((1, 1), (3, 5), (2, 9)):  # batch and sequence length are both dynamic
        x = tokens(dtype, n, t)
        np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=tol, atol=tol)


def test_onnx_runtime_matches_rescale(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = regression_head("float64")
    path = to_onnx(model, tmp_path / "r.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((4, E))
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-12)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("gelu", ["none", "tanh"])
def test_torch_round_trip_of_a_transformer_block(causal, gelu):
    torch = pytest.importorskip("torch")
    model = block("float64", causal, gelu)
    net = to_torch(model)
    back = from_torch(net)
    for n, t in ((1, 1), (3, 6)):
        x = tokens("float64", n, t)
        with torch.no_grad():
            np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model(x), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(back(x), model(x), rtol=1e-10, atol=1e-12)
    for (name, a), (name_back, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert name == name_back
        np.testing.assert_array_equal(a, b)


def test_torch_round_trip_of_rescale():
    torch = pytest.importorskip("torch")
    model = regression_head("float64")
    net = to_torch(model)
    x = np.random.default_rng(1).standard_normal((3, E))
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model(x), rtol=1e-10)
    np.testing.assert_allclose(from_torch(net)(x), model(x), rtol=1e-10)


def test_every_mapped_layer_type_is_exercised_by_the_export_tests():
    """The models of these tests and of test_export_onnx / test_export_torch / test_export_conv /
    test_export_recurrent hold every type the tables map, so a new mapping comes with a model
    that exercises it."""
    from test_export_conv import LAYER_MODELS as CONV_MODELS
    from test_export_conv import small_cnn
    from test_export_recurrent import LAYER_MODELS as RECURRENT_MODELS
    from test_export_recurrent import language_model

    from minidl.nn.models import vit
    from minidl.nn.tokenwise import Tokenwise

    core = Sequential(Normalize(E), *minidl.mlp([E, 4, 4, 2], "tanh", batchnorm=True, dropout=0.1),
                      minidl.ReLU(), minidl.Sigmoid())
    models = [core, regression_head("float32"), block("float32", True), vit(rng=0), Tokenwise(Dense(E, 2)),
              small_cnn("float32"), language_model("float32"),
              *(make("float32") for make in [*CONV_MODELS.values(), *RECURRENT_MODELS.values()])]
    used = {type(m) for model in models for _, m in model.named_modules()}
    assert set(ONNX_OPS) <= used
    assert set(TO_TORCH) <= used
    assert set(FROM_TORCH) == {"Sequential", "Linear", "ReLU", "Tanh", "Sigmoid", "Dropout", "BatchNorm1d",
                               "Normalize", "Rescale", "LayerNorm", "GELU", "Softmax", "Residual",
                               "SelfAttention", "PatchEmbedding", "PositionalEmbedding", "MeanOverTokens",
                               "Tokenwise", "Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten",
                               "Reshape", "BatchNorm2d", "Embedding", "Recurrent"}
