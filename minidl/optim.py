"""Optimizers: update parameters in place from their ``.grad``.

Each keeps per-parameter state aligned with the parameter list and scratch
buffers made once, so ``step()`` allocates no new arrays in steady state
(STYLE.md, habit 9). Update rules follow PyTorch exactly (SPEC §3).
"""

from __future__ import annotations

import math

import numpy as np

from .module import Parameter
from .param_blocks import Block, blocks_of


class Optimizer:
    """Base class: holds the parameters, their state and the hyper-parameters."""

    def __init__(self, params, **hyper):
        if isinstance(params, Parameter) or not hasattr(params, "__iter__"):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Parameters, e.g. "
                            f"model.parameters(), got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} is a {type(param).__name__}, "
                    "expected minidl.Parameter (pass model.parameters())"
                )
        self.params = list(dict.fromkeys(params))  # a parameter listed twice is updated once
        self.hyper = hyper
        self.steps = 0
        self._state: dict[str, list[np.ndarray]] = {}  # per-parameter views, what state_dict shows
        self._arrange()

    # Updates run over blocks (minidl.param_blocks): parameters lying back to back in memory
    # (Module.flatten_parameters) are one array here, and so is their state, which
    # state_dict sees as per-parameter views. The blocks hold the arrays the parameters had
    # when they were made; a step first checks that the parameter list and every parameter's
    # arrays are still those (nothing added, removed, rebound, re-flattened or copied) and
    # otherwise arranges the blocks anew, carrying each parameter's state over.

    def _state_names(self) -> tuple[str, ...]:
        """Names of the per-parameter state buffers (e.g. ``("momentum",)``)."""
        return ()

    def _arrange(self) -> None:
        """(Re)build the blocks, a zeroed state array per block and name (values carried over
        from the previous per-parameter views), and a scratch array per block."""
        blocks = blocks_of(self.params)
        arranged = [param for param, _, _ in self.__dict__.get("_layout", ())]
        previous = {name: dict(zip(arranged, views))  # by parameter: the list may have changed
                    for name, views in self._state.items()}
        flat, state = {}, {}
        for name in self._state_names():
            flat[name] = [np.zeros_like(block.data) for block in blocks]
            state[name] = [view for block, array in zip(blocks, flat[name]) for view in block.views(array)]
            for param, view in zip(self.params, state[name]):
                if param in previous.get(name, {}):
                    np.copyto(view, previous[name][param])
        # assigned only now: a parameter whose new array does not fit raises above and changes nothing
        self._blocks, self._flat, self._state = blocks, flat, state
        self._layout = [(p, p.data, p.raw_grad()) for p in self.params]
        self._scratch = [np.empty_like(block.data) for block in blocks]
        self._scratch2 = None  # a second scratch array per block, for the updates that need one
        self._tiny = [np.empty(block.data.shape, dtype=bool) for block in blocks]  # flush masks

    def _current_blocks(self) -> list[Block]:
        """The blocks, checked against the parameters and their arrays, with pending lazy
        zeros written."""
        if len(self.params) != len(self._layout) or any(
                param is not p or param.data is not data or param.raw_grad() is not grad
                for param, (p, data, grad) in zip(self.params, self._layout)):
            self._arrange()  # a parameter came, went or has new arrays: follow, keeping the state
        for param in self.params:
            param.settle_grad()  # blocks read the gradient arrays without .grad's check
        return self._blocks

    def _second_scratch(self) -> list[np.ndarray]:
        if self._scratch2 is None:
            self._scratch2 = [np.empty_like(block.data) for block in self._blocks]
        return self._scratch2

    def __getstate__(self) -> dict:
        """copy, deepcopy and pickle keep the parameters and per-parameter state; the blocks
        are views into the original's arrays, so the copy arranges its own."""
        # _layout stays: the copied state is matched to the copied parameters through it
        derived = ("_blocks", "_flat", "_scratch", "_scratch2", "_tiny")
        state = {key: value for key, value in self.__dict__.items() if key not in derived}
        state["_state"] = {name: [view.copy() for view in views] for name, views in self._state.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._arrange()

    def __getattr__(self, name):
        hyper = self.__dict__.get("hyper", {})
        if name in hyper:
            return hyper[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def lr(self) -> float:
        return self.hyper["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        """Learning-rate schedules set this between steps."""
        _check_non_negative(value, "learning rate")
        self.hyper["lr"] = float(value)

    # Momentum-like buffers of weights that rarely get a gradient (Fashion-MNIST's border
    # pixels) decay geometrically: below ~1e-38 float32 turns subnormal, which CPUs
    # handle tens of times slower, and a whole epoch nearly doubles. Every FLUSH_EVERY
    # steps, values below FLUSH_BELOW are set to 0 — far below anything that moves a
    # weight (SGD: lr · 1e-30; Adam: see its _flush_is_harmless), and FLUSH_EVERY steps of
    # decay by 0.9 cannot reach 1e-38 from it.
    FLUSH_EVERY = 64
    FLUSH_BELOW = 1e-30

    def _flush_is_harmless(self) -> bool:
        """Whether zeroing state below FLUSH_BELOW cannot change an update noticeably."""
        return True

    def _flush_subnormals(self) -> None:
        if self.steps % self.FLUSH_EVERY or not self._flush_is_harmless():
            return
        for arrays in self._flat.values():
            for state, scratch, tiny in zip(arrays, self._scratch, self._tiny):
                if state.dtype.itemsize < 8:  # float64's subnormals start at 1e-308: never reached
                    np.abs(state, out=scratch)
                    keep = np.greater_equal(scratch, self.FLUSH_BELOW, out=tiny)
                    np.multiply(state, keep, out=state)  # 6× faster than copyto(where=); NaN stays NaN

    def zero_grad(self, lazy: bool = False) -> None:
        """Zero every parameter's gradient in place (``lazy``: see ``Parameter.zero_grad``)."""
        for param in self.params:
            param.zero_grad(lazy)

    def _state_arrays(self) -> dict[str, list[np.ndarray]]:
        """Per-parameter state buffers, by name (e.g. ``{"momentum": [v₀, v₁, …]}``)."""
        return self._state

    def state_dict(self) -> dict:
        """Hyper-parameters, step count and copies of the per-parameter state."""
        return {
            "hyper": dict(self.hyper),
            "steps": self.steps,
            "state": {key: [a.copy() for a in arrays] for key, arrays in self._state_arrays().items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` returned; validated in full before anything changes."""
        name = type(self).__name__
        try:
            hyper, steps, buffers = state["hyper"], int(state["steps"]), state["state"]
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{name}.load_state_dict: malformed state ({err!r})") from None
        own = self._state_arrays()
        if set(hyper) != set(self.hyper) or set(buffers) != set(own):
            raise ValueError(
                f"{name}.load_state_dict: state is for hyper-parameters {sorted(hyper)} and "
                f"buffers {sorted(buffers)}, expected {sorted(self.hyper)} and {sorted(own)}"
            )
        for key, arrays in own.items():
            given = buffers[key]
            shapes = [np.shape(a) for a in given]
            if shapes != [a.shape for a in arrays]:
                raise ValueError(
                    f"{name}.load_state_dict: {key} buffers have shapes {shapes}, "
                    f"expected {[a.shape for a in arrays]}"
                )
        for key, arrays in own.items():
            for target, value in zip(arrays, buffers[key]):
                np.copyto(target, value, casting="same_kind")
        self.hyper.update({k: v if not isinstance(v, list) else tuple(v) for k, v in hyper.items()})
        self.steps = steps

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

    For each parameter p with gradient g, momentum μ, weight decay λ (PyTorch's rule)::

        g ← g + λ p
        v ← μ v + g                       (v starts at 0, so the first v is g)
        p ← p − lr · (g + μ v  if nesterov else  v)

    With μ = 0 this is plain ``p ← p − lr · g``.

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn.backward(); ...; opt.step()
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):
        _check_non_negative(lr, "learning rate")
        _check_non_negative(momentum, "momentum value")
        _check_non_negative(weight_decay, "weight_decay value")
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum requires a momentum > 0")
        super().__init__(params, lr=float(lr), momentum=float(momentum), nesterov=bool(nesterov),
                         weight_decay=float(weight_decay))
    def _state_names(self):
        return ("momentum",) if self.hyper["momentum"] else ()

    @property
    def _velocity(self) -> list[np.ndarray]:
        """The momentum buffer of each parameter (views into the blocks' buffers)."""
        return self._state.get("momentum", [])

    def step(self) -> None:
        """Apply one update to every parameter, in place."""
        lr, mu, wd, nesterov = self.lr, self.momentum, self.weight_decay, self.nesterov
        blocks = self._current_blocks()
        velocity = self._flat.get("momentum")
        direction = self._second_scratch() if nesterov else None  # for g + μv
        for i, block in enumerate(blocks):
            g, buf = block.grad, self._scratch[i]
            if wd:
                np.multiply(block.data, wd, out=buf)  # g + λp, leaving p.grad untouched
                buf += g
                g = buf
            if mu:
                v = velocity[i]
                v *= mu
                v += g
                if nesterov:
                    ahead = np.multiply(v, mu, out=direction[i])
                    ahead += g
                    g = ahead
                else:
                    g = v
            np.multiply(g, lr, out=buf)
            block.data -= buf
        self.steps += 1
        self._flush_subnormals()


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias correction, PyTorch semantics.

    At step t, for each parameter p with gradient g::

        g ← g + λ p                              (L2 added to the gradient)
        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
        p ← p − lr · m̂ / (√v̂ + ε)

    Example:
        >>> opt = Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        _check_non_negative(lr, "learning rate")
        _check_non_negative(eps, "epsilon value")
        _check_non_negative(weight_decay, "weight_decay value")
        betas = tuple(float(b) for b in betas)
        if len(betas) != 2:
            raise ValueError(f"Invalid betas: expected two values (β₁, β₂), got {betas}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        super().__init__(params, lr=float(lr), betas=betas, eps=float(eps),
                         weight_decay=float(weight_decay))
    def _state_names(self):
        return ("exp_avg", "exp_avg_sq")

    def _flush_is_harmless(self) -> bool:
        # The update m̂/(√v̂ + ε) does not shrink with the gradient's scale: with ε = 0 a moment
        # of 1e-31 still moves a weight by lr. With ε ≥ 1e-12 a flushed moment changes an update
        # by at most lr · 1e-30 · 1000 / 1e-12 = lr · 1e-15 (1000: bias correction for β₁ ≤ 0.999).
        return self.eps >= 1e-12

    def step(self) -> None:
        """Apply one Adam update to every parameter, in place."""
        blocks = self._current_blocks()
        self.steps += 1
        (beta1, beta2), eps, wd = self.betas, self.eps, self.weight_decay
        step_size = self.lr / (1 - beta1 ** self.steps)
        sqrt_bc2 = math.sqrt(1 - beta2 ** self.steps)  # a Python float: an np.float64 would
        # promote float32 work to float64 through a temporary
        for block, m, v, buf, denom in zip(blocks, self._flat["exp_avg"],
                                           self._flat["exp_avg_sq"], self._scratch, self._second_scratch()):
            g = block.grad
            if wd:
                np.multiply(block.data, wd, out=buf)
                buf += g
                g = buf
            m *= beta1
            np.multiply(g, 1 - beta1, out=denom)
            m += denom
            v *= beta2
            np.multiply(g, g, out=denom)
            denom *= 1 - beta2
            v += denom
            # denom = √v / √(1 − β₂ᵗ) + ε, then p −= (lr / (1 − β₁ᵗ)) · m / denom
            np.sqrt(v, out=denom)
            denom /= sqrt_bc2
            denom += eps
            np.divide(m, denom, out=buf)
            buf *= step_size
            block.data -= buf
        self._flush_subnormals()


def _check_non_negative(value, what: str) -> None:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(f"Invalid {what}: {value}")


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    ``‖g‖ = √(Σ_p Σ_i g_{p,i}²)``; if ``‖g‖ > max_norm`` every gradient is multiplied
    by ``max_norm / ‖g‖`` in place (the direction is kept). Returns ``‖g‖`` before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"Invalid max_norm: {max_norm}")
    params = list(dict.fromkeys(params))  # read twice below (a generator would not be); a shared one once
    total = float(np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params)))
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for p in params:
            p.grad *= scale
    return total
