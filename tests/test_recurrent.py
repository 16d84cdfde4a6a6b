"""RNN, LSTM, GRU: float64 central differences over hypothesis shapes, the initial state's
gradient, PyTorch's numbers, float32 in → float32 out, save/load."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import GRU, LSTM, RNN, Dense, Sequential, SoftmaxCrossEntropy, load, save
from minidl.gradcheck import check_module

LAYERS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
dims = st.integers(min_value=1, max_value=4)


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=10, deadline=None)
@given(n=dims, t=dims, d=dims, h=dims, seed=st.integers(0, 2**16), sequences=st.booleans())
def test_recurrent_layer_matches_finite_differences(name, n, t, d, h, seed, sequences):
    layer = LAYERS[name](d, h, return_sequences=sequences, rng=seed, dtype="float64")
    x = np.random.default_rng(seed).standard_normal((n, t, d))
    check_module(layer, x, rng=seed).raise_if_failed()  # also checks two backwards accumulate


def _state(name, rng, n, h):
    if name == "LSTM":
        return rng.standard_normal((n, h)), rng.standard_normal((n, h))
    return rng.standard_normal((n, h))


def _flat(state):
    return np.concatenate([np.ravel(s) for s in (state if isinstance(state, tuple) else (state,))])


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("t", [1, 3])
def test_gradient_of_the_initial_state_matches_finite_differences(name, t):
    rng = np.random.default_rng(4)
    n, d, h = 2, 3, 4
    layer = LAYERS[name](d, h, rng=1, dtype="float64")
    x, state = rng.standard_normal((n, t, d)), _state(name, rng, n, h)
    G = rng.standard_normal((n, t, h))

    def loss(s):
        return float((layer(x, s) * G).sum())

    loss(state)
    layer.backward(G)
    analytic = _flat(layer.dstate)
    numeric = []
    parts = state if isinstance(state, tuple) else (state,)
    for k, part in enumerate(parts):
        for idx in np.ndindex(part.shape):
            plus = [p.copy() for p in parts]
            minus = [p.copy() for p in parts]
            plus[k][idx] += 1e-6
            minus[k][idx] -= 1e-6
            wrap = tuple if isinstance(state, tuple) else (lambda ps: ps[0])
            numeric.append((loss(wrap(plus)) - loss(wrap(minus))) / 2e-6)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def _torch_twin(name, layer):
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    twin = getattr(torch.nn, name)(layer.input_size, layer.hidden_size, batch_first=True).double()
    with torch.no_grad():
        twin.weight_ih_l0.copy_(torch.tensor(layer.Wx.T))
        twin.weight_hh_l0.copy_(torch.tensor(layer.Wh.T))
        if name == "GRU":
            twin.bias_ih_l0.copy_(torch.tensor(layer.bx))
            twin.bias_hh_l0.copy_(torch.tensor(layer.bh))
        else:  # b = b_ih + b_hh
            twin.bias_ih_l0.copy_(torch.tensor(layer.b))
            twin.bias_hh_l0.zero_()
    return twin


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_weights_map_to_pytorch_by_transposing(name):
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    rng = np.random.default_rng(0)
    layer = LAYERS[name](3, 5, rng=2, dtype="float64")
    x, state = rng.standard_normal((2, 6, 3)), _state(name, rng, 2, 5)
    out = layer(x, state)
    G = rng.standard_normal(out.shape)
    dx = layer.backward(G)
    twin = _torch_twin(name, layer)
    xt = torch.tensor(x, requires_grad=True)
    st_ = (tuple(torch.tensor(s[None]) for s in state) if name == "LSTM"
           else torch.tensor(state[None]))
    out_t, final_t = twin(xt, st_)
    (out_t * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layer.dWh, twin.weight_hh_l0.grad.numpy().T, rtol=1e-10, atol=1e-13)
    final = layer.final_state if name == "LSTM" else (layer.final_state,)
    finals_t = final_t if name == "LSTM" else (final_t,)
    for mine, theirs in zip(final, finals_t):
        np.testing.assert_allclose(mine, theirs[0].detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_the_final_state_carries_a_sequence_on(name):
    """Running T steps at once equals running them in two halves, the state passed on."""
    x = np.random.default_rng(0).standard_normal((2, 6, 3))
    layer = LAYERS[name](3, 4, rng=0, dtype="float64")
    whole = layer(x)
    first = layer(x[:, :3])
    second = layer(x[:, 3:], layer.final_state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-13)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_float32_in_float32_out_gradients_included(name):
    layer = LAYERS[name](3, 4, rng=0)
    out = layer(np.ones((2, 3, 3)))
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_errors_name_the_layer_and_shapes(name):
    layer = LAYERS[name](3, 4, rng=0)
    with pytest.raises(ValueError, match=rf"{name}\(3 → 4\)\.forward: expected input of shape \(N, N, 3\)"):
        layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected an initial state of shape \(2, 4\), got \(2, 5\)"):
        layer(np.ones((2, 3, 3)), _state(name, np.random.default_rng(0), 2, 5))


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_save_and_load_give_the_same_numbers(name, tmp_path):
    model = Sequential(LAYERS[name](3, 4, return_sequences=False, rng=0, dtype="float64"),
                       Dense(4, 2, rng=1, dtype="float64"))
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    save(model, tmp_path / "m.npz")
    np.testing.assert_array_equal(load(tmp_path / "m.npz")(x), model(x))


def test_an_lstm_learns_which_of_two_symbols_came_first():
    """A tiny sequence task: the class is the first of 5 noisy steps, so the label must be
    carried across the whole sequence."""
    from minidl import Adam
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 256)
    x = rng.standard_normal((256, 5, 2)) * 0.5
    x[np.arange(256), 0, y] += 2.0
    model = Sequential(LSTM(2, 8, return_sequences=False, rng=0, dtype="float64"),
                       Dense(8, 2, rng=1, dtype="float64"))
    loss_fn, opt = SoftmaxCrossEntropy(), Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        model.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        opt.step()
    assert (model(x).argmax(axis=1) == y).mean() > 0.95


@pytest.mark.parametrize("builder", ["lstm", "gru", "rnn"])
def test_sequence_classifiers_read_flat_rows_and_the_cli_knows_them(builder):
    from minidl.cli.architectures import ARCHITECTURES
    from minidl.nn import models
    model = getattr(models, builder)(steps=4, features=3, hidden=5, num_classes=2, rng=0, dtype="float64")
    x = np.random.default_rng(0).standard_normal((3, 12))
    out = model(x)
    assert out.shape == (3, 2)
    assert model.backward(np.ones_like(out)).shape == (3, 12)
    assert builder in ARCHITECTURES
