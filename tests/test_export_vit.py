"""Export of the vision transformer (``minidl.nn.models.vit``, with the input normalisation in
front as ``minidl train --model vit`` saves it): ONNX Runtime and PyTorch give minidl's outputs."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import Dense, ReLU, Residual, Sequential
from minidl.export import ExportError, from_torch, to_onnx, to_torch
from minidl.nn.layers import MultiHeadAttention, Normalize
from minidl.nn.models import vit
from minidl.nn.tokenwise import Tokenwise

WIDTH = 2 * 8 * 8  # two 8×8 channels


def small_vit(dtype):
    model = vit(image_size=8, patch_size=4, num_classes=3, embed_dim=8, depth=2, num_heads=2, mlp_dim=16,
                in_channels=2, rng=0, dtype=dtype)
    norm = Normalize.fitted(np.full(WIDTH, 100.0), np.full(WIDTH, 50.0), dtype=dtype)
    return Sequential(norm, *model.layers).eval()


def raw_rows(dtype, n):
    return np.random.default_rng(n).uniform(0, 255, (n, WIDTH)).astype(dtype)


def test_onnx_runtime_matches_the_vit(tmp_path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = small_vit("float32")
    path = to_onnx(model, tmp_path / "vit.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for n in (1, 4, 9):
        x = raw_rows("float32", n)
        np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-5, atol=1e-5)


def test_onnx_opset_18_reads_reduce_axes_from_an_input(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = small_vit("float32")
    session = ort.InferenceSession(str(to_onnx(model, tmp_path / "vit.onnx", opset=18)),
                                   providers=["CPUExecutionProvider"])
    x = raw_rows("float32", 3)
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x), rtol=1e-5, atol=1e-5)


def test_torch_round_trip_of_the_vit():
    torch = pytest.importorskip("torch")
    model = small_vit("float64")
    net = to_torch(model)
    back = from_torch(net)
    for n in (1, 5):
        x = raw_rows("float64", n)
        with torch.no_grad():
            np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), model(x), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(back(x), model(x), rtol=1e-10, atol=1e-12)
    for (name, a), (name_back, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert name == name_back
        np.testing.assert_array_equal(a, b)


def test_the_vit_mlp_is_plain_dense_layers_exported_as_matmul_add(tmp_path):
    onnx = pytest.importorskip("onnx")
    model = small_vit("float32")
    assert not any(isinstance(m, Tokenwise) for _, m in model.named_modules())
    ops = [node.op_type for node in onnx.load(str(to_onnx(model, tmp_path / "vit.onnx"))).graph.node]
    assert "Gemm" not in ops and "Flatten" not in ops


def with_tokenwise_mlps(model):
    """The vit as models saved before Dense took (N, T, E) held it: each block's MLP in a Tokenwise."""
    layers = []
    for layer in model:
        inner = layer.module.layers if isinstance(layer, Residual) else None
        if inner is not None and not isinstance(inner[1], MultiHeadAttention):
            layer = Residual(Sequential(inner[0], Tokenwise(Sequential(*inner[1:]))))
        layers.append(layer)
    return Sequential(*layers)


def test_a_saved_vit_with_tokenwise_mlps_still_loads_and_exports(tmp_path):
    torch = pytest.importorskip("torch")
    ort = pytest.importorskip("onnxruntime")
    plain = small_vit("float32")
    minidl.save(with_tokenwise_mlps(plain), tmp_path / "old.npz")
    old = minidl.load(tmp_path / "old.npz").eval()
    assert sum(isinstance(m, Tokenwise) for _, m in old.named_modules()) == 2
    x = raw_rows("float32", 4)
    np.testing.assert_allclose(old(x), plain(x), rtol=1e-6, atol=1e-6)
    path = to_onnx(old, tmp_path / "old.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], old(x), rtol=1e-5, atol=1e-5)
    net = to_torch(old)
    with torch.no_grad():
        np.testing.assert_allclose(net(torch.from_numpy(x)).numpy(), old(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(from_torch(net)(x), old(x))


def test_input_width_is_the_first_layers_not_one_deeper_in(tmp_path):
    pytest.importorskip("onnx")
    model = Sequential(ReLU(), Residual(Dense(4, 4, rng=0)))
    with pytest.raises(ExportError, match="input width"):
        to_onnx(model, tmp_path / "m.onnx")
