"""numerical_grad's schemes: accuracy, their stated orders, the complex step and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.gradcheck.numerical import numerical_grad


def f(v):
    return (np.sin(v) * np.exp(v)).sum()


def exact(v):
    return (np.cos(v) + np.sin(v)) * np.exp(v)


@settings(max_examples=10, deadline=None)
@given(shape=st.sampled_from([(1,), (3,), (2, 3)]), seed=st.integers(0, 2**16))
def test_every_scheme_estimates_the_gradient(shape, seed):
    x = np.random.default_rng(seed).uniform(-1, 1, shape)
    tolerance = {"forward": 1e-6, "central": 1e-9, "fourth": 1e-11, "richardson": 1e-10,
                 "complex": 1e-14}
    for scheme, tol in tolerance.items():
        estimate = numerical_grad(f, x.copy(), scheme=scheme)
        assert estimate.shape == shape
        np.testing.assert_allclose(estimate, exact(x), rtol=0, atol=tol, err_msg=scheme)


@pytest.mark.parametrize("scheme, ratio", [("forward", 2), ("central", 4), ("fourth", 16),
                                           ("richardson", 16)])
def test_halving_the_step_divides_the_error_by_two_to_the_order(scheme, ratio):
    x = np.array([0.4])
    errors = [abs(numerical_grad(f, x.copy(), eps=h, scheme=scheme)[0] - exact(x)[0])
              for h in (0.08, 0.04)]
    assert errors[0] / errors[1] == pytest.approx(ratio, rel=0.15)


def test_complex_step_has_no_cancellation_even_at_tiny_steps():
    x = np.array([0.4, -0.7])
    estimate = numerical_grad(f, x.copy(), eps=1e-200, scheme="complex")
    np.testing.assert_allclose(estimate, exact(x), rtol=1e-15)
    central = numerical_grad(f, x.copy(), eps=1e-13)  # subtraction loses most digits here
    assert np.abs(central - exact(x)).max() > 1e-5


def test_x_is_restored_and_unknown_scheme_is_refused():
    x = np.array([0.1, 0.2])
    for scheme in ("forward", "fourth", "richardson", "complex"):
        numerical_grad(f, x, scheme=scheme)
        np.testing.assert_array_equal(x, [0.1, 0.2])
    with pytest.raises(ValueError, match="scheme must be one of"):
        numerical_grad(f, x, scheme="backward")


def test_check_module_accepts_every_real_scheme():
    from minidl.gradcheck import check_module
    from minidl.nn.layers import Dense
    x = np.random.default_rng(0).standard_normal((3, 4))
    for scheme in ("forward", "central", "fourth", "richardson"):
        report = check_module(Dense(4, 2, rng=0, dtype="float64"), x, rng=0, scheme=scheme,
                              rtol=1e-5 if scheme == "forward" else None)
        assert report.ok, (scheme, report)
    with pytest.raises(ValueError, match="scheme must be"):
        check_module(Dense(4, 2, rng=0, dtype="float64"), x, scheme="complex")


def test_cli_gradcheck_scheme_chooses_the_finite_difference_scheme(capsys):
    from minidl.cli import main
    assert main(["gradcheck", "dense", "tanh", "--scheme", "fourth"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "fourth differences" in out
    assert main(["gradcheck", "dense", "--scheme", "complex"]) == 2
