"""The optimizers' rules fused over a whole layout group: a few numpy calls per step, no
allocation, in the same order of operations as ``SGD.step`` / ``Adam.step`` (so float64
and float32 results agree bit for bit), plus subnormal flushing. ``sgd_folded`` is SGD
with the learning rate already in the gradient: the same rule rearranged, one pass fewer,
equal to rounding (not bit for bit)."""

from __future__ import annotations

import numpy as np

from ..optim import SGD, Adam

# Momentum-like state of weights that rarely get a gradient (Fashion-MNIST's border pixels)
# decays geometrically; below ~1e-38 float32 turns subnormal, which CPUs handle many times
# slower. Every FLUSH_EVERY steps values below FLUSH_BELOW become 0: far below anything that
# moves a weight (SGD: lr · 1e-30; Adam: see adam_flush_is_harmless), and FLUSH_EVERY steps
# of decay by 0.9 cannot reach 1e-38 from it.
FLUSH_EVERY = 64
FLUSH_BELOW = 1e-30


def sgd(opt: SGD, group) -> None:
    """g ← g + λp;  v ← μv + g;  p ← p − lr·(g + μv if nesterov else v)."""
    lr, mu, wd = opt.lr, opt.momentum, opt.weight_decay
    g, buf = group.grad, group.scratch
    if wd:
        np.multiply(group.data, wd, out=buf)
        buf += g
        g = buf
    if mu:
        v = group.state["momentum"]
        v *= mu
        v += g
        if opt.nesterov:
            ahead = np.multiply(v, mu, out=group.scratch2)
            ahead += g
            g = ahead
        else:
            g = v
    np.multiply(g, lr, out=buf)
    group.data -= buf


def sgd_folded(opt: SGD, group, rescale: float) -> None:
    """SGD with the learning rate folded into the gradient (stretch of issue 11): the plan
    scaled ∂L/∂Z by lr, so ``grad`` holds G = lr·g, and the momentum state holds u = lr′·v
    (lr′ the rate it was last scaled by; ``rescale`` = lr/lr′, or lr when it holds v):
    u ← μ·rescale·u + G = lr·(μv + g) = lr·v_new;  p ← p − u. PyTorch's rule times lr, in
    three passes over the parameters instead of four (plain SGD: one, p ← p − G)."""
    if opt.momentum:
        u = group.state["momentum"]
        u *= opt.momentum * rescale
        u += group.grad
        group.data -= u
    else:
        group.data -= group.grad


def unfold_momentum(opt: SGD, lr: float) -> None:
    """v = u/lr: the folded momentum (``sgd_folded``) back to PyTorch's buffer, in place."""
    for u in opt.held_state().get("momentum", ()):
        u /= lr


def adam(opt: Adam, group) -> None:
    """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  p ← p − lr·m̂/(√v̂ + ε), t = opt.steps."""
    (beta1, beta2), eps, wd, t = opt.betas, opt.eps, opt.weight_decay, opt.steps
    g, buf, tmp = group.grad, group.scratch, group.scratch2
    m, v = group.state["exp_avg"], group.state["exp_avg_sq"]
    if wd:
        np.multiply(group.data, wd, out=buf)
        buf += g
        g = buf
    m *= beta1
    m += np.multiply(g, 1 - beta1, out=tmp)
    v *= beta2
    tmp = np.multiply(g, 1 - beta2, out=tmp)
    tmp *= g
    v += tmp
    denom = np.divide(v, 1 - beta2 ** t, out=tmp)  # v̂, then √v̂ + ε
    np.sqrt(denom, out=denom)
    denom += eps
    step = np.divide(m, 1 - beta1 ** t, out=buf)  # m̂, then lr·m̂/(√v̂ + ε)
    step *= opt.lr
    step /= denom
    group.data -= step


def flush_subnormals(opt, group) -> None:
    """Every FLUSH_EVERY steps, zero state entries below FLUSH_BELOW (float16/32 only)."""
    if opt.steps % FLUSH_EVERY or group.data.dtype.itemsize == 8:
        return
    if isinstance(opt, Adam) and not adam_flush_is_harmless(opt):
        return
    for state in group.state.values():
        np.abs(state, out=group.scratch)
        keep = np.greater_equal(group.scratch, FLUSH_BELOW, out=group.mask)
        np.multiply(state, keep, out=state)  # a multiply, not copyto(where=): NaN stays NaN


def adam_flush_is_harmless(opt: Adam) -> bool:
    # m̂/(√v̂ + ε) does not shrink with the gradient's scale: with ε = 0 a moment of 1e-31
    # still moves a weight by lr. With ε ≥ 1e-12 a flushed moment changes an update by at
    # most lr · 1e-30 · 1000 / 1e-12 = lr · 1e-15 (1000: bias correction for β₁ ≤ 0.999).
    return opt.eps >= 1e-12


UPDATES = {SGD: sgd, Adam: adam}


def planned_update(opt) -> object | None:
    """The fused rule for ``opt`` — only for the library's own classes exactly (a subclass may
    have changed ``step``): None means the step calls ``opt.step()`` itself."""
    return UPDATES.get(type(opt))
