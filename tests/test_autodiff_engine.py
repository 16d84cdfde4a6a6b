"""The reverse sweep itself: the background notes' worked examples, accumulation, paths,
no_grad / detach, deep graphs, clear errors, and an MLP that learns."""

import gc

import numpy as np
import pytest

from minidl.autodiff import Tensor, is_grad_enabled, no_grad


# ----- background/backprop-population-node.md, Tests 1–3 ----------------------------------
def test_scalar_chain_rule_z_equals_xy_plus_x():
    x, y = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    z = x * y + x
    z.backward()
    assert float(z.data) == 8.0
    assert float(x.grad) == 4.0 and float(y.grad) == 2.0   # ∂z/∂x = y + 1, ∂z/∂y = x


def test_sum_of_population_gives_all_ones():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Tensor([4.0, 5.0, -6.0], requires_grad=True)
    (x + y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0] and y.grad.tolist() == [1.0, 1.0, 1.0]


def test_tanh_neuron():
    rng = np.random.default_rng(3)
    w = Tensor(rng.standard_normal(5), requires_grad=True)
    x = Tensor(rng.standard_normal(5), requires_grad=True)
    b = Tensor(0.3, requires_grad=True)
    a = (w @ x + b).tanh()      # u = w·x + b, a = tanh u
    a.backward()
    local = 1 - a.data ** 2     # da/du = 1 − a²
    assert np.allclose(x.grad, local * w.data, rtol=1e-14)
    assert np.allclose(w.grad, local * x.data, rtol=1e-14)
    assert np.isclose(b.grad, local, rtol=1e-14)


# ----- graph mechanics -----------------------------------------------------------------------
def test_node_reused_on_several_paths_gets_the_sum():
    x = Tensor(1.5, requires_grad=True)
    a, b = x * 2.0, x * 3.0        # a diamond: x → a, b → c
    c = a * b                      # c = 6x², dc/dx = 12x
    c.backward()
    assert float(x.grad) == pytest.approx(18.0, rel=1e-15)


def test_self_product_counts_both_operands():
    x = Tensor([1.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, -4.0]


def test_two_backward_calls_accumulate_and_zero_grad_resets():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    first = x.grad.copy()
    y.backward()
    assert np.array_equal(x.grad, 2 * first)
    grad_array = x.grad
    x.zero_grad()
    assert x.grad is grad_array and not x.grad.any()   # zeroed in place
    y.backward()
    assert np.array_equal(x.grad, first)


def test_grad_is_none_until_a_backward_reaches_it():
    x, unused = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    y = x * 3
    assert x.grad is None
    y.backward()
    assert unused.grad is None and y.grad is None      # y is not a leaf


def test_retain_grad_keeps_an_intermediate_gradient():
    x = Tensor(2.0, requires_grad=True)
    u = (x * 3).retain_grad()
    (u * u).backward()
    assert float(u.grad) == 12.0 and float(x.grad) == 36.0


def test_backward_with_an_explicit_upstream_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(np.array([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -6.0]


def test_no_grad_builds_no_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (w * 3).sum()
    assert is_grad_enabled()
    assert not y.requires_grad and y._parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(KeyError), no_grad():
        raise KeyError
    assert is_grad_enabled()


def test_detach_cuts_the_graph():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    z = y.detach() * x             # y is a constant for z: dz/dx = y = 4
    z.backward()
    assert float(x.grad) == 4.0
    assert y.detach().data is y.data


def test_constant_operands_get_no_gradient():
    x, c = Tensor(2.0, requires_grad=True), Tensor(5.0)
    (x * c).backward()
    assert c.grad is None and float(x.grad) == 5.0


def test_hundred_thousand_node_chain_needs_no_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert float(x.grad) == pytest.approx(1.00001 ** 100_000, rel=1e-9)
    del y
    gc.collect()   # freeing the deep chain must not overflow the C stack either


def test_graph_is_kept_after_backward_and_can_be_swept_again():
    x = Tensor(3.0, requires_grad=True)
    y = x.exp()
    y.backward()
    y.backward()
    assert float(x.grad) == pytest.approx(2 * np.exp(3.0))


# ----- clear errors --------------------------------------------------------------------------
def test_backward_on_non_scalar_without_grad_names_the_shape():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"output has shape \(2, 3\).*must be given"):
        y.backward()


def test_backward_with_a_wrong_grad_shape_names_both_shapes():
    y = Tensor(np.ones(3), requires_grad=True) * 2
    message = r"gradient has shape \(2,\) but the output has shape \(3,\)"
    with pytest.raises(ValueError, match=message):
        y.backward(np.ones(2))


def test_repr_is_readable():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1. 2.], requires_grad=True)"
    assert repr(x * 2) == "Tensor([2. 4.], requires_grad=True, op='mul')"


# ----- a model built from engine ops learns -----------------------------------------------------
def _blobs(rng, n_per_class=30, classes=3):
    centers = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])[:classes]
    x = np.concatenate([c + 0.6 * rng.standard_normal((n_per_class, 2)) for c in centers])
    y = np.repeat(np.arange(classes), n_per_class)
    return x, y


def test_engine_mlp_with_softmax_cross_entropy_trains():
    rng = np.random.default_rng(0)
    x, labels = _blobs(rng)
    params = [Tensor(rng.standard_normal((2, 16)) * 0.5, requires_grad=True),
              Tensor(np.zeros(16), requires_grad=True),
              Tensor(rng.standard_normal((16, 3)) * 0.5, requires_grad=True),
              Tensor(np.zeros(3), requires_grad=True)]

    def loss_fn():
        w1, b1, w2, b2 = params
        logits = (x @ w1 + b1).tanh() @ w2 + b2
        return -logits.log_softmax(axis=1)[np.arange(len(labels)), labels].mean()

    losses = []
    for _ in range(60):
        loss = loss_fn()
        for p in params:
            p.zero_grad()
        loss.backward()
        for p in params:
            p.data -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0]
    w1, b1, w2, b2 = params
    predictions = ((x @ w1 + b1).tanh() @ w2 + b2).data.argmax(axis=1)
    assert (predictions == labels).mean() > 0.9
