"""Gradients through a coin flip: straight-through against REINFORCE, bias and variance measured.

The problem: b ~ Bernoulli(σ(θ)) and f(b) = (b − t)², t = 0.45. The expectation
E[f] = σ(θ) f(1) + (1 − σ(θ)) f(0) is smooth in θ, with the exact gradient

    dE/dθ = σ'(θ) (f(1) − f(0)) = σ(θ)(1 − σ(θ)) (1 − 2t),

but every sample of f(b) is a step function of θ. Each estimator below sees N samples per
seed and returns one estimate; over many seeds (the same samples for every estimator) the
table gives the mean, its standard error, the bias (mean − exact) and the variance of one
estimate. REINFORCE should be unbiased — its bias within a few standard errors of 0 — and
straight-through biased: it returns σ'(θ)·E[f'(b)] = σ'(θ)·2(σ(θ) − t), which is exact only
where σ(θ) = 1/2. A baseline built from the batch mean including bᵢ itself is biased by
the factor (N − 1)/N; leaving bᵢ out keeps it unbiased.

    python examples/discrete_gradients.py [--seeds 2000] [--samples 10] [--theta 1.0]
"""

import argparse

import numpy as np

from minidl.autodiff import Tensor, backprop
from minidl.autodiff.estimators import bernoulli_log_prob, bernoulli_straight_through, score_function

TARGET = 0.45


def f(b):
    return (b - TARGET) ** 2


def sigmoid(theta):
    return 1 / (1 + np.exp(-theta))


def straight_through_estimate(theta, samples, seed):
    """d/dθ mean f(b) with b = bernoulli_straight_through(σ(θ)): f'(b)·σ'(θ) per sample."""
    theta_t = Tensor(theta, requires_grad=True)
    probs = (theta_t * Tensor(np.ones(samples))).sigmoid()
    b = bernoulli_straight_through(probs, seed)
    (gradient,) = backprop(f(b).mean(), [theta_t])
    return float(gradient.data)


def estimates(theta, samples, seeds):
    """{estimator: one estimate per seed}; every estimator sees the same N samples per seed."""
    out = {name: [] for name in ("REINFORCE", "REINFORCE, leave-one-out baseline",
                                 "REINFORCE, batch-mean baseline", "straight-through")}
    p = sigmoid(theta)
    for seed in range(seeds):
        b = (np.random.default_rng(seed).random(samples) < p).astype(np.float64)
        values = f(b)
        out["REINFORCE"].append(float(score_function(bernoulli_log_prob, theta, b, values)))
        out["REINFORCE, leave-one-out baseline"].append(
            float(score_function(bernoulli_log_prob, theta, b, values, "leave_one_out")))
        out["REINFORCE, batch-mean baseline"].append(  # c = mean f(b) depends on each bᵢ
            float(score_function(bernoulli_log_prob, theta, b, values, float(values.mean()))))
        out["straight-through"].append(straight_through_estimate(theta, samples, seed))
    return {name: np.array(v) for name, v in out.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2000, help="independent estimates per estimator")
    parser.add_argument("--samples", type=int, default=10, help="samples N per estimate")
    parser.add_argument("--theta", type=float, default=1.0, help="the logit θ")
    args = parser.parse_args(argv)

    p = sigmoid(args.theta)
    exact = p * (1 - p) * (f(1.0) - f(0.0))
    st_expected = p * (1 - p) * 2 * (p - TARGET)
    print(f"f(b) = (b - {TARGET})², b ~ Bernoulli(σ({args.theta:g}) = {p:.4f}); "
          f"{args.seeds} seeds × {args.samples} samples")
    print(f"exact dE/dθ = σ'(θ)(f(1) - f(0)) = {exact:.5f}; straight-through's expectation "
          f"σ'(θ)·2(σ - t) = {st_expected:.5f}\n")
    print(f"| {'estimator':<34} | {'mean':>9} | {'std error':>9} | {'bias':>9} | "
          f"{'bias / SE':>9} | {'variance':>9} |")
    print(f"|{'-' * 36}|{'-' * 11}|{'-' * 11}|{'-' * 11}|{'-' * 11}|{'-' * 11}|")
    results = {}
    for name, values in estimates(args.theta, args.samples, args.seeds).items():
        mean, var = values.mean(), values.var(ddof=1)
        se = np.sqrt(var / len(values))
        results[name] = (mean, se)
        print(f"| {name:<34} | {mean:>9.5f} | {se:>9.5f} | {mean - exact:>+9.5f} | "
              f"{(mean - exact) / se:>+9.1f} | {var:>9.5f} |")
    print(f"| {'exact':<34} | {exact:>9.5f} | {'':>9} | {'':>9} | {'':>9} | {'':>9} |")

    def within(name, target, k=4.0):
        mean, se = results[name]
        return abs(mean - target) <= k * se

    shrunk = exact * (args.samples - 1) / args.samples
    unbiased = within("REINFORCE", exact) and within("REINFORCE, leave-one-out baseline", exact)
    biased_as_predicted = within("straight-through", st_expected) and \
        within("REINFORCE, batch-mean baseline", shrunk)
    print(f"\nREINFORCE (no baseline, leave-one-out) within 4 SE of the exact gradient: {unbiased}")
    print(f"within 4 SE of their predicted biased means, straight-through {st_expected:.5f} and "
          f"batch-mean baseline (N - 1)/N · exact = {shrunk:.5f}: {biased_as_predicted}")
    return 0 if unbiased and biased_as_predicted else 1


if __name__ == "__main__":
    raise SystemExit(main())
