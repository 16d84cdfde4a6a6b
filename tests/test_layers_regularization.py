"""Dropout and BatchNorm1d: finite-difference checks (float64, hypothesis shapes),
train/eval behaviour, seeded masks and their RNG state, save/load with buffers, bad input."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import SGD, BatchNorm1d, Dense, Dropout, FileFormatError, ReLU, Sequential, load, save
from minidl.gradcheck import check_module
from minidl.io.npz import read_npz, write_npz
from minidl.nn.models import mlp

batch = st.integers(min_value=2, max_value=7)
width = st.integers(min_value=1, max_value=6)
seeds = st.integers(0, 2**16)


def spread_columns(rng, n, d):
    """An (N, D) float64 batch whose every column has standard deviation ≥ 0.5.

    Finite differences of batch norm lose accuracy as (|x| / σ)·ε/h when a column's
    samples nearly coincide (two samples a hair apart): the check would then judge
    float64 rounding, not the backward. Standardising and rescaling avoids that.
    """
    z = rng.standard_normal((n, d))
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    return z * rng.uniform(0.5, 3.0, d) + rng.standard_normal(d) * 3


def batchnorm(d, rng, *, affine=True):
    """A float64 BatchNorm1d with non-trivial γ and β (ones and zeros would hide a missing γ)."""
    layer = BatchNorm1d(d, dtype="float64", affine=affine)
    if affine:
        layer.gamma = rng.standard_normal(d) * 2
        layer.beta = rng.standard_normal(d)
    return layer


# ------------------------------------------------------- finite differences
@settings(max_examples=60, deadline=None)
@given(n=batch, d=width, seed=seeds, affine=st.booleans())
def test_batchnorm_train_mode_matches_finite_differences(n, d, seed, affine):
    rng = np.random.default_rng(seed)
    layer = batchnorm(d, rng, affine=affine)
    report = check_module(layer, spread_columns(rng, n, d), rng=seed).raise_if_failed()
    assert [row.name for row in report.rows] == (["dx", "gamma", "beta"] if affine else ["dx"])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 7), d=width, seed=seeds)
def test_batchnorm_eval_mode_matches_finite_differences(n, d, seed):
    rng = np.random.default_rng(seed)
    layer = batchnorm(d, rng)
    layer.running_mean = rng.standard_normal(d)
    layer.running_var = rng.uniform(0.1, 3.0, d)
    layer.eval()
    check_module(layer, rng.standard_normal((n, d)) * 2, rng=seed).raise_if_failed()


@settings(max_examples=40, deadline=None)
@given(n=batch, d=width, seed=seeds, p=st.floats(0.0, 0.9))
def test_dropout_with_a_frozen_mask_matches_finite_differences(n, d, seed, p):
    layer = Dropout(p, rng=seed)
    layer.fix_mask = True
    x = np.random.default_rng(seed).standard_normal((n, d))
    check_module(layer, x, rng=seed).raise_if_failed()


def test_dropout_in_eval_mode_matches_finite_differences():
    layer = Dropout(0.5, rng=0).eval()
    check_module(layer, np.random.default_rng(0).standard_normal((4, 3)), rng=0).raise_if_failed()


def test_stack_with_both_layers_matches_finite_differences():
    model = mlp([3, 5, 4, 2], "tanh", rng=0, dtype="float64", dropout=0.3, batchnorm=True)
    for layer in model:
        if isinstance(layer, Dropout):
            layer.fix_mask = True
    x = spread_columns(np.random.default_rng(1), 6, 3)
    report = check_module(model, x, rng=0).raise_if_failed()
    assert {"1.gamma", "1.beta", "5.gamma", "5.beta"} <= {row.name for row in report.rows}


def test_a_wrong_batchnorm_backward_is_caught():
    class ForgetsTheBatchPaths(BatchNorm1d):
        def backward(self, dout):
            """A planted bug: dX = dY γ σ⁻¹, as if μ and σ² did not depend on X."""
            xhat, inv_std, _ = self.cached()
            self.dgamma += (dout * xhat).sum(axis=0)
            self.dbeta += dout.sum(axis=0)
            return dout * inv_std * self.gamma

    x = spread_columns(np.random.default_rng(0), 5, 3)
    report = check_module(ForgetsTheBatchPaths(3, dtype="float64"), x, rng=0)
    assert report.failed == ["dx"]


# ------------------------------------------------------------- accumulation
@pytest.mark.parametrize("make", [lambda: BatchNorm1d(3, dtype="float64"),
                                  lambda: BatchNorm1d(3, dtype="float64").eval(),
                                  lambda: Dropout(0.4, rng=0)])
def test_two_backward_calls_give_twice_the_gradient(make):
    layer = make()
    rng = np.random.default_rng(2)
    out = layer(spread_columns(rng, 5, 3))
    dout = rng.standard_normal(out.shape)
    dx1 = layer.backward(dout).copy()
    first = [p.grad.copy() for p in layer.parameters()]
    np.testing.assert_array_equal(layer.backward(dout), dx1)
    for p, g in zip(layer.parameters(), first, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-12)
    layer.zero_grad()
    assert all(not p.grad.any() for p in layer.parameters())


# ------------------------------------------------------------------ Dropout
def test_dropout_is_the_identity_in_eval_mode_and_at_p_zero():
    x = np.random.default_rng(0).standard_normal((4, 5))
    np.testing.assert_array_equal(Dropout(0.7, rng=0).eval()(x), x)
    np.testing.assert_array_equal(Dropout(0.0, rng=0)(x), x)
    layer = Dropout(0.7, rng=0).eval()
    layer(x)
    np.testing.assert_array_equal(layer.backward(x + 1), x + 1)


def test_dropout_drops_a_fraction_p_and_preserves_the_mean():
    p, x = 0.3, np.full((2000, 50), 2.0)
    layer = Dropout(p, rng=0)
    out = layer(x)
    dropped = out == 0
    assert abs(dropped.mean() - p) < 0.01
    np.testing.assert_allclose(out[~dropped], 2.0 / (1 - p))
    assert abs(out.mean() - 2.0) < 0.02  # E[out] = x: the kept units were scaled up
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx, out / 2.0)  # dX = dY ⊙ M/(1 − p)


def test_dropout_is_deterministic_per_seed():
    x = np.ones((6, 7))
    np.testing.assert_array_equal(Dropout(0.5, rng=3)(x), Dropout(0.5, rng=3)(x))
    assert (Dropout(0.5, rng=3)(x) != Dropout(0.5, rng=4)(x)).any()
    a = Dropout(0.5, rng=np.random.default_rng(9))(x)
    np.testing.assert_array_equal(a, Dropout(0.5, rng=np.random.default_rng(9))(x))


def test_dropout_owns_its_generator():
    parent = np.random.default_rng(5)
    layer = Dropout(0.5, rng=parent)  # one draw seeds the layer's stream
    before = parent.bit_generator.state
    layer(np.ones((10, 10)))
    assert parent.bit_generator.state == before  # masks never consume the caller's stream


def test_masks_differ_between_calls_unless_frozen():
    layer, x = Dropout(0.5, rng=0), np.ones((8, 8))
    assert (layer(x) != layer(x)).any()
    layer.fix_mask = True
    first = layer(x)
    np.testing.assert_array_equal(layer(x * 3), first * 3)
    assert layer(np.ones((2, 8))).shape == (2, 8)  # a new shape draws a new mask
    layer.fix_mask = False
    assert (layer(x) != first).any()


def test_rng_state_round_trips_through_json_and_replays_the_masks():
    layer, x = Dropout(0.5, rng=11), np.ones((5, 6))
    layer(x)
    state = json.loads(json.dumps(layer.rng_state()))  # plain Python, JSON-serialisable
    first, second = layer(x), layer(x)
    layer.set_rng_state(state)
    np.testing.assert_array_equal(layer(x), first)
    np.testing.assert_array_equal(layer(x), second)
    other = Dropout(0.5, rng=99)  # a state moves to another layer (a resumed run)
    other.set_rng_state(state)
    np.testing.assert_array_equal(other(x), first)


def test_set_rng_state_rejects_a_foreign_state():
    layer = Dropout(0.5, rng=0)
    with pytest.raises(ValueError, match=r"Dropout\(p=0\.5\)\.set_rng_state: not a PCG64 state"):
        layer.set_rng_state({"bit_generator": "MT19937"})
    with pytest.raises(ValueError, match="not a PCG64 state"):
        layer.set_rng_state("seed")


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, float("nan"), "0.5", True])
def test_dropout_rejects_p_outside_zero_one(p):
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\), got"):
        Dropout(p)


def test_dropout_keeps_float32_and_promotes_integers():
    layer = Dropout(0.5, rng=0)
    out = layer(np.ones((3, 4), dtype=np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones((3, 4), dtype=np.float32)).dtype == np.float32
    assert layer(np.ones((3, 4), dtype=np.int64)).dtype == np.float64


def test_dropout_errors_name_the_module():
    with pytest.raises(RuntimeError, match=r"Dropout\(p=0\.5\)\.backward called before forward"):
        Dropout(0.5).backward(np.zeros((2, 2)))
    layer = Dropout(0.5, rng=0)
    layer(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Dropout\(p=0\.5\)\.backward: expected dout of shape "
                                         r"\(2, 3\)"):
        layer.backward(np.zeros((3, 2)))


# -------------------------------------------------------------- BatchNorm1d
def test_batchnorm_normalises_each_feature_in_train_mode():
    x = np.random.default_rng(0).standard_normal((64, 5)) * [1, 5, 0.1, 30, 2] + [0, -3, 8, 100, 1]
    out = BatchNorm1d(5, dtype="float64")(x)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    var = x.var(axis=0)
    np.testing.assert_allclose(out.var(axis=0), var / (var + 1e-5), rtol=1e-12)  # eps keeps it < 1
    np.testing.assert_allclose(out.var(axis=0), 1, atol=2e-3)


def test_running_statistics_follow_the_momentum_rule():
    x = np.random.default_rng(1).standard_normal((10, 3)) * 2 + 5
    layer = BatchNorm1d(3, momentum=0.25, dtype="float64")
    layer(x)
    np.testing.assert_allclose(layer.running_mean, 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.75 + 0.25 * x.var(axis=0, ddof=1))  # unbiased
    for _ in range(200):
        layer(x)
    np.testing.assert_allclose(layer.running_mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, x.var(axis=0, ddof=1), rtol=1e-12)


def test_running_statistics_converge_to_the_data_statistics():
    rng = np.random.default_rng(2)
    layer = BatchNorm1d(2, dtype="float64")
    for _ in range(300):
        layer(rng.normal([3.0, -1.0], [2.0, 0.5], size=(128, 2)))
    np.testing.assert_allclose(layer.running_mean, [3.0, -1.0], atol=0.1)
    np.testing.assert_allclose(layer.running_var, [4.0, 0.25], rtol=0.1)


def test_eval_mode_uses_the_running_statistics_and_leaves_them_alone():
    rng = np.random.default_rng(3)
    layer = batchnorm(3, rng)
    layer.running_mean, layer.running_var = [1.0, -2.0, 0.5], [4.0, 0.25, 1.0]
    layer.eval()
    x = rng.standard_normal((6, 3))
    xhat = (x - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    expected = layer.gamma * xhat + layer.beta
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12)
    np.testing.assert_array_equal(layer(x[:1]), layer(x)[:1])  # a sample alone, N = 1 allowed
    np.testing.assert_array_equal(layer.running_mean, [1.0, -2.0, 0.5])
    dout = rng.standard_normal((6, 3))
    np.testing.assert_allclose(layer.backward(dout),
                               dout * layer.gamma / np.sqrt(layer.running_var + 1e-5), rtol=1e-12)


def test_backward_follows_the_mode_of_its_forward():
    rng = np.random.default_rng(4)
    x, dout = spread_columns(rng, 5, 2), rng.standard_normal((5, 2))
    a, b = BatchNorm1d(2, dtype="float64"), BatchNorm1d(2, dtype="float64")
    a(x), b(x)
    b.eval()  # switched between forward and backward: the cached batch statistics still apply
    np.testing.assert_array_equal(a.backward(dout), b.backward(dout))


def test_batchnorm_buffers_are_not_parameters():
    layer = BatchNorm1d(3)
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert [name for name, _ in layer.named_buffers()] == ["running_mean", "running_var"]
    layer(np.random.default_rng(0).standard_normal((4, 3)))
    layer.backward(np.ones((4, 3)))
    stats = [b.copy() for b in layer.buffers()]
    SGD(layer.parameters(), lr=0.1, weight_decay=0.1).step()
    layer.zero_grad()
    for buffer, before in zip(layer.buffers(), stats, strict=True):
        np.testing.assert_array_equal(buffer, before)


def test_batchnorm_without_affine_has_no_parameters():
    layer = BatchNorm1d(2, affine=False, dtype="float64")
    assert layer.parameters() == []
    with pytest.raises(AttributeError, match="has no attribute 'gamma'"):
        _ = layer.gamma
    x = spread_columns(np.random.default_rng(5), 4, 2)
    np.testing.assert_allclose(layer(x), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5))


def test_a_constant_feature_stays_finite():
    x = np.column_stack([np.full(6, 3.0), np.arange(6.0)])  # variance 0 in column 0
    layer = BatchNorm1d(2, dtype="float64")
    out = layer(x)  # no RuntimeWarning (pyproject turns them into errors)
    np.testing.assert_array_equal(out[:, 0], 0.0)
    assert np.isfinite(layer.backward(np.ones_like(x))).all()


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_keeps_float32(train):
    layer = BatchNorm1d(3).train(train)
    out = layer(np.random.default_rng(0).standard_normal((5, 3)))  # float64 in, cast to float32
    assert out.dtype == np.float32
    assert layer.backward(np.ones((5, 3))).dtype == np.float32
    arrays = [p.grad for p in layer.parameters()] + layer.buffers()
    assert all(a.dtype == np.float32 for a in arrays)


def test_batchnorm_shape_error_names_module_and_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(64\)\.forward: expected input of shape "
                                         r"\(N, 64\), got \(32, 65\)"):
        BatchNorm1d(64)(np.zeros((32, 65)))


def test_batchnorm_refuses_one_sample_in_train_mode():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\)\.forward: training mode needs a batch "
                                         r"of at least 2 samples .* got 1; call eval\(\)"):
        BatchNorm1d(3)(np.zeros((1, 3)))


def test_batchnorm_backward_errors_name_the_module():
    with pytest.raises(RuntimeError, match=r"BatchNorm1d\(3\)\.backward called before forward"):
        BatchNorm1d(3).backward(np.zeros((2, 3)))
    layer = BatchNorm1d(3)
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\)\.backward: expected dout of shape "
                                         r"\(2, 3\)"):
        layer.backward(np.zeros((2, 4)))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"num_features": 0}, ValueError, r"BatchNorm1d\(0\): num_features must be a positive integer"),
    ({"num_features": 2, "eps": 0.0}, ValueError, "eps must be a positive number, got 0.0"),
    ({"num_features": 2, "momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], got 1.5"),
    ({"num_features": 2, "affine": "yes"}, TypeError, "affine must be True or False"),
    ({"num_features": 2, "dtype": "int32"}, TypeError, "dtype must be one of"),
])
def test_batchnorm_constructor_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        BatchNorm1d(**kwargs)


def test_reprs():
    assert repr(BatchNorm1d(64)) == "BatchNorm1d(64)"
    assert repr(BatchNorm1d(8, eps=1e-3, momentum=0.2, affine=False)) == \
        "BatchNorm1d(8, eps=0.001, momentum=0.2, affine=False)"
    assert repr(Dropout(0.25)) == "Dropout(p=0.25)"


# ---------------------------------------------------------------- save/load
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_save_load_round_trips_buffers_bit_exactly(tmp_path, dtype):
    model = Sequential(Dense(4, 6, rng=0, dtype=dtype),
                       BatchNorm1d(6, eps=1e-3, momentum=0.3, dtype=dtype), ReLU(),
                       Dropout(0.2, rng=0), Dense(6, 2, rng=1, dtype=dtype))
    rng = np.random.default_rng(0)
    for _ in range(3):  # move the running statistics away from their initial 0 and 1
        model(rng.standard_normal((8, 4)))
    model[1].gamma = rng.standard_normal(6)
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert repr(loaded) == repr(model)
    assert loaded[1].get_config() == model[1].get_config() and loaded[3].p == 0.2
    state, same = model.state_dict(), loaded.state_dict()
    assert list(same) == list(state) and "1.running_var" in same
    for name in state:
        assert same[name].dtype == state[name].dtype
        np.testing.assert_array_equal(same[name], state[name])
    x = rng.standard_normal((5, 4))
    np.testing.assert_array_equal(loaded.eval()(x), model.eval()(x))


def test_a_file_missing_a_buffer_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    save(mlp([3, 4, 2], rng=0, batchnorm=True), path)
    meta, arrays = read_npz(path)
    del arrays["1.running_var"], meta["arrays"]
    write_npz(path, meta, arrays)
    with pytest.raises(FileFormatError, match=r"missing keys \['1\.running_var'\]"):
        load(path)


def test_mlp_places_batchnorm_before_and_dropout_after_the_activation():
    model = mlp([4, 8, 3], rng=0, dropout=0.5, batchnorm=True)
    assert [type(m).__name__ for m in model] == ["Dense", "BatchNorm1d", "ReLU", "Dropout", "Dense"]
    plain = mlp([4, 8, 3], rng=0)
    np.testing.assert_array_equal(model[0].W, plain[0].W)  # the same weights with or without
    np.testing.assert_array_equal(model[4].W, plain[2].W)
