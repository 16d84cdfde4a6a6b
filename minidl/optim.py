"""Optimizers: update parameters in place from their ``.grad``.

Each keeps per-parameter state aligned with the parameter list and scratch
buffers made once, so ``step()`` allocates no new arrays in steady state
(STYLE.md, habit 9). Update rules follow PyTorch exactly (SPEC §3).
"""

from __future__ import annotations

import math

import numpy as np

from .module import Parameter


class Optimizer:
    """Base class: holds the parameters, their state and the hyper-parameters."""

    def __init__(self, params, **hyper):
        if isinstance(params, Parameter) or not hasattr(params, "__iter__"):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Parameters, e.g. "
                            f"model.parameters(), got {type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, param in enumerate(self.params):
            if not isinstance(param, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} is a {type(param).__name__}, "
                    "expected minidl.Parameter (pass model.parameters())"
                )
        self.hyper = hyper
        self.steps = 0
        # Updates run over blocks: runs of parameters lying back to back in memory
        # (Module.flatten_parameters) are one array here, so a step costs a few numpy calls
        # instead of a few per parameter; state gets the same layout, viewed per parameter.
        self._blocks = _blocks(self.params)
        self._scratch = [np.empty_like(block.data) for block in self._blocks]
        self._tiny = [np.empty(block.data.shape, dtype=bool) for block in self._blocks]  # flush masks

    def _block_state(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """A zeroed state buffer per block, and its views shaped like each parameter."""
        flat = [np.zeros_like(block.data) for block in self._blocks]
        views = [view for block, array in zip(self._blocks, flat) for view in block.views(array)]
        return flat, views

    def _settled_blocks(self) -> list[_Block]:
        for block in self._blocks:
            for param in block.params:
                param.settle_grad()  # the block reads the gradients without .grad's check
        return self._blocks

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
    # weight (lr · 1e-30), and FLUSH_EVERY steps of decay by 0.9 cannot reach 1e-38 from it.
    FLUSH_EVERY = 64
    FLUSH_BELOW = 1e-30

    def _flush_subnormals(self) -> None:
        if self.steps % self.FLUSH_EVERY:
            return
        for arrays in self._flat_state().values():
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
        return {}

    def _flat_state(self) -> dict[str, list[np.ndarray]]:
        """The same state, one array per block."""
        return {}

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
        self._velocity_blocks, self._velocity = self._block_state() if momentum else ([], [])
        self._direction = None  # Nesterov's g + μv, made on its first step

    def _state_arrays(self):
        return {"momentum": self._velocity} if self._velocity else {}

    def _flat_state(self):
        return {"momentum": self._velocity_blocks} if self._velocity_blocks else {}

    def step(self) -> None:
        """Apply one update to every parameter, in place."""
        lr, mu, wd, nesterov = self.lr, self.momentum, self.weight_decay, self.nesterov
        if nesterov and self._direction is None:  # also when a Nesterov state was loaded
            self._direction = [np.empty_like(block.data) for block in self._blocks]
        for i, block in enumerate(self._settled_blocks()):
            g, buf = block.grad, self._scratch[i]
            if wd:
                np.multiply(block.data, wd, out=buf)  # g + λp, leaving p.grad untouched
                buf += g
                g = buf
            if mu:
                v = self._velocity_blocks[i]
                v *= mu
                v += g
                if nesterov:
                    direction = np.multiply(v, mu, out=self._direction[i])
                    direction += g
                    g = direction
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
        self._m_blocks, self._m = self._block_state()
        self._v_blocks, self._v = self._block_state()
        self._scratch2 = [np.empty_like(block.data) for block in self._blocks]

    def _state_arrays(self):
        return {"exp_avg": self._m, "exp_avg_sq": self._v}

    def _flat_state(self):
        return {"exp_avg": self._m_blocks, "exp_avg_sq": self._v_blocks}

    def step(self) -> None:
        """Apply one Adam update to every parameter, in place."""
        self.steps += 1
        (beta1, beta2), eps, wd = self.betas, self.eps, self.weight_decay
        step_size = self.lr / (1 - beta1 ** self.steps)
        sqrt_bc2 = math.sqrt(1 - beta2 ** self.steps)  # a Python float: an np.float64 would
        # promote float32 work to float64 through a temporary
        for block, m, v, buf, denom in zip(self._settled_blocks(), self._m_blocks, self._v_blocks,
                                           self._scratch, self._scratch2):
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


class _Block:
    """Parameters whose values, and whose gradients, lie back to back in memory, with a
    1-D view over all the values (``data``) and one over all the gradients (``grad``)."""

    __slots__ = ("params", "data", "grad")

    def __init__(self, params: list[Parameter], data: np.ndarray, grad: np.ndarray):
        self.params, self.data, self.grad = params, data, grad

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """``flat`` (laid out like ``data``) cut into one view per parameter, shaped like it."""
        views, offset = [], 0
        for param in self.params:
            views.append(flat[offset:offset + param.size].reshape(param.shape))
            offset += param.size
        return views


def _blocks(params: list[Parameter]) -> list[_Block]:
    """Group consecutive parameters into blocks wherever both their values and their
    gradients continue exactly where the previous ones end, in the same buffer."""
    blocks: list[_Block] = []
    for param in params:
        if blocks:
            last = blocks[-1]
            data, grad = _joined(last.data, param.data), _joined(last.grad, param._grad)
            if data is not None and grad is not None:
                blocks[-1] = _Block(last.params + [param], data, grad)
                continue
        blocks.append(_Block([param], param.data.reshape(-1), param._grad.reshape(-1)))
    return blocks


def _joined(flat: np.ndarray, array: np.ndarray) -> np.ndarray | None:
    """One 1-D view over ``flat`` then ``array`` if ``array`` starts where ``flat`` ends inside
    the same 1-D buffer, else None."""
    base = flat.base
    if base is None or array.base is not base or base.ndim != 1 or array.dtype != base.dtype \
            or not array.flags.c_contiguous:
        return None
    start = flat.__array_interface__["data"][0]
    if array.__array_interface__["data"][0] != start + flat.nbytes:
        return None
    offset = (start - base.__array_interface__["data"][0]) // base.itemsize
    return base[offset:offset + flat.size + array.size]


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
    total = float(np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in params)))
    if total > max_norm:
        scale = max_norm / (total + 1e-12)
        for p in params:
            p.grad *= scale
    return total
