"""Softmax and multi-head self-attention: finite differences over shapes (T = 1, one head,
several, causal or not), PyTorch's numbers, the engine, causality, and a wrong backward caught."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import MSELoss, MultiHeadAttention, Softmax
from minidl.gradcheck import check_module, cross_check


def _attention(e, heads, causal, seed):
    layer = MultiHeadAttention(e, heads, causal=causal, rng=seed, dtype="float64")
    rng = np.random.default_rng(seed + 1)
    for name in "qkvo":   # nonzero biases, so their gradients are checked too
        setattr(layer, "b" + name, rng.standard_normal(e) * 0.5)
    return layer


@settings(max_examples=12, deadline=None)
@given(n=st.integers(1, 3), t=st.integers(1, 5), heads=st.sampled_from([1, 2, 3]),
       d=st.integers(1, 3), causal=st.booleans(), seed=st.integers(0, 2**16))
def test_attention_matches_finite_differences(n, t, heads, d, causal, seed):
    x = np.random.default_rng(seed).standard_normal((n, t, heads * d))
    check_module(_attention(heads * d, heads, causal, seed), x, rng=seed).raise_if_failed()


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_the_engine(causal):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 6))
    cross_check(_attention(6, 3, causal, 0), x, rng.standard_normal(x.shape), MSELoss()).raise_if_failed()


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_multihead_attention(causal):
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 8))
    layer = _attention(8, 2, causal, 4)
    ref = torch.nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64)
    with torch.no_grad():   # torch keeps (out, in) weights, minidl (in, out): transpose
        ref.in_proj_weight.copy_(torch.tensor(np.concatenate([layer.Wq.T, layer.Wk.T, layer.Wv.T])))
        ref.in_proj_bias.copy_(torch.tensor(np.concatenate([layer.bq, layer.bk, layer.bv])))
        ref.out_proj.weight.copy_(torch.tensor(layer.Wo.T))
        ref.out_proj.bias.copy_(torch.tensor(layer.bo))
    xt = torch.tensor(x, requires_grad=True)
    mask = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1) if causal else None
    out, _ = ref(xt, xt, xt, attn_mask=mask)
    dout = rng.standard_normal(x.shape)
    out.backward(torch.tensor(dout))
    np.testing.assert_allclose(layer(x), out.detach().numpy(), atol=1e-13)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.dWq, ref.in_proj_weight.grad.numpy()[:8].T, atol=1e-12)
    np.testing.assert_allclose(layer.dWo, ref.out_proj.weight.grad.numpy().T, atol=1e-12)


def test_causal_attention_never_looks_ahead_and_masked_pairs_get_no_gradient():
    rng = np.random.default_rng(0)
    layer = _attention(4, 2, True, 0)
    x = rng.standard_normal((1, 6, 4))
    later = x.copy()
    later[:, 3:] = rng.standard_normal((1, 3, 4))   # change the future of position 2
    np.testing.assert_allclose(layer(x)[:, :3], layer(later)[:, :3], atol=1e-14)
    dout = np.zeros((1, 6, 4))
    dout[:, 1] = 1.0                                 # a loss on position 1 only
    dx = layer.backward(dout)
    assert not dx[:, 2:].any()                       # positions after 1 hear nothing
    p = layer.cached()[4]
    assert not np.triu(p[0, 0], k=1).any()           # future weights are exact zeros


def test_two_backward_calls_accumulate_parameter_gradients():
    rng = np.random.default_rng(1)
    layer = _attention(6, 2, True, 0)
    x = rng.standard_normal((2, 4, 6))
    dout = rng.standard_normal(layer(x).shape)
    dx1 = layer.backward(dout).copy()
    first = [p.grad.copy() for p in layer.parameters()]
    np.testing.assert_array_equal(layer.backward(dout), dx1)
    for param, grad in zip(layer.parameters(), first):
        np.testing.assert_allclose(param.grad, 2 * grad, rtol=1e-15)


def test_a_wrong_attention_backward_is_caught():
    class DropsTheSoftmaxCorrection(MultiHeadAttention):
        def backward(self, dout):
            # dS = P ⊙ dP without "− Σ_j dP_j P_j": a classic slip, dQ and dK come out wrong
            x, q, k, v, p, merged = self.cached()
            ds_wrong = p * (self._split(dout @ self.Wo.T) @ v.transpose(0, 1, 3, 2))
            return self._merge(ds_wrong @ k) @ self.Wq.T

    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    report = check_module(DropsTheSoftmaxCorrection(4, 2, rng=0, dtype="float64"), x, rng=0)
    assert not report.ok


def test_attention_shape_and_head_errors_are_clear():
    with pytest.raises(ValueError, match="num_heads must divide embed_dim"):
        MultiHeadAttention(6, 4)
    with pytest.raises(ValueError, match=r"\(N, N, 6\).*\(2, 6\)"):
        MultiHeadAttention(6, 2)(np.ones((2, 6)))


def test_attention_float32_in_gives_float32_out():
    layer = MultiHeadAttention(4, 2, causal=True, rng=0)
    out = layer(np.ones((2, 3, 4), dtype=np.float32))
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 2**16),
       data=st.data())
def test_softmax_matches_finite_differences_along_any_axis(shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    check_module(Softmax(axis, dtype="float64"), x, rng=seed).raise_if_failed()
    cross_check(Softmax(axis, dtype="float64"), x, np.zeros(shape), MSELoss()).raise_if_failed()


def test_softmax_rows_sum_to_one_without_overflow():
    p = Softmax(dtype="float64")(np.array([[1000.0, 1000.0, -1000.0]]))
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0]])
