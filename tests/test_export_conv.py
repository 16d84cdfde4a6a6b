"""Export of the convolutional layers (Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten,
Reshape, BatchNorm2d) and of ``minidl.nn.models.cnn``: ONNX Runtime and PyTorch reproduce
minidl's evaluation-mode outputs, the PyTorch round trip its weights; ``minidl export`` on a
trained CNN run."""

from __future__ import annotations

import numpy as np
import pytest
from export_helpers import check_export_command, check_torch_round_trip, run_onnx, train_briefly
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minidl
from minidl import Sequential
from minidl.export import ExportError, from_torch, to_onnx
from minidl.nn.layers import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dense,
    Flatten,
    GlobalAvgPool2d,
    MaxPool2d,
    Normalize,
    ReLU,
    Reshape,
)
from minidl.nn.layers.windows import output_size
from minidl.nn.models import cnn

C, H, W = 2, 7, 6  # odd, non-square images: pools drop a trailing row, as minidl does


def trained_batchnorm2d(dtype, affine=True):
    bn = BatchNorm2d(C, affine=affine, dtype=dtype)
    rng = np.random.default_rng(1)
    if affine:
        bn.gamma, bn.beta = rng.uniform(0.5, 2, C), rng.standard_normal(C)
    bn(rng.standard_normal((4, C, H, W)) * 3 + 1)  # moves the running statistics off 0 and 1
    return bn


def conv(dtype, *args, **kwargs):
    layer = Conv2d(C, 3, *args, rng=0, dtype=dtype, **kwargs)
    layer.b = np.random.default_rng(2).standard_normal(3)  # a bias that is not zero
    return layer


# One model per mapped layer type and setting, each taking (N, C, H, W) images.
LAYER_MODELS = {
    "Conv2d": lambda dt: conv(dt, 3),
    "Conv2d-stride2-padding1": lambda dt: conv(dt, 3, stride=2, padding=1),
    "Conv2d-2x3-kernel": lambda dt: conv(dt, (2, 3), padding=2),
    "MaxPool2d": lambda dt: Sequential(conv(dt, 1), MaxPool2d(2, dtype=dt)),
    "MaxPool2d-3x2-stride1": lambda dt: Sequential(conv(dt, 1), MaxPool2d((3, 2), stride=1, dtype=dt)),
    "AvgPool2d": lambda dt: Sequential(conv(dt, 1), AvgPool2d(3, stride=2, dtype=dt)),
    "GlobalAvgPool2d": lambda dt: Sequential(conv(dt, 3, padding=1), GlobalAvgPool2d(dtype=dt)),
    "Flatten": lambda dt: Sequential(conv(dt, 3), ReLU(), Flatten()),
    "BatchNorm2d": lambda dt: trained_batchnorm2d(dt),
    "BatchNorm2d-no-affine": lambda dt: trained_batchnorm2d(dt, affine=False),
    "Conv2d-dilation2": lambda dt: conv(dt, 2, padding=1, dilation=2),
}


def small_cnn(dtype):
    """models.cnn (smaller) behind the input normalisation, as `minidl train --model cnn` saves it,
    with BatchNorm2d statistics moved off their start by a few training-mode batches."""
    model = cnn(image_size=8, num_classes=3, channels=(3, 4), hidden=5, in_channels=C, rng=0, dtype=dtype)
    width = C * 8 * 8
    model = Sequential(Normalize.fitted(np.full(width, 100.0), np.full(width, 50.0), dtype=dtype), *model)
    model.train()
    for seed in range(3):
        model(raw_rows(dtype, 6, seed))
    return model.eval()


def raw_rows(dtype, n, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, C * 8 * 8)).astype(dtype)


def images(dtype, n, h=H, w=W):
    return np.random.default_rng(n * 100 + h).standard_normal((n, C, h, w)).astype(dtype)


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_onnx_runtime_matches_each_layer(tmp_path, name):
    onnx = pytest.importorskip("onnx")
    model = LAYER_MODELS[name]("float32")
    model.train()  # export is the evaluation form whatever mode the model is in
    path = to_onnx(model, tmp_path / "model.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    model.eval()
    # batch, height and width are all dynamic in the graph
    for n, h, w in [(1, H, W), (3, H, W), (2, 9, 8)]:
        x = images("float32", n, h, w)
        np.testing.assert_allclose(run_onnx(path, x), model(x), rtol=1e-5, atol=1e-5)


@settings(max_examples=8)
@given(kh=st.integers(1, 3), kw=st.integers(1, 3), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), h=st.integers(1, 8), w=st.integers(1, 8), pool=st.integers(1, 2))
def test_onnx_and_torch_match_conv_and_pool_over_drawn_settings(tmp_path_factory, kh, kw, stride, padding,
                                                                dilation, h, w, pool):
    """Conv2d (any kernel, stride, padding, dilation that fits the image) then MaxPool2d and
    AvgPool2d of a drawn size, through ONNX Runtime (float32) and the PyTorch round trip (float64)."""
    pytest.importorskip("onnx")
    ho, wo = output_size(h, kh, stride, padding, dilation), output_size(w, kw, stride, padding, dilation)
    assume(ho >= pool and wo >= pool)

    def model(dt):
        return Sequential(conv(dt, (kh, kw), stride=stride, padding=padding, dilation=dilation),
                          MaxPool2d(pool, dtype=dt), AvgPool2d(1, dtype=dt))

    x = images("float32", 2, h, w)
    path = to_onnx(model("float32"), tmp_path_factory.mktemp("drawn") / "m.onnx")
    np.testing.assert_allclose(run_onnx(path, x), model("float32")(x), rtol=1e-5, atol=1e-5)
    check_torch_round_trip(model("float64").eval(), [x.astype(np.float64)])


def test_onnx_runtime_matches_the_cnn_on_raw_rows(tmp_path):
    pytest.importorskip("onnx")
    model = small_cnn("float32")
    path = to_onnx(model, tmp_path / "cnn.onnx")
    for n in (1, 5):
        x = raw_rows("float32", n, seed=7)
        np.testing.assert_allclose(run_onnx(path, x), model(x), rtol=1e-5, atol=1e-5)


def test_onnx_runtime_runs_float64_where_it_has_the_kernels(tmp_path):
    """The graph is float64 throughout; ONNX Runtime's CPU provider runs float64 BatchNormalization,
    MaxPool and Flatten (not Conv or the average pools, which it has for float32 only)."""
    onnx = pytest.importorskip("onnx")
    model = Sequential(trained_batchnorm2d("float64"), MaxPool2d(2, dtype="float64"), Flatten()).eval()
    proto = onnx.load(str(to_onnx(model, tmp_path / "m.onnx")))
    assert {init.data_type for init in proto.graph.initializer} == {onnx.TensorProto.DOUBLE}
    x = images("float64", 3)
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", x), model(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(LAYER_MODELS))
def test_torch_round_trip_of_each_layer(name):
    model = LAYER_MODELS[name]("float64").eval()
    check_torch_round_trip(model, [images("float64", 1), images("float64", 3, 9, 8)])


def test_torch_round_trip_of_the_cnn():
    net = check_torch_round_trip(small_cnn("float64"), [raw_rows("float64", 4, seed=3)])
    assert [type(m).__name__ for m in net][1:6] == ["Reshape", "Conv2d", "BatchNorm2d", "MaxPool2d", "ReLU"]


def test_a_cnn_built_in_torch_comes_in_and_trains_here():
    """The way in: a torch CNN (torch's own init, float32) gives its outputs in minidl, and one
    minidl backward runs through it."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(C, 4, 3, stride=2, padding=1), torch.nn.BatchNorm2d(4),
                              torch.nn.ReLU(), torch.nn.AvgPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(16, 3)).eval()
    model = from_torch(net)
    x = images("float32", 2, 8, 8)
    with torch.no_grad():
        np.testing.assert_allclose(model(x), net(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6)
    model.train()
    model.backward(np.ones_like(model(x)))
    assert np.abs(model[0].dW).sum() > 0


@pytest.mark.parametrize("make, setting", [
    (lambda nn: nn.Conv2d(2, 4, 3, groups=2), "groups"),
    (lambda nn: nn.Conv2d(2, 4, 3, padding=(1, 2)), "padding"),
    (lambda nn: nn.Conv2d(2, 4, 3, stride=(1, 2)), "stride"),
    (lambda nn: nn.Conv2d(2, 4, 3, bias=False), "no bias"),
    (lambda nn: nn.MaxPool2d(2, padding=1), "padding"),
    (lambda nn: nn.MaxPool2d(2, ceil_mode=True), "ceil_mode"),
    (lambda nn: nn.AvgPool2d(2, divisor_override=3), "divisor_override"),
    (lambda nn: nn.Flatten(2), "start_dim"),
])
def test_from_torch_refuses_what_minidl_does_not_compute(make, setting):
    torch = pytest.importorskip("torch")
    module = make(torch.nn)
    with pytest.raises(ExportError, match=rf"from_torch: cannot convert {type(module).__name__}.*{setting}"):
        from_torch(torch.nn.Sequential(module))


def test_a_dilated_torch_conv_comes_in_dilated():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Conv2d(C, 3, 2, dilation=2, padding=1, dtype=torch.float64))
    x = images("float64", 2)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    model = from_torch(net)
    assert model[0].dilation == 2
    np.testing.assert_allclose(model(x), expected, rtol=1e-10, atol=1e-12)


def test_onnx_input_shape_is_read_off_the_first_image_layer(tmp_path):
    """A model starting with Conv2d or BatchNorm2d takes (batch, C, height, width) images."""
    onnx = pytest.importorskip("onnx")
    for model in (conv("float32", 3), trained_batchnorm2d("float32")):
        graph = onnx.load(str(to_onnx(model, tmp_path / "m.onnx"))).graph
        dims = graph.input[0].type.tensor_type.shape.dim
        assert [d.dim_param or d.dim_value for d in dims] == ["batch", C, "height", "width"]


def test_a_layer_with_no_mapping_is_named(tmp_path):
    pytest.importorskip("onnx")

    class Shifted(minidl.Module):  # not registered anywhere in the export tables
        def forward(self, x):
            return x + 1

    with pytest.raises(ExportError, match="no mapping for layer .*Shifted"):
        to_onnx(Sequential(Reshape((C, H, W)), Shifted()), tmp_path / "m.onnx", input_shape=(C * H * W,))


def test_export_command_on_a_trained_cnn(tmp_path, capsys):
    check_export_command(train_briefly(tmp_path / "run", "cnn"), tmp_path, capsys, Conv2d)


def test_dense_on_a_flat_cnn_output_is_matmul_add(tmp_path):
    """Dense after Flatten exports as MatMul + Add (no Gemm), the form that takes any rank."""
    onnx = pytest.importorskip("onnx")
    model = Sequential(conv("float32", 3), Flatten(), Dense(3 * 5 * 4, 2, rng=0))
    ops = [node.op_type for node in onnx.load(str(to_onnx(model, tmp_path / "m.onnx"))).graph.node]
    assert ops == ["Conv", "Flatten", "MatMul", "Add", "Identity"]
