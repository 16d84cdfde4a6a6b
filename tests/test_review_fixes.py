"""Regressions for the defects an independent review found (each named after its symptom)."""

import numpy as np
import pytest

from minidl import SGD, Adam, Dense, MSELoss, Parameter, ReLU, Sequential, SoftmaxCrossEntropy, Tanh
from minidl.autodiff import Tensor, grad
from minidl.cli import main
from minidl.gradcheck import check_loss, check_module


def test_cross_entropy_gradient_is_right_for_target_rows_not_summing_to_one():
    z = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]])
    y = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.5]])
    check_loss(SoftmaxCrossEntropy(), z, y).raise_if_failed()


def test_cross_entropy_refuses_negative_targets():
    with pytest.raises(ValueError, match="must be ≥ 0"):
        SoftmaxCrossEntropy()(np.zeros((1, 2)), np.array([[1.5, -0.5]]))


def test_power_has_finite_gradients_at_zero():
    a = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    (a ** b).sum().backward()
    np.testing.assert_allclose(a.grad, [0.0, 12.0])
    np.testing.assert_allclose(b.grad, [0.0, 8 * np.log(2)])
    np.testing.assert_array_equal(grad(lambda x: (x ** 0).sum())(np.array([0.0, 1.0])), [0.0, 0.0])


def test_grad_accepts_numpy_integer_argnums():
    g = grad(lambda x, y: (x * y).sum(), argnums=np.int64(1))(np.full(2, 3.0), np.ones(2))
    np.testing.assert_array_equal(g, [3.0, 3.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_mse_refuses_non_finite_values(bad):
    with pytest.raises(ValueError, match="MSELoss: prediction or target contains NaN or inf"):
        MSELoss()(np.array([bad]), np.array([0.0]))


@pytest.mark.parametrize("layer", [Dense(3, 2, rng=0), ReLU(), Tanh(),
                                   Sequential(Dense(3, 2, rng=0), ReLU())])
def test_layers_refuse_an_empty_batch(layer):
    with pytest.raises(ValueError, match=r"empty batch of shape \(0, 3\)"):
        layer(np.zeros((0, 3)))


def test_check_module_judges_a_float32_layer_in_float32():
    x = np.random.default_rng(0).normal(size=(4, 5))  # float64 input, float32 layer
    with pytest.warns(UserWarning, match="float32"):
        assert check_module(Dense(5, 3, rng=0), x, rng=0).ok


def test_float32_stays_float32_through_mse_and_tanh_backward():
    mse = MSELoss()
    mse(np.zeros(3, dtype=np.float32), np.ones(3))
    assert mse.backward(np.float64(2.0)).dtype == np.float32
    tanh = Tanh()
    tanh(np.zeros((1, 2), dtype=np.float32))
    assert tanh.backward(np.ones((1, 2))).dtype == np.float32


def test_nesterov_state_loads_into_a_plain_sgd():
    p, q = Parameter(np.ones(2)), Parameter(np.ones(2))
    p.grad[...] = q.grad[...] = 1.0
    a = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    a.step()
    q.data[...] = p.data
    b = SGD([q], lr=0.1, momentum=0.9)
    b.load_state_dict(a.state_dict())  # brings nesterov=True and the velocity along
    a.step()
    b.step()
    np.testing.assert_array_equal(p.data, q.data)


def test_optimizer_argument_errors():
    with pytest.raises(ValueError, match=r"Invalid betas: expected two values"):
        Adam([Parameter(np.ones(1))], betas=(0.9,))
    with pytest.raises(TypeError, match="params must be an iterable of Parameters"):
        SGD(Parameter(np.ones(1)), lr=0.1)


@pytest.mark.parametrize("args, message", [
    (["--weight-decay", "inf"], "--weight-decay must be a finite number"),
    (["--warmup", "inf"], "--warmup must be between 0 and --epochs"),
    (["--seed", "-1"], "--seed must be ≥ 0"),
])
def test_more_bad_values_exit_2(args, message, capsys):
    assert main(["train", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "usage: minidl train" in err  # the subcommand's own usage


def test_out_that_is_a_file_exits_2(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["train", "--data", "xor", "--out", str(tmp_path / "f")]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err


def test_eval_with_a_different_class_count_is_a_clear_error(tmp_path, capsys):
    assert main(["train", "--data", "xor", "--epochs", "1", "--quiet", "--out", str(tmp_path / "x")]) == 0
    assert main(["eval", str(tmp_path / "x" / "model.npz"), "--data", "spirals"]) == 1
    assert "label '2' (row 3) is not one of the model's classes (0, 1)" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "x" / "model.npz"), "--limit-test", "0"]) == 2


def test_a_constant_scalar_tensor_does_not_upcast_float32():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = x * Tensor(2.0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_no_grad_decorates_with_or_without_parentheses():
    from minidl.autodiff import no_grad

    w = Tensor([1.0, 2.0], requires_grad=True)

    @no_grad
    def bare(t):
        return t * 3

    @no_grad()
    def called(t):
        return t * 3

    assert not bare(w).requires_grad and not called(w).requires_grad
    assert (w * 3).requires_grad  # the mode is restored afterwards
