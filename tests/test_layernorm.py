"""LayerNorm over the last axis: finite differences on 2-D and 3-D inputs, PyTorch, the engine."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import LayerNorm, MSELoss
from minidl.gradcheck import check_module, cross_check


def _layer(d, seed):
    layer = LayerNorm(d, dtype="float64")
    rng = np.random.default_rng(seed)
    layer.gamma = rng.standard_normal(d)   # away from γ = 1, β = 0, so both show in dX
    layer.beta = rng.standard_normal(d)
    return layer


@settings(max_examples=15, deadline=None)
@given(lead=st.lists(st.integers(1, 4), min_size=1, max_size=2), d=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_layernorm_matches_finite_differences_on_2d_and_3d(lead, d, seed):
    x = np.random.default_rng(seed).standard_normal((*lead, d)) * 2 + 1
    check_module(_layer(d, seed), x, rng=seed).raise_if_failed()


def test_layernorm_matches_torch_and_the_engine():
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 6))
    layer = _layer(6, 1)
    ref = torch.nn.LayerNorm(6, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.gamma))
        ref.bias.copy_(torch.tensor(layer.beta))
    xt = torch.tensor(x, requires_grad=True)
    dout = rng.standard_normal(x.shape)
    ref(xt).backward(torch.tensor(dout))
    np.testing.assert_allclose(layer(x), ref(xt).detach().numpy(), atol=1e-13)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.dgamma, ref.weight.grad.numpy(), atol=1e-12)
    cross_check(_layer(6, 2), x, rng.standard_normal(x.shape), MSELoss()).raise_if_failed()


def test_layernorm_refuses_a_wrong_last_axis():
    with pytest.raises(ValueError, match=r"LayerNorm\(4\).*\(\.\.\., 4\).*\(2, 3\)"):
        LayerNorm(4)(np.ones((2, 3)))


def test_layernorm_float32_in_gives_float32_out():
    layer = LayerNorm(3)
    out = layer(np.ones((2, 5, 3), dtype=np.float32) * np.arange(3))
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32
    assert layer.dgamma.dtype == np.float32
