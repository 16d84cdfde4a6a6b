"""Gradients of discrete choices: the straight-through and score-function estimators.

"What happens to gradients with argmax or sampling?" (background/backprop-calculus-
curriculum.md, the Socratic questions): a sample b ~ Bernoulli(p) or an argmax is a step
function of the parameters, so its true derivative is 0 almost everywhere and backprop
through it learns nothing. What we usually want is the gradient of an EXPECTATION,
∇θ E_{b~p_θ}[f(b)], which is smooth in θ. Two ways to estimate it from samples:

- straight-through (`straight_through`, `bernoulli_straight_through`): use the hard value
  forward, and in the backward pass pretend the step was the identity, ∂b/∂p := 1. Cheap
  (one backward pass, f's own derivative), but BIASED: for a Bernoulli sample it returns
  E[f'(b)]·∂p/∂θ where the truth is (f(1) − f(0))·∂p/∂θ, and the two differ unless f is
  linear in b. It also needs f defined between 0 and 1.
- score function, REINFORCE (`score_function`): ∇θ E[f(b)] = E[f(b) ∇θ log p_θ(b)], because
  ∇θ p_θ = p_θ ∇θ log p_θ. UNBIASED for any f, even a black box, but high-variance.
  Subtracting a baseline c that does not depend on b keeps it unbiased
  (E[c ∇θ log p_θ(b)] = c ∇θ Σ_b p_θ(b) = c ∇θ 1 = 0) and can shrink the variance a lot.

`examples/discrete_gradients.py` measures the bias and variance of each on a problem whose
exact gradient is known.
"""

import numpy as np

from .functional import returned_tensor
from .graph import backprop
from .tensor import Tensor, as_tensor, from_op


def straight_through(soft, hard):
    """A Tensor whose value is `hard` and whose derivative is that of `soft`.

    Forward: y = hard (e.g. a sample or a rounding of `soft`), exactly.
    Backward: ∂L/∂soft = ∂L/∂y, as if y = soft (∂y/∂soft := I); forward mode likewise ẏ = ṡ.

    Example:
        >>> p = Tensor([0.3, 0.8], requires_grad=True)
        >>> y = straight_through(p, np.round(p.data))
        >>> (y * Tensor([2.0, 3.0])).sum().backward()
        >>> y.data.tolist(), p.grad.tolist()
        ([0.0, 1.0], [2.0, 3.0])
    """
    soft = as_tensor(soft)
    hard = np.asarray(hard.data if isinstance(hard, Tensor) else hard, dtype=soft.dtype)
    if hard.shape != soft.shape:
        raise ValueError(f"straight_through: hard has shape {hard.shape} but soft has shape "
                         f"{soft.shape}; they must match")
    return from_op(hard.copy(), "straight_through", (soft,),
                   vjp=lambda g, y: (g,),
                   jvp=lambda y, t: t)


def bernoulli_straight_through(probs, rng):
    """b ~ Bernoulli(probs) element-wise, as a Tensor with the straight-through derivative
    ∂b/∂probs := 1 (see `straight_through`); `rng` is a seed or a numpy Generator."""
    probs = as_tensor(probs)
    uniform = np.random.default_rng(rng).random(probs.shape)
    return straight_through(probs, (uniform < probs.data).astype(probs.dtype))


def bernoulli_log_prob(logits, samples):
    """log p(b) for b ~ Bernoulli(σ(logits)), element-wise, without overflow:
    log p(b) = b·θ − log(1 + e^θ), with log(1 + e^θ) = logsumexp([0, θ])."""
    logits = as_tensor(logits)
    b = np.asarray(samples, dtype=logits.dtype)
    pair = logits.reshape(logits.shape + (1,)) * Tensor(np.array([0.0, 1.0], dtype=logits.dtype))
    return logits * b - pair.logsumexp(axis=-1)


BASELINES = ("none", "leave_one_out")


def _baseline(values, baseline):
    """c per sample: 0, a given constant, or the mean of the OTHER samples' values."""
    if isinstance(baseline, str):
        if baseline not in BASELINES:
            raise ValueError(f"score_function: baseline must be a number or one of "
                             f"{', '.join(BASELINES)}, got {baseline!r}")
        if baseline == "none":
            return 0.0
        n = values.shape[0]
        if n < 2:
            raise ValueError("score_function: the leave-one-out baseline needs at least 2 "
                             f"samples along axis 0, got {n}")
        return (values.sum(axis=0, keepdims=True) - values) / (n - 1)
    return float(baseline)


def score_function(log_prob, theta, samples, values, baseline="none"):
    """The score-function (REINFORCE) estimate of ∇θ E_{b~p_θ}[f(b)], an array of θ's shape.

    Equation: ĝ = (1/N) Σᵢ (f(bᵢ) − cᵢ) ∇θ log p_θ(bᵢ) over the N samples on axis 0, computed
    as one reverse sweep of the surrogate (1/N) Σᵢ (f(bᵢ) − cᵢ) log p_θ(bᵢ) with the weights
    held constant. Unbiased when cᵢ does not depend on bᵢ: c = 0 ("none"), any fixed number,
    or "leave_one_out", cᵢ = mean of the other samples' f(bⱼ).

    Args:
        log_prob: log_prob(theta, samples) → Tensor of log p_θ(bᵢ), of `values`' shape.
        theta: the distribution's parameters (number or array).
        samples: the N draws b₁ … b_N (axis 0), drawn from p_θ by the caller.
        values: f(bᵢ), an array whose axis 0 has the N samples. Further axes are summed:
            the estimate is then of ∇θ Σⱼ E[fⱼ] (e.g. independent coins, one entry of θ each).
        baseline: "none", "leave_one_out" or a number.

    Example:
        >>> # E_{b~Bernoulli(σ(θ))}[b] = σ(θ); its gradient at θ = 0 is σ'(0) = 0.25
        >>> b = np.random.default_rng(0).random(20000) < 0.5
        >>> g = score_function(bernoulli_log_prob, 0.0, b, b.astype(float), "leave_one_out")
        >>> abs(float(g) - 0.25) < 0.01
        True
    """
    values = np.asarray(values, dtype=np.float64)
    weights = values - _baseline(values, baseline)  # (N, ...) constants: no gradient through f
    theta = Tensor(theta, requires_grad=True)
    log_p = returned_tensor(log_prob(theta, samples), "score_function")
    if log_p.shape != values.shape:
        raise ValueError(f"score_function: log_prob returned shape {log_p.shape} but values "
                         f"have shape {values.shape}; give one log-probability per value")
    surrogate = (log_p * Tensor(weights.astype(log_p.dtype))).sum() / values.shape[0]
    (gradient,) = backprop(surrogate, [theta])
    return gradient.data
