"""Every engine op against central differences (reverse, forward, adjoint, second order),
through the one checker in autodiff_helpers, plus the ops' documented special cases."""

import numpy as np
import pytest
from autodiff_helpers import OPS, TOL, Case, check_case
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import Tensor
from minidl.autodiff.tensor import from_op


@pytest.mark.parametrize("name", list(OPS))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_op_derivatives_match_finite_differences(name, data):
    errors = check_case(data.draw(OPS[name], label=name))
    assert max(errors.values()) < TOL, errors


BROADCAST_PAIRS = [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4,), (3, 4)),
                   ((2, 1, 3), (4, 1))]
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / (b * b + 1.0), "pow": lambda a, b: (a * a + 1.0) ** b}


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("op", list(BINARY))
def test_broadcast_pairs_sum_gradients_back_to_each_shape(op, shapes):
    rng = np.random.default_rng(0)
    case = Case(BINARY[op], [rng.uniform(-1, 1, s) for s in shapes], seed=1)
    assert max(check_case(case).values()) < TOL
    a, b = (Tensor(x, requires_grad=True) for x in case.arrays)
    BINARY[op](a, b).sum().backward()
    assert a.grad.shape == shapes[0] and b.grad.shape == shapes[1]


def test_sum_over_broadcast_copies_counts_each_copy():
    x = Tensor(np.ones((3, 1)), requires_grad=True)
    (x * np.ones((1, 4))).sum().backward()
    assert np.array_equal(x.grad, np.full((3, 1), 4.0))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("method", ["sum", "mean", "max", "logsumexp"])
def test_reductions_shapes_match_numpy(method, axis, keepdims):
    x = np.arange(24.0).reshape(2, 3, 4)
    out = getattr(Tensor(x), method)(axis=axis, keepdims=keepdims)
    expected = np.max(x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)


def test_max_splits_tied_gradient_evenly():
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_max_ties_per_row():
    x = Tensor([[2.0, 2.0, 2.0], [0.0, 5.0, 1.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    assert np.allclose(x.grad, [[1 / 3, 1 / 3, 1 / 3], [0, 1, 0]])


def test_relu_derivative_at_zero_is_zero():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


def test_repeated_indices_accumulate():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_boolean_mask_index():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    x[x.data > 0].sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


def test_indexing_with_a_tensor_is_a_clear_error():
    with pytest.raises(TypeError, match="not Tensors"):
        Tensor([1.0, 2.0])[Tensor(0.0)]


@pytest.mark.parametrize("a, b", [((4, 3), (5, 2)), ((3,), (4,)), ((2, 3), (2,)),
                                  ((), (3,)), ((2, 2, 3), (3, 3, 1))])
def test_matmul_shape_mismatch_names_both_shapes(a, b):
    with pytest.raises(ValueError) as info:
        Tensor(np.ones(a)) @ np.ones(b)
    assert str(info.value) == f"matmul: cannot multiply {a} by {b}"


@pytest.mark.parametrize("method", ["sum", "mean", "max", "logsumexp"])
def test_axis_out_of_range_is_a_clear_error(method):
    with pytest.raises(ValueError, match=f"{method}: axis 2 is out of range"):
        getattr(Tensor(np.ones((2, 3))), method)(axis=2)


def test_numbers_and_arrays_on_either_side():
    x = Tensor([1.0, 2.0])
    results = [(1 + x, [2, 3]), (x + 1, [2, 3]), (1 - x, [0, -1]), (x - 1, [0, 1]),
               (2 * x, [2, 4]), (x * 2, [2, 4]), (2 / x, [2, 1]), (x / 2, [0.5, 1]),
               (2 ** x, [2, 4]), (x ** 2, [1, 4]), (-x, [-1, -2]),
               (np.array([1.0, 1.0]) + x, [2, 3]), (np.float64(2.0) * x, [2, 4]),
               ([[1.0, 1.0]] @ x, [3]), (np.eye(2) @ x, [1, 2]), (x @ np.eye(2), [1, 2])]
    for result, expected in results:
        assert isinstance(result, Tensor) and result.data.tolist() == expected


def test_float32_stays_float32_through_ops_and_gradients():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    y = ((x @ w).tanh() * 2.0 + np.ones(2)).sigmoid().log_softmax(-1)[:, 0].mean() ** 2
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_ints_and_python_numbers_become_float64():
    assert Tensor(3).dtype == np.float64
    assert Tensor([1, 2]).dtype == np.float64
    assert Tensor(np.array([True])).dtype == np.float64
    with pytest.raises(TypeError, match="numeric"):
        Tensor(["a"])


def test_a_deliberately_wrong_backward_rule_is_caught():
    def bad_tanh(x):  # the rule forgets the square: 1 − a instead of 1 − a²
        return from_op(np.tanh(x.data), "tanh", (x,),
                       vjp=lambda g, a: (g * (1 - a),),
                       jvp=lambda a, t: t * (1 - a * a))

    rng = np.random.default_rng(0)
    errors = check_case(Case(bad_tanh, [rng.uniform(-2, 2, (3,))], seed=0))
    assert errors["reverse"] > 1e-2 and errors["forward"] < TOL


def test_a_deliberately_wrong_tangent_rule_is_caught():
    def bad_exp(x):  # the tangent rule drops the factor eˣ
        return from_op(np.exp(x.data), "exp", (x,),
                       vjp=lambda g, z: (g * z,),
                       jvp=lambda z, t: t)

    rng = np.random.default_rng(0)
    errors = check_case(Case(bad_exp, [rng.uniform(-2, 2, (3,))], seed=0))
    assert errors["forward"] > 1e-2 and errors["reverse"] < TOL
