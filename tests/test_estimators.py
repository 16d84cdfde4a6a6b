"""Straight-through and score-function estimators: exact where they must be, unbiased (or
biased) where they should be, measured in standard errors over many replicates."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import Tensor, backprop, jvp
from minidl.autodiff.estimators import (
    bernoulli_log_prob,
    bernoulli_straight_through,
    score_function,
    straight_through,
)

TARGET = 0.45


def f(b):
    return (b - TARGET) ** 2


def sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))  # = 1 / (1 + e⁻ˣ), without overflow at |x| = 800


def test_straight_through_is_hard_forward_and_identity_backward():
    soft = Tensor(np.array([[0.2, 0.7], [0.5, 0.9]]), requires_grad=True)
    hard = np.array([[0.0, 1.0], [1.0, 1.0]])
    y = straight_through(soft, hard)
    np.testing.assert_array_equal(y.data, hard)
    weights = np.array([[1.0, -2.0], [3.0, 0.5]])
    (gradient,) = backprop((y * y * Tensor(weights)).sum(), [soft])  # ∂/∂y = 2 y w, passed on
    np.testing.assert_array_equal(gradient.data, 2 * hard * weights)
    _, tangent = jvp(lambda s: straight_through(s, hard) * 3.0, (soft.data,), (np.ones((2, 2)),))
    np.testing.assert_array_equal(tangent, 3.0)
    with pytest.raises(ValueError, match=r"hard has shape \(2,\) but soft has shape \(2, 2\)"):
        straight_through(soft, np.ones(2))


@settings(max_examples=15, deadline=None)
@given(shape=st.sampled_from([(1,), (3,), (2, 4)]), scale=st.sampled_from([1.0, 30.0, 800.0]),
       seed=st.integers(0, 2**16))
def test_bernoulli_log_prob_and_its_gradient_match_closed_forms(shape, scale, seed):
    # log p(b) = b log σ(θ) + (1 − b) log(1 − σ(θ));  ∂/∂θ = b − σ(θ); finite even at |θ| = 800
    rng = np.random.default_rng(seed)
    theta, b = scale * rng.standard_normal(shape), (rng.random(shape) < 0.5).astype(float)
    softplus = np.logaddexp(0.0, theta)
    theta_t = Tensor(theta, requires_grad=True)
    log_p = bernoulli_log_prob(theta_t, b)
    np.testing.assert_allclose(log_p.data, b * theta - softplus, rtol=1e-12, atol=1e-12)
    (gradient,) = backprop(log_p.sum(), [theta_t])
    np.testing.assert_allclose(gradient.data, b - sigmoid(theta), rtol=1e-12, atol=1e-12)


def test_bernoulli_straight_through_samples_and_passes_the_gradient():
    probs = Tensor(np.full(20000, 0.3), requires_grad=True)
    b = bernoulli_straight_through(probs, 0)
    assert set(np.unique(b.data)) == {0.0, 1.0}
    assert abs(b.data.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 20000)
    (gradient,) = backprop((b * 2.0).sum(), [probs])
    np.testing.assert_array_equal(gradient.data, 2.0)
    np.testing.assert_array_equal(bernoulli_straight_through(probs, 0).data, b.data)  # seeded


def replicate_estimates(theta, n, replicates, estimator, seed=0):
    """One estimate per replicate r, each from n samples of Bernoulli(σ(θ_r)): θ is copied per
    replicate, so ∂/∂θ_r of a sum over replicates is replicate r's own estimate."""
    thetas = np.full(replicates, theta)
    rng = np.random.default_rng(seed)
    if estimator == "straight-through":
        theta_t = Tensor(thetas, requires_grad=True)
        probs = (theta_t * Tensor(np.ones((n, 1)))).sigmoid()           # (n, R)
        b = bernoulli_straight_through(probs, rng)
        (gradient,) = backprop(f(b).sum() / n, [theta_t])
        return gradient.data
    b = (rng.random((n, replicates)) < sigmoid(theta)).astype(float)  # (n, R)
    return score_function(bernoulli_log_prob, thetas, b, f(b), estimator)


def mean_and_se(estimates):
    return estimates.mean(), estimates.std(ddof=1) / np.sqrt(len(estimates))


@pytest.mark.parametrize("theta", [-1.5, 0.0, 1.0])
@pytest.mark.parametrize("baseline", ["none", "leave_one_out", 0.3])
def test_reinforce_is_unbiased(theta, baseline):
    exact = sigmoid(theta) * (1 - sigmoid(theta)) * (f(1.0) - f(0.0))
    mean, se = mean_and_se(replicate_estimates(theta, 8, 4000, baseline))
    assert abs(mean - exact) < 4 * se, (mean, exact, se)


def test_a_baseline_cuts_the_variance_and_a_batch_mean_one_is_biased():
    theta, n = 1.0, 8
    exact = sigmoid(theta) * (1 - sigmoid(theta)) * (f(1.0) - f(0.0))
    plain = replicate_estimates(theta, n, 4000, "none")
    loo = replicate_estimates(theta, n, 4000, "leave_one_out")
    assert loo.var() < plain.var() / 4
    # c = the batch mean of f includes f(bᵢ) itself: the estimate shrinks by (n − 1)/n
    rng = np.random.default_rng(1)
    shrunk = []
    for _ in range(3000):
        b = (rng.random(n) < sigmoid(theta)).astype(float)
        shrunk.append(score_function(bernoulli_log_prob, theta, b, f(b), float(f(b).mean())))
    mean, se = mean_and_se(np.array(shrunk))
    assert abs(mean - exact * (n - 1) / n) < 4 * se and abs(mean - exact) > 4 * se


def test_straight_through_is_biased_except_at_one_half():
    # E[ST] = σ'(θ)·E[f'(b)] = σ'(θ)·2(σ − t), the truth σ'(θ)(1 − 2t): equal only at σ = 1/2
    for theta, should_be_biased in [(1.0, True), (0.0, False)]:
        p = sigmoid(theta)
        exact, predicted = p * (1 - p) * (1 - 2 * TARGET), p * (1 - p) * 2 * (p - TARGET)
        mean, se = mean_and_se(replicate_estimates(theta, 8, 4000, "straight-through"))
        assert abs(mean - predicted) < 4 * se
        assert (abs(mean - exact) > 10 * se) == should_be_biased


@settings(max_examples=10, deadline=None)
@given(k=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_score_function_over_a_categorical_against_its_closed_form(k, seed):
    # p = softmax(θ): ∇θ log p(j) = eⱼ − p, and ∇θ E[f] = p ⊙ (f − p·f)
    rng = np.random.default_rng(seed)
    theta, values = rng.standard_normal(k), rng.standard_normal(k)
    p = np.exp(theta) / np.exp(theta).sum()
    draws = rng.choice(k, size=5000, p=p)

    def log_prob(t, samples):
        return t.log_softmax()[samples]

    for baseline in ("none", "leave_one_out"):
        got = score_function(log_prob, theta, draws, values[draws], baseline)
        weights = values[draws] - (0.0 if baseline == "none" else
                                   (values[draws].sum() - values[draws]) / (len(draws) - 1))
        terms = weights[:, None] * (np.eye(k)[draws] - p)           # (N, K), per sample
        np.testing.assert_allclose(got, terms.mean(axis=0), rtol=1e-10, atol=1e-12)
        se = terms.std(axis=0, ddof=1) / np.sqrt(len(draws))
        assert np.all(np.abs(got - p * (values - p @ values)) < 5 * se + 1e-12)


def test_score_function_errors_name_what_was_expected():
    b = np.array([1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="baseline must be a number or one of none, leave_one_out"):
        score_function(bernoulli_log_prob, 0.0, b, f(b), "mean")
    with pytest.raises(ValueError, match="at least 2 samples"):
        score_function(bernoulli_log_prob, 0.0, b[:1], f(b[:1]), "leave_one_out")
    with pytest.raises(ValueError, match=r"log_prob returned shape \(3,\) but values have shape \(2,\)"):
        score_function(bernoulli_log_prob, 0.0, b, f(b[:2]))


@settings(max_examples=10, deadline=None)
@given(shape=st.sampled_from([(), (3,), (2, 3)]), seed=st.integers(0, 2**16))
def test_straight_through_gradient_is_the_upstream_one_over_shapes(shape, seed):
    rng = np.random.default_rng(seed)
    soft, upstream = rng.random(shape), rng.standard_normal(shape)
    soft_t = Tensor(soft, requires_grad=True)
    y = straight_through(soft_t.sigmoid(), np.round(soft))       # ∂y/∂soft := σ'(soft)
    (gradient,) = backprop(y, [soft_t], grad=upstream)
    np.testing.assert_allclose(gradient.data, upstream * sigmoid(soft) * (1 - sigmoid(soft)),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(y.data, np.round(soft))


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 6), k=st.integers(1, 4), baseline=st.sampled_from(["none", "leave_one_out"]),
       seed=st.integers(0, 2**16))
def test_score_function_with_one_coin_per_entry_of_theta(n, k, baseline, seed):
    # θ of shape (K,), samples (N, K): ∇θ log p(b) = b − σ(θ), each coin's terms averaged over N
    rng = np.random.default_rng(seed)
    theta, targets = rng.standard_normal(k), rng.random(k)
    b = (rng.random((n, k)) < sigmoid(theta)).astype(float)
    values = (b - targets) ** 2                                    # (N, K)
    c = 0.0 if baseline == "none" else (values.sum(axis=0) - values) / (n - 1)
    expected = ((values - c) * (b - sigmoid(theta))).mean(axis=0)
    got = score_function(bernoulli_log_prob, theta, b, values, baseline)
    assert got.shape == (k,)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
