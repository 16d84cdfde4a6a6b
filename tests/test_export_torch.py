"""PyTorch export and import: to_torch and from_torch round trips give the same outputs and
weights (float64, rtol 1e-10). (Missing torch: tests/test_export_missing.py.)"""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.export import ExportError, from_torch, to_torch
from minidl.nn.layers import BatchNorm1d, Dense, Normalize, ReLU, Sigmoid

WIDTH = 5


def full_model(dtype):
    model = minidl.Sequential(
        Normalize.fitted(np.linspace(-1, 1, WIDTH), np.arange(1, WIDTH + 1), dtype=dtype),
        *minidl.mlp([WIDTH, 8, 6, 3], "tanh", rng=0, dtype=dtype, batchnorm=True, dropout=0.2),
        Sigmoid())
    model(np.random.default_rng(1).standard_normal((12, WIDTH)) * 2)  # running statistics move
    return model.eval()


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_to_torch_gives_same_outputs_weights_and_dtype(dtype):
    model = full_model(dtype)
    net = to_torch(model)
    assert not net.training
    x = np.random.default_rng(3).standard_normal((7, WIDTH)).astype(dtype)
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
    assert got.dtype == np.dtype(dtype)
    rtol = 1e-10 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got, model(x), rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(net[1].weight.detach().numpy(), model[1].W.T)
    np.testing.assert_array_equal(net[2].running_var.numpy(), model[2].running_var)


def test_relu_and_plain_batchnorm():
    model = minidl.Sequential(Dense(WIDTH, 4, rng=0, dtype="float64"),
                              BatchNorm1d(4, affine=False, eps=1e-3, momentum=0.3, dtype="float64"),
                              ReLU())
    model(np.random.default_rng(0).standard_normal((9, WIDTH)))
    model.eval()
    x = np.random.default_rng(4).standard_normal((6, WIDTH))
    back = from_torch(to_torch(model))
    np.testing.assert_allclose(back(x), model(x), rtol=1e-10, atol=1e-12)
    assert back[1].get_config() == model[1].get_config()


def test_round_trip_through_torch_is_exact():
    model = full_model("float64")
    back = from_torch(to_torch(model)).eval()
    assert [type(m) for m in back] == [type(m) for m in model]
    for (name, a), (name_back, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert name == name_back
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(5).standard_normal((4, WIDTH))
    np.testing.assert_allclose(back(x), model(x), rtol=1e-10)


def test_from_torch_model_can_be_gradient_checked():
    from minidl.gradcheck import check_module

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    model = from_torch(net)
    x = np.random.default_rng(6).standard_normal((5, 3))
    with torch.no_grad():
        np.testing.assert_allclose(model(x), net(torch.from_numpy(x)).numpy(), rtol=1e-10)
    check_module(model, x, rng=0).raise_if_failed()


def test_from_torch_names_an_unmapped_layer():
    with pytest.raises(ExportError, match="Conv1d"):
        from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 3)))
    with pytest.raises(ExportError, match="no bias"):
        from_torch(torch.nn.Linear(3, 2, bias=False))
    with pytest.raises(ExportError, match="expected a torch.nn.Module"):
        from_torch("not a module")
